"""UPLOAD_STORAGE=database: uploads are rows of CHUNK_BYTES in the app's database (stored_upload_chunk), so
every machine that reaches the database reads them: workers need no shared folder.

Each chunk is written and committed as it arrives, on a connection of its own: the web process holds one
chunk at a time whatever the file's size, and on SQLite the write lock is never held for the whole upload
(a running import commits between two chunks). Reading fetches one chunk at a time too.
"""
import io
from datetime import timedelta
from typing import BinaryIO

from sqlalchemy import delete, exists, insert, select, update

from leadcrm.extensions import db
from leadcrm.imports.upload.storage import CHUNK_BYTES, Store
from leadcrm.models import StoredUpload, StoredUploadChunk, utcnow

_CHUNKS = StoredUploadChunk.__table__
_UPLOADS = StoredUpload.__table__


class DatabaseStore(Store):
    def save(self, stream: BinaryIO, name: str) -> int:
        size = 0
        with db.engine.connect() as conn:
            conn.execute(insert(_UPLOADS).values(name=name, pending=True, size_bytes=0, created_at=utcnow()))
            conn.commit()
            try:
                for seq, chunk in enumerate(iter(lambda: _read_chunk(stream), b"")):
                    conn.execute(insert(_CHUNKS).values(name=name, seq=seq, data=chunk))
                    conn.commit()
                    size += len(chunk)
                conn.execute(update(_UPLOADS).where(_UPLOADS.c.name == name).values(size_bytes=size))
                conn.commit()
            except BaseException:  # the client went away mid-upload: leave no half file behind
                conn.rollback()
                _remove(conn, name)
                raise
        return size

    def keep(self, name: str) -> bool:
        with db.engine.begin() as conn:
            moved = conn.execute(update(_UPLOADS).where(_UPLOADS.c.name == name, _UPLOADS.c.pending)
                                 .values(pending=False))
        return bool(moved.rowcount)

    def is_pending(self, name: str) -> bool:
        with db.engine.connect() as conn:
            return conn.scalar(select(exists().where(_UPLOADS.c.name == name, _UPLOADS.c.pending)))

    def remove(self, name: str) -> None:
        with db.engine.connect() as conn:
            _remove(conn, name)

    def remove_abandoned(self, max_age: int) -> int:
        cutoff = utcnow() - timedelta(seconds=max_age)
        with db.engine.connect() as conn:
            names = conn.scalars(select(_UPLOADS.c.name).where(_UPLOADS.c.pending, _UPLOADS.c.created_at < cutoff)).all()
            for name in names:
                _remove(conn, name)
        return len(names)

    def open(self, name: str) -> BinaryIO:
        return io.BufferedReader(ChunkReader(name), CHUNK_BYTES)


class ChunkReader(io.RawIOBase):
    """The chunks of one upload as a raw stream: one chunk in memory at a time, fetched when needed."""

    def __init__(self, name: str):
        self.name = name
        self.conn = db.engine.connect()
        if not self.conn.scalar(select(exists().where(_UPLOADS.c.name == name))):
            self.conn.close()
            raise FileNotFoundError(f"stored upload {name} is not in the database")
        self.seq = 0
        self.chunk = memoryview(b"")
        self.ended = False  # the last chunk was read: no more queries

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if not self.chunk and not self.ended:
            data = self.conn.scalar(select(_CHUNKS.c.data).where(_CHUNKS.c.name == self.name, _CHUNKS.c.seq == self.seq))
            # Each chunk in a short transaction of its own: a long copy holds no snapshot open.
            self.conn.rollback()
            if data is None:
                self.ended = True
                return 0
            self.chunk, self.seq = memoryview(bytes(data)), self.seq + 1
        if not self.chunk:
            return 0
        size = min(len(buffer), len(self.chunk))
        buffer[:size] = self.chunk[:size]
        self.chunk = self.chunk[size:]
        return size

    def close(self) -> None:
        if not self.closed:
            self.conn.close()
        super().close()


def _read_chunk(stream: BinaryIO) -> bytes:
    """Up to CHUNK_BYTES of the stream (a socket may give less per read): every chunk but the last is full."""
    parts, size = [], 0
    while size < CHUNK_BYTES:
        part = stream.read(CHUNK_BYTES - size)
        if not part:
            break
        parts.append(part)
        size += len(part)
    return b"".join(parts)


def _remove(conn, name: str) -> None:
    conn.execute(delete(_CHUNKS).where(_CHUNKS.c.name == name))
    conn.execute(delete(_UPLOADS).where(_UPLOADS.c.name == name))
    conn.commit()
