"""Imports of real files, as the engine tests and the fault suite need them: a workspace, an import of a
CSV as Start Import leaves it (stored file, header, mapping, status queued), and what the engine recorded."""
import csv
import io
import os
import threading

import psutil
from sqlalchemy import func, select

from leadcrm.extensions import db
from leadcrm.imports.engine.process import process_import
from leadcrm.imports.mapping.fields import guess_mapping
from leadcrm.imports.upload import storage
from leadcrm.keys import name_key
from leadcrm.models import ImportRowIssue, Lead, LeadImport, Workspace, utcnow
from tests.support.servers import wait_until

HEADER = "first_name,last_name,email,phone,company,status,source,lead_score,deal_value,tags,notes"


def workspace(name: str = "Acme") -> int:
    existing = db.session.scalar(select(Workspace.id).filter_by(name_key=name_key(name)))
    if existing:
        return existing
    ws = Workspace(name=name)
    db.session.add(ws)
    db.session.commit()
    return ws.id


def store_file(data: bytes) -> str:
    """Store the bytes as an import's file, through the storage interface; its stored name."""
    stored_name = storage.new_name()
    storage.store().save(io.BytesIO(data), stored_name)
    storage.keep(stored_name)
    return stored_name


def create_import(content: str | bytes, workspace_id: int, mapping: dict | None = None,
                  defaults: dict | None = None, encoding: str = "utf-8", delimiter: str = ",",
                  header: list[str] | None = None, **columns) -> int:
    """Store the file (in the configured UPLOAD_STORAGE) and add a queued import of it, header read from its first line;
    `columns` set or replace the import's other columns (e.g. status="uploaded", created_by_id=…)."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    stored_name = store_file(data)
    if header is None:
        text = data.decode("utf-8-sig", "replace")
        header = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    imp = LeadImport(**{
        "workspace_id": workspace_id, "status": "queued", "queued_at": utcnow(), "original_filename": "leads.csv",
        "stored_name": stored_name, "size_bytes": len(data), "encoding": encoding, "delimiter": delimiter,
        "header": header, "mapping": mapping if mapping is not None else guess_mapping(header),
        "defaults": defaults or {}, **columns,
    })
    db.session.add(imp)
    db.session.commit()
    return imp.id


def get_import(import_id: int) -> LeadImport:
    db.session.expire_all()
    return db.session.get(LeadImport, import_id)


def issues(import_id: int) -> list[tuple]:
    """(line, kind, reason, values) of the import's skipped and error rows, by line."""
    db.session.expire_all()
    return [tuple(row) for row in db.session.execute(
        select(ImportRowIssue.line, ImportRowIssue.kind, ImportRowIssue.reason, ImportRowIssue.values)
        .filter_by(import_id=import_id).order_by(ImportRowIssue.line))]


def leads(workspace_id: int) -> list[Lead]:
    db.session.expire_all()
    # By line: on PostgreSQL a batch inserts its leads in email order (see engine/postgres_writer.py).
    return db.session.scalars(select(Lead).filter_by(workspace_id=workspace_id).order_by(Lead.import_line, Lead.id)).all()


def lead_count(**filters) -> int:
    return db.session.scalar(select(func.count()).select_from(Lead).filter_by(**filters))


def assert_counts_add_up(imp: LeadImport) -> None:
    assert imp.processed == imp.successful + imp.skipped + imp.errors
    assert imp.total_rows == imp.processed
    assert lead_count(import_id=imp.id) == imp.successful
    assert len(issues(imp.id)) == imp.skipped + imp.errors


def kill_the_parser_mid_import(app, import_id: int, signal_number: int, timeout: float) -> Exception:
    """Run the import in a thread of this process, send the signal to the parser child it forks once the
    first batch is committed, and return what the engine raised (the import is marked failed by then)."""
    outcome = {}

    def run():
        with app.app_context():
            try:
                process_import(import_id)
            except Exception as error:  # the engine marks the import failed, then re-raises
                outcome["error"] = error

    importer = threading.Thread(target=run)
    importer.start()
    try:
        wait_until(lambda: get_import(import_id).processed > 0, timeout, message="the first commit")
        this = psutil.Process()
        [parser] = [child for child in this.children() if child.cmdline() == this.cmdline()]  # forked: same command
        os.kill(parser.pid, signal_number)
    finally:
        importer.join(timeout)
    return outcome["error"]
