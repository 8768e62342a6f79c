"""Step 1: where uploaded files (CSV or workbook) are kept, behind one interface (Store) with an
implementation per UPLOAD_STORAGE: `folder` (folder_store.py, UPLOAD_FOLDER on this machine) or `database`
(database_store.py, chunks in the app's database, readable by a worker on any machine). Another backend
(an object store) is one more Store subclass and one more entry in BACKENDS; nothing else reads or writes
stored files.

An upload is first pending: it becomes an import's file when the import is created (keep), so a file
whose check failed never counts as an import's; pending files nobody came back for are removed after
PENDING_MAX_AGE. An import's file is removed once no import needs it any more (retention.py).

The module's functions are what the pipeline calls; they go to the configured store.
"""
import io
import os
import secrets
import shutil
import tempfile
from abc import ABC, abstractmethod
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import IO, BinaryIO, Iterator

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.datastructures import FileStorage

CHUNK_BYTES = 1024 * 1024
PENDING_MAX_AGE = 24 * 3600
# Bytes that do not decode arrive as lone surrogates (U+DC80-U+DCFF) instead of stopping the reader,
# so a bad line deep in a big file becomes one row error, not a failed import.
DECODE_ERRORS = "surrogateescape"


class Store(ABC):
    """Where uploads are kept. Names are the random stored names the imports hold."""

    @abstractmethod
    def save(self, stream: BinaryIO, name: str) -> int:
        """Copy the stream, CHUNK_BYTES at a time (never whole), as a new pending upload; its size."""

    @abstractmethod
    def keep(self, name: str) -> bool:
        """The pending upload becomes an import's file; False if it is gone (a second click got here first)."""

    @abstractmethod
    def is_pending(self, name: str) -> bool:
        """The upload is there and still pending."""

    @abstractmethod
    def remove(self, name: str) -> None:
        """Remove the file, pending or kept; nothing happens if it is gone."""

    @abstractmethod
    def remove_abandoned(self, max_age: int) -> int:
        """Remove pending uploads older than max_age seconds; how many."""

    @abstractmethod
    def open(self, name: str) -> BinaryIO:
        """The file's bytes as a stream, read as they are needed (pending or kept)."""

    @contextmanager
    def local_file(self, name: str, limit: int | None = None) -> Iterator[Path]:
        """A file on this machine with the stored bytes (the first `limit` only, when given), for the readers
        that need a path; removed afterwards. A store whose files are local hands out the file itself."""
        handle, path = tempfile.mkstemp(prefix="leadcrm-", suffix=PurePosixPath(name).suffix)
        try:
            with os.fdopen(handle, "wb") as out, self.open(name) as source:
                if limit is None:
                    shutil.copyfileobj(source, out, CHUNK_BYTES)
                else:
                    out.write(source.read(limit))
            yield Path(path)
        finally:
            os.unlink(path)


def store() -> Store:
    """The store UPLOAD_STORAGE names."""
    from leadcrm.imports.upload.database_store import DatabaseStore
    from leadcrm.imports.upload.folder_store import FolderStore

    backends = {"folder": FolderStore, "database": DatabaseStore}
    setting = current_app.config["UPLOAD_STORAGE"]
    if setting not in backends:
        raise RuntimeError(f"UPLOAD_STORAGE is {setting!r}; set it to one of: {', '.join(backends)}.")
    return backends[setting]()


def new_name(filename: str = "") -> str:
    return secrets.token_hex(16) + (".xlsx" if filename.lower().endswith((".xlsx", ".xlsm")) else ".csv")


@dataclass(frozen=True)
class PendingUpload:
    """An uploaded file waiting for its check, with the encoding and delimiter to check it with."""

    stored_name: str
    original_filename: str
    size_bytes: int
    workspace_id: int
    encoding: str | None = None  # None: UTF-8, as the spec asks, with a delimiter guess when it is not ','
    delimiter: str | None = None
    sheet: str | None = None  # the sheet picked in a workbook of several


def save_upload(file: FileStorage, workspace_id: int) -> PendingUpload:
    """Store the upload under a new random name (with a workbook's suffix, which its reader goes by), pending
    its check."""
    stored_name = new_name(file.filename or "")
    size = store().save(file.stream, stored_name)
    return PendingUpload(stored_name, display_name(file.filename or ""), size, workspace_id)


def display_name(filename: str) -> str:
    """The file's name without the client's folders (some browsers send a full path): shown, never a path."""
    # Control characters (a NUL above all: PostgreSQL text cannot hold it) have no place in a name to show.
    name = "".join(c for c in filename if c.isprintable()).replace("\\", "/")
    name = PurePosixPath(name).name[:255]
    return name if name.strip(". ") else "upload.csv"


def keep(stored_name: str) -> bool:
    """Make a checked upload its import's file; False if it is gone."""
    return store().keep(stored_name)


def discard(stored_name: str) -> None:
    """Remove an upload (a pending one whose check failed, or a file no import needs any more)."""
    store().remove(stored_name)


def remove_abandoned(max_age: int = PENDING_MAX_AGE) -> int:
    """Remove pending uploads older than max_age seconds: offers nobody accepted. Returns how many."""
    return store().remove_abandoned(max_age)


def local_file(stored_name: str, limit: int | None = None):
    """A path on this machine to read the stored file from, for the duration of a with block."""
    return store().local_file(stored_name, limit)


def open_stored_text(stored_name: str, encoding: str) -> IO[str]:
    """The stored file as text for csv.reader, streamed from the store (for readers of its first rows)."""
    return io.TextIOWrapper(store().open(stored_name), encoding=codec(encoding), errors=DECODE_ERRORS, newline="")


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="leadcrm.imports.pending-upload")


def sign_pending(pending: PendingUpload) -> str:
    """A token for the upload page's offer form: the pending file and the settings to check it with, signed."""
    return _signer().dumps(asdict(pending))


def load_pending(token: str, workspace_id: int) -> PendingUpload | None:
    """The pending upload of a signed token of this workspace whose file is still there; None otherwise."""
    try:
        pending = PendingUpload(**_signer().loads(token, max_age=PENDING_MAX_AGE))
    except (BadSignature, TypeError):
        return None
    if pending.workspace_id != workspace_id or not store().is_pending(pending.stored_name):
        return None
    return pending


def codec(encoding: str) -> str:
    """The codec to read a file of this encoding with: a UTF-8 byte-order mark is dropped silently."""
    return "utf-8-sig" if encoding.replace("_", "-").lower() in ("utf-8", "utf8") else encoding


def open_text(path: Path, encoding: str) -> IO[str]:
    """Open a local file as text for csv.reader (newline=''), in the import's encoding."""
    return open(path, encoding=codec(encoding), errors=DECODE_ERRORS, newline="")
