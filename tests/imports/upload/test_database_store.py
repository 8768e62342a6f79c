"""UPLOAD_STORAGE=database on both engines: an upload is written and read in chunks of CHUNK_BYTES, pending
until kept, and removed whole; a reader holds one chunk at a time."""
import io
from datetime import timedelta

import pytest
from sqlalchemy import event, select, update
from werkzeug.datastructures import FileStorage

from leadcrm.extensions import db
from leadcrm.imports.upload import storage
from leadcrm.imports.upload.storage import CHUNK_BYTES
from leadcrm.models import StoredUpload, StoredUploadChunk, utcnow


@pytest.fixture
def database_storage(app):
    app.config["UPLOAD_STORAGE"] = "database"
    with app.app_context():
        yield


class Trickle(io.RawIOBase):
    """A request body as a socket gives it: `total` bytes in pieces of 64 KiB, never more per read."""

    def __init__(self, total: int):
        self.left = total

    def readable(self):
        return True

    def readinto(self, buffer):
        size = min(len(buffer), 64 * 1024, self.left)
        buffer[:size] = bytes((self.left - i) % 251 for i in range(size))
        self.left -= size
        return size


def chunk_sizes(name: str) -> list[int]:
    return [len(data) for data in db.session.scalars(
        select(StoredUploadChunk.data).filter_by(name=name).order_by(StoredUploadChunk.seq))]


def test_an_upload_is_stored_in_full_chunks_as_it_arrives(database_storage):
    size = 3 * CHUNK_BYTES + 1234
    expected = bytes(Trickle(size).read())
    name = storage.new_name()
    assert storage.store().save(Trickle(size), name) == size
    assert chunk_sizes(name) == [CHUNK_BYTES, CHUNK_BYTES, CHUNK_BYTES, 1234]
    with storage.store().open(name) as stream:
        assert stream.read() == expected
    with storage.local_file(name) as path:
        assert path.read_bytes() == expected
    assert not path.exists(), "the local copy is removed after"


def test_reading_fetches_one_chunk_at_a_time(database_storage):
    name = storage.new_name()
    storage.store().save(io.BytesIO(b"x" * (5 * CHUNK_BYTES)), name)
    fetched = []

    def count(conn, cursor, statement, *args):
        if "FROM stored_upload_chunk" in statement:
            fetched.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        with storage.store().open(name) as stream:
            stream.read(10)
            assert len(fetched) == 1, "the start of the file needs only its first chunk"
            while stream.read(CHUNK_BYTES // 2):
                pass
        with storage.local_file(name, limit=100) as path:
            assert path.read_bytes() == b"x" * 100
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(fetched) == 5 + 1 + 1, "each chunk once and one look past the end; then one chunk for the start"


def test_keep_remove_and_pending(database_storage):
    pending = storage.save_upload(FileStorage(io.BytesIO(b"email\na@example.com\n"), filename="l.csv"), 1)
    assert storage.store().is_pending(pending.stored_name)
    assert storage.keep(pending.stored_name)
    assert not storage.keep(pending.stored_name), "kept once"
    assert not storage.store().is_pending(pending.stored_name)
    storage.discard(pending.stored_name)
    assert db.session.scalars(select(StoredUploadChunk.name)).all() == []
    assert db.session.scalars(select(StoredUpload.name)).all() == []
    with pytest.raises(FileNotFoundError):
        storage.store().open(pending.stored_name)


def test_remove_abandoned_removes_old_pending_uploads_only(database_storage):
    old, recent, kept = (storage.new_name() for _ in range(3))
    for name in (old, recent, kept):
        storage.store().save(io.BytesIO(b"email\n"), name)
    storage.keep(kept)
    db.session.execute(update(StoredUpload).where(StoredUpload.name.in_([old, kept]))
                       .values(created_at=utcnow() - timedelta(seconds=storage.PENDING_MAX_AGE + 60)))
    db.session.commit()
    assert storage.remove_abandoned() == 1
    assert sorted(db.session.scalars(select(StoredUpload.name))) == sorted([recent, kept])


def test_an_upload_cut_short_leaves_nothing(database_storage):
    class Broken(Trickle):
        def readinto(self, buffer):
            if self.left < 2 * CHUNK_BYTES:
                raise OSError("client went away")
            return super().readinto(buffer)

    with pytest.raises(OSError):
        storage.store().save(Broken(3 * CHUNK_BYTES), storage.new_name())
    assert db.session.scalars(select(StoredUpload.name)).all() == []
    assert db.session.scalars(select(StoredUploadChunk.name)).all() == []
