"""storage (folder store): uploads under random names, pending until checked, signed offers, reading back as CSV rows."""
import csv
import io
import os
import re
import time
from dataclasses import replace

import pytest
from werkzeug.datastructures import FileStorage

from leadcrm.imports.upload import storage
from leadcrm.imports.upload.folder_store import FolderStore


def upload(data: bytes, filename="leads.csv", workspace_id=1):
    return storage.save_upload(FileStorage(io.BytesIO(data), filename=filename), workspace_id)


def test_save_upload_copies_the_file_under_a_random_name(upload_app):
    data = b"email\n" + b"a@example.com\n" * 200_000  # several chunks
    pending = upload(data, filename="../../etc/passwd.csv")
    assert re.fullmatch(r"[0-9a-f]{32}\.csv", pending.stored_name)
    assert pending.original_filename == "passwd.csv"
    assert pending.size_bytes == len(data)
    assert (FolderStore().pending / pending.stored_name).read_bytes() == data
    assert os.listdir(FolderStore().folder) == ["pending"]
    assert upload(b"x").stored_name != pending.stored_name


@pytest.mark.parametrize(
    "sent, shown",
    [("C:\\Users\\ada\\My leads.csv", "My leads.csv"), ("<script>.csv", "<script>.csv"), ("", "upload.csv"),
     ("esc\x00a\tpe\r\n.csv", "escape.csv"), ("../..", "upload.csv"), ("Zoë's leads.csv", "Zoë's leads.csv")],
)
def test_display_name(sent, shown):
    assert storage.display_name(sent) == shown


def test_keep_moves_the_file_once(upload_app):
    pending = upload(b"email\na@example.com\n")
    assert storage.keep(pending.stored_name)
    assert (FolderStore().folder / pending.stored_name).read_bytes() == b"email\na@example.com\n"
    assert not (FolderStore().pending / pending.stored_name).exists()
    assert not storage.keep(pending.stored_name)


def test_discard(upload_app):
    pending = upload(b"x")
    storage.discard(pending.stored_name)
    assert os.listdir(FolderStore().pending) == []


def test_discard_removes_a_kept_upload_too(upload_app):
    pending = upload(b"x")
    assert storage.keep(pending.stored_name)
    storage.discard(pending.stored_name)
    assert os.listdir(FolderStore().folder) == ["pending"] and os.listdir(FolderStore().pending) == []


def test_remove_abandoned_keeps_recent_pending_uploads(upload_app):
    old, recent = upload(b"old"), upload(b"recent")
    day_ago = time.time() - storage.PENDING_MAX_AGE - 60
    os.utime(FolderStore().pending / old.stored_name, (day_ago, day_ago))
    assert storage.remove_abandoned() == 1
    assert os.listdir(FolderStore().pending) == [recent.stored_name]


def test_signed_offer_round_trip(upload_app):
    pending = replace(upload(b"a;b\n1;2\n", workspace_id=7), delimiter=";")
    token = storage.sign_pending(pending)
    assert storage.load_pending(token, 7) == pending
    assert storage.load_pending(token, 8) is None, "another workspace cannot use it"
    assert storage.load_pending(token[:-2] + "xx", 7) is None, "a changed token is refused"
    storage.keep(pending.stored_name)
    assert storage.load_pending(token, 7) is None, "an upload that became an import is no longer pending"


def test_a_token_from_another_secret_key_is_refused(upload_app):
    token = storage.sign_pending(upload(b"x", workspace_id=1))
    upload_app.config["SECRET_KEY"] = "another"
    assert storage.load_pending(token, 1) is None


def rows(path, encoding, delimiter=","):
    with storage.open_text(path, encoding) as text:
        return list(csv.reader(text, delimiter=delimiter))


def test_open_text_reads_with_the_imports_encoding(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b'\xef\xbb\xbfname;notes\r\n"Doe; Jane";"two\r\nlines"\r\n')
    assert rows(path, "utf-8", ";") == [["name", "notes"], ["Doe; Jane", "two\r\nlines"]]
    path.write_bytes("name\nJosé\n".encode("cp1252"))
    assert rows(path, "cp1252") == [["name"], ["José"]]
    path.write_bytes("name\tcity\nZoë\tKöln\n".encode("utf-16"))
    assert rows(path, "utf-16", "\t") == [["name", "city"], ["Zoë", "Köln"]]


def test_bytes_that_do_not_decode_reach_the_reader_as_surrogates(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes(b"name\nok\nbad \xff\nok too\n")
    assert rows(path, "utf-8") == [["name"], ["ok"], ["bad \udcff"], ["ok too"]]
