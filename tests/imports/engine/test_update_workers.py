"""Update mode with real workers: a worker SIGKILLed mid-import is resumed exactly once (same leads, same
before-values, same figures as a clean run), and two update imports of the same leads at once both
complete with before-values that chain, so that undoing either gives a consistent result."""
import csv
import io
import signal
import subprocess
import sys

import pytest
from sqlalchemy import select

from leadcrm.extensions import db
from leadcrm.imports.engine.process import process_import
from leadcrm.imports.jobs.enqueue import enqueue_job
from leadcrm.imports.results.undo import undo_import
from leadcrm.leads.export import export_lines
from leadcrm.models import Lead, LeadChange, LeadImport
from tests.conftest import ROOT
from tests.support.imports import create_import, get_import, issues, workspace
from tests.support.servers import wait_until

UPDATE = {"existing_leads": "update", "blank_cells": "leave", "tag_mode": "add"}


@pytest.fixture(autouse=True)
def app_context(app):
    with app.app_context():
        yield


def generated(tmp_path, rows: int) -> bytes:
    path = tmp_path / "base.csv"
    subprocess.run([sys.executable, "bench/generate_leads.py", "--rows", str(rows), "--seed", "5", "--out", str(path)],
                   cwd=ROOT, check=True, timeout=120)
    return path.read_bytes()


def changed(data: bytes, tag: str) -> bytes:
    """The same rows with a new phone everywhere and a new status on every other row."""
    rows = list(csv.reader(io.StringIO(data.decode(), newline="")))
    header, out = rows[0], io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for number, row in enumerate(rows[1:]):
        row[header.index("phone")] = f"+{tag}-{number}"
        if number % 2:
            row[header.index("status")] = "contacted"
        writer.writerow(row)
    return out.getvalue().encode()


def update_import(data: bytes, ws: int) -> int:
    import_id = create_import(data, ws)
    db.session.execute(db.update(LeadImport).filter_by(id=import_id).values(**UPDATE))
    db.session.commit()
    return import_id


def before_values(import_id: int) -> list[tuple]:
    return sorted(db.session.execute(select(LeadChange.line, LeadChange.field, LeadChange.before, LeadChange.after)
                                     .filter_by(import_id=import_id)).all())


def export(ws: int) -> str:
    return "".join(export_lines(db.select(Lead).where(Lead.workspace_id == ws)))


def test_a_killed_worker_resumes_an_update_import_exactly_once(app, workers, tmp_path):
    base = generated(tmp_path, 40_000)
    update = changed(base, "1")
    acme, clean = workspace("Acme"), workspace("Clean")
    for ws in (acme, clean):
        assert process_import(create_import(base, ws))["status"] == "completed"
    import_id = update_import(update, acme)
    assert enqueue_job(import_id)
    first = workers.start(IMPORT_BATCH_SIZE="1000")
    wait_until(lambda: get_import(import_id).processed > 0, 120, message="the first batch")
    workers.kill_group(first, signal.SIGKILL)
    killed = get_import(import_id)
    assert killed.status == "running" and 0 < killed.processed < killed.total_rows
    second = workers.start(IMPORT_BATCH_SIZE="1000", IMPORT_STALE_SECONDS="3", IMPORT_RECOVERY_INTERVAL="2")
    wait_until(lambda: get_import(import_id).status in ("completed", "failed"), 300, message="the resumed import")
    workers.kill_group(second, signal.SIGTERM)
    resumed = get_import(import_id)
    assert resumed.status == "completed" and resumed.attempt >= 2, workers.logs()

    clean_id = update_import(update, clean)
    assert process_import(clean_id)["status"] == "completed"
    reference = get_import(clean_id)
    assert reference.updated > 30_000
    figures = ("total_rows", "successful", "updated", "skipped", "errors")
    assert [getattr(resumed, name) for name in figures] == [getattr(reference, name) for name in figures]
    assert before_values(import_id) == before_values(clean_id)
    assert issues(import_id) == issues(clean_id)
    # The same leads; in another order on PostgreSQL, which inserts a batch's leads in email order.
    assert sorted(csv.reader(io.StringIO(export(acme)))) == sorted(csv.reader(io.StringIO(export(clean))))


def test_two_update_imports_of_the_same_leads_at_once_both_complete_and_undo_consistently(app, workers, tmp_path):
    base = generated(tmp_path, 20_000)
    ws = workspace()
    assert process_import(create_import(base, ws))["status"] == "completed"
    original = {lead.id: lead.phone for lead in db.session.scalars(
        select(Lead).filter_by(workspace_id=ws).where(Lead.email_key.is_not(None)))}
    first, second = update_import(changed(base, "1"), ws), update_import(changed(base, "2"), ws)
    for import_id in (first, second):
        assert enqueue_job(import_id)
    for _ in range(2):
        workers.start(IMPORT_BATCH_SIZE="500")
    wait_until(lambda: {get_import(i).status for i in (first, second)} <= {"completed", "failed"}, 300,
               message="both imports")
    assert [get_import(i).status for i in (first, second)] == ["completed", "completed"], workers.logs()
    # Each lead of the file is updated by both; a row invalid in the first file (an unknown status) is valid
    # in these, and becomes a new lead of one import that the other updates.
    assert min(get_import(first).updated, get_import(second).updated) >= len(original)

    # For each lead one import changed the phone first: the other's before-value is the first one's after.
    changes = {}
    for change in db.session.scalars(select(LeadChange).filter_by(field="phone").order_by(LeadChange.id)):
        changes.setdefault(change.lead_id, []).append(change)
    changes = {lead_id: pair for lead_id, pair in changes.items() if lead_id in original}
    assert len(changes) == len(original) and all(len(pair) == 2 for pair in changes.values())
    for lead_id, (earlier, later) in changes.items():
        assert earlier.before == original[lead_id] and later.before == earlier.after
    assert {earlier.import_id for earlier, _ in changes.values()} <= {first, second}

    undone = undo_import(get_import(first))
    phones = {lead.id: lead.phone for lead in db.session.scalars(select(Lead).filter_by(workspace_id=ws))}
    for lead_id, (earlier, later) in changes.items():
        if later.import_id == first:  # first wrote last: its value is put back to what the other wrote
            assert phones[lead_id] == earlier.after
        else:  # the other import changed it since: it stays
            assert phones[lead_id] == later.after
    kept = sum(1 for earlier, later in changes.values() if later.import_id != first)
    assert undone.kept >= kept
