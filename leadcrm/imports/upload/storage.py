"""Step 1: keep uploaded files (CSV or workbook) under random names in UPLOAD_FOLDER, and open CSV files again
as text for csv.

An upload first lands in UPLOAD_FOLDER/pending. It moves into UPLOAD_FOLDER when its import is created,
so a file whose check failed never sits next to the files of imports; pending files nobody came back for
are removed after PENDING_MAX_AGE.
"""
import os
import secrets
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.datastructures import FileStorage

CHUNK_BYTES = 1024 * 1024
PENDING_MAX_AGE = 24 * 3600
# Bytes that do not decode arrive as lone surrogates (U+DC80-U+DCFF) instead of stopping the reader,
# so a bad line deep in a big file becomes one row error, not a failed import.
DECODE_ERRORS = "surrogateescape"


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


def upload_folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def path_of(stored_name: str) -> Path:
    """The stored file of an import."""
    return upload_folder() / stored_name


def pending_folder() -> Path:
    return upload_folder() / "pending"


def pending_path(stored_name: str) -> Path:
    return pending_folder() / stored_name


def save_upload(file: FileStorage, workspace_id: int) -> PendingUpload:
    """Copy the upload in chunks to a new random name in the pending folder; never read it whole."""
    folder = pending_folder()
    folder.mkdir(parents=True, exist_ok=True)
    suffix = ".xlsx" if (file.filename or "").lower().endswith((".xlsx", ".xlsm")) else ".csv"
    stored_name = secrets.token_hex(16) + suffix
    with open(folder / stored_name, "xb") as out:
        shutil.copyfileobj(file.stream, out, CHUNK_BYTES)
        size = out.tell()
    return PendingUpload(stored_name, display_name(file.filename or ""), size, workspace_id)


def display_name(filename: str) -> str:
    """The file's name without the client's folders (some browsers send a full path): shown, never a path."""
    # Control characters (a NUL above all: PostgreSQL text cannot hold it) have no place in a name to show.
    name = "".join(c for c in filename if c.isprintable()).replace("\\", "/")
    name = PurePosixPath(name).name[:255]
    return name if name.strip(". ") else "upload.csv"


def keep(stored_name: str) -> bool:
    """Move a checked upload from pending into UPLOAD_FOLDER, where its import reads it; False if it is gone."""
    try:
        os.replace(pending_path(stored_name), path_of(stored_name))
    except FileNotFoundError:  # a second click on the same offer got here first
        return False
    return True


def discard(stored_name: str) -> None:
    """Remove an upload, pending (its check failed with nothing to offer) or kept (its import was discarded
    before it started, or was a command-line check)."""
    pending_path(stored_name).unlink(missing_ok=True)
    path_of(stored_name).unlink(missing_ok=True)


def remove_abandoned(max_age: int = PENDING_MAX_AGE) -> int:
    """Remove pending uploads older than max_age seconds: offers nobody accepted. Returns how many."""
    folder = pending_folder()
    if not folder.is_dir():
        return 0
    cutoff, removed = time.time() - max_age, 0
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # another upload's sweep took it
            pass
    return removed


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
    if pending.workspace_id != workspace_id or not pending_path(pending.stored_name).is_file():
        return None
    return pending


def codec(encoding: str) -> str:
    """The codec to read a file of this encoding with: a UTF-8 byte-order mark is dropped silently."""
    return "utf-8-sig" if encoding.replace("_", "-").lower() in ("utf-8", "utf8") else encoding


def open_text(path: Path, encoding: str) -> IO[str]:
    """Open a stored file as text for csv.reader (newline=''), in the import's encoding."""
    return open(path, encoding=codec(encoding), errors=DECODE_ERRORS, newline="")
