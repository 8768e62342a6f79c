"""UPLOAD_STORAGE=folder: uploads are files in UPLOAD_FOLDER (pending ones in its pending/ folder), on the
machine of the web process: workers must run on the same machine or share the folder."""
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator

from flask import current_app

from leadcrm.imports.upload.storage import CHUNK_BYTES, Store


class FolderStore(Store):
    def __init__(self):
        self.folder = Path(current_app.config["UPLOAD_FOLDER"])
        self.pending = self.folder / "pending"

    def save(self, stream: BinaryIO, name: str) -> int:
        self.pending.mkdir(parents=True, exist_ok=True)
        with open(self.pending / name, "xb") as out:
            shutil.copyfileobj(stream, out, CHUNK_BYTES)
            return out.tell()

    def keep(self, name: str) -> bool:
        try:
            os.replace(self.pending / name, self.folder / name)
        except FileNotFoundError:
            return False
        return True

    def is_pending(self, name: str) -> bool:
        return (self.pending / name).is_file()

    def remove(self, name: str) -> None:
        (self.pending / name).unlink(missing_ok=True)
        (self.folder / name).unlink(missing_ok=True)

    def remove_abandoned(self, max_age: int) -> int:
        if not self.pending.is_dir():
            return 0
        cutoff, removed = time.time() - max_age, 0
        for path in self.pending.iterdir():
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:  # another upload's sweep took it
                pass
        return removed

    def open(self, name: str) -> BinaryIO:
        return open(self.path(name), "rb")

    @contextmanager
    def local_file(self, name: str, limit: int | None = None) -> Iterator[Path]:
        # Already on this machine: readers of the start read only the start anyway.
        yield self.path(name)

    def path(self, name: str) -> Path:
        """Where the file is now: with the imports' files once kept, in pending/ before."""
        kept = self.folder / name
        return kept if kept.exists() else self.pending / name
