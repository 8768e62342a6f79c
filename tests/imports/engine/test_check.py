"""A check of the whole file predicts the import exactly (figures, row issues, changes), on real SQLite and
PostgreSQL, writes no lead, company, tag or link, and is recovered like an import when its worker dies."""
import codecs
import signal

import pytest
from sqlalchemy import func, select

from leadcrm.extensions import db
from leadcrm.imports import lifecycle
from leadcrm.imports.engine.process import process_import
from leadcrm.imports.jobs.control import requeue_import
from leadcrm.models import Company, ImportRowIssue, ImportSeenEmail, Lead, LeadChange, LeadImport, Tag, lead_tag
from tests.support.imports import create_import, get_import, issues, kill_the_parser_mid_import, workspace

EXISTING = "first_name,email,phone,status,tags,company\nOld,old@example.com,1,new,vip,Acme\nKeep,keep@example.com,2,lost,,\n"
FILE = "\r\n".join([
    "first_name,email,phone,status,tags,company,notes",
    "Ann,ann@example.com,10,new,\"a, b\",Initech,\"two\nlines\"",   # 2-3 new, a quoted newline
    "Bad,not-an-email,,,,,",                                       # 4 invalid email
    "",                                                            # 5 blank: not a row
    "Old,OLD@example.com,9,qualified,new,Acme,",                   # 6 exists: skipped, or updated
    "Ann again,ann@example.com,,,,,",                              # 7 repeats line 2
    "Keep,keep@example.com,2,lost,,,",                             # 8 exists: skipped, or up to date
    "Cy,cy@example.com,5,bogus,,,",                                # 9 invalid status
    "Short,x@example.com",                                         # 10 wrong number of fields
    "Old twice,old@example.com,8,,,,",                             # 11 repeats line 6
    ",,,,,,",                                                      # 12 no value: not a row
    "NoMail,,3,,,Globex,",                                         # 13 new, no email
]) + "\r\n"
MODES = [
    {"existing_leads": "skip", "blank_cells": "leave", "tag_mode": "add"},
    {"existing_leads": "update", "blank_cells": "leave", "tag_mode": "add"},
    {"existing_leads": "update", "blank_cells": "clear", "tag_mode": "replace"},
]


@pytest.fixture(autouse=True)
def app_context(app):
    with app.app_context():
        yield


def uploaded(text: str | bytes, ws: int) -> int:
    import_id = create_import(text, ws)
    db.session.execute(db.update(LeadImport).filter_by(id=import_id).values(status="uploaded", queued_at=None))
    db.session.commit()
    return import_id


def check(import_id: int, choices: dict, fork: bool = True) -> LeadImport:
    """fork=False: as a check in the request runs (a small file), batch by batch in the writing process."""
    imp = get_import(import_id)
    check = lifecycle.start_check(db.session, import_id, imp.mapping, imp.defaults, choices)
    db.session.commit()
    assert process_import(check.id, fork=fork)["status"] == "completed"
    return get_import(check.id)


def start(import_id: int, choices: dict) -> LeadImport:
    imp = get_import(import_id)
    assert lifecycle.start(db.session, import_id, imp.mapping, imp.defaults, choices)
    db.session.commit()
    assert process_import(import_id)["status"] == "completed"
    return get_import(import_id)


def figures(imp: LeadImport) -> tuple:
    return imp.total_rows, imp.processed, imp.successful, imp.updated, imp.skipped, imp.errors


def recorded_changes(import_id: int) -> list[tuple]:
    return sorted(db.session.execute(select(LeadChange.lead_id, LeadChange.line, LeadChange.field, LeadChange.before,
                                            LeadChange.after).filter_by(import_id=import_id)).all())


def written() -> tuple:
    return tuple(db.session.scalar(select(func.count()).select_from(table)) for table in (Lead, Company, Tag, lead_tag))


@pytest.mark.parametrize("choices", MODES, ids=["skip", "update", "update-clear-replace"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
@pytest.mark.parametrize("fork", [True, False], ids=["queued", "in-request"])
def test_the_check_predicts_the_import_exactly(app, choices, encoding, fork):
    ws = workspace()
    process_import(create_import(EXISTING, ws))
    app.config["IMPORT_BATCH_SIZE"] = 3  # decisions across batches too
    import_id = uploaded(codecs.encode(FILE, encoding), ws)
    before = written()
    checked = check(import_id, choices, fork)
    assert written() == before, "a check writes no lead, company, tag or link"
    assert db.session.scalar(select(func.count()).select_from(ImportSeenEmail)) == 0, "its working set is gone"
    imported = start(import_id, choices)
    assert figures(imported) == figures(checked)
    assert issues(imported.id) == issues(checked.id)
    assert recorded_changes(imported.id) == recorded_changes(checked.id)
    update = choices["existing_leads"] == "update"
    assert figures(imported) == (9, 9, 3 if update else 2, 1 if update else 0, 5 if update else 6, 1)
    codes = [code for code, in db.session.execute(
        select(ImportRowIssue.code).filter_by(import_id=imported.id).order_by(ImportRowIssue.line))]
    assert codes == ["invalid_email", "repeated_email", "unchanged", "invalid_status", "field_count",
                     "repeated_email"] if update \
        else ["invalid_email", "existing_email", "repeated_email", "existing_email", "invalid_status", "field_count",
              "existing_email"]


def test_a_check_after_which_the_workspace_changed_differs_and_the_import_decides_again(app):
    ws = workspace()
    import_id = uploaded("email,first_name\nnew@example.com,New\nother@example.com,Other\n", ws)
    choices = MODES[0]
    checked = check(import_id, choices)
    assert (checked.successful, checked.skipped) == (2, 0)
    process_import(create_import("email\nnew@example.com\n", ws))  # another import takes one email meanwhile
    imported = start(import_id, choices)
    assert (imported.successful, imported.skipped) == (1, 1)
    assert issues(imported.id)[0][1] == "duplicate"


def test_checking_twice_gives_the_same_result(app):
    ws = workspace()
    import_id = uploaded(FILE, ws)
    first, second = check(import_id, MODES[1]), check(import_id, MODES[1])
    assert figures(first) == figures(second) and issues(first.id) == issues(second.id)
    assert get_import(import_id).status == "uploaded"


def test_a_check_can_be_cancelled(app):
    ws = workspace()
    import_id = uploaded(FILE, ws)
    imp = get_import(import_id)
    queued = lifecycle.start_check(db.session, import_id, imp.mapping, imp.defaults, MODES[0])
    db.session.commit()
    assert lifecycle.cancel(db.session, queued.id)
    db.session.commit()
    assert process_import(queued.id)["status"] == "not claimed"
    assert get_import(queued.id).status == "cancelled"


def test_no_check_once_the_import_has_started(app):
    ws = workspace()
    import_id = uploaded(FILE, ws)
    start(import_id, MODES[0])
    imp = get_import(import_id)
    assert lifecycle.start_check(db.session, import_id, imp.mapping, imp.defaults, MODES[0]) is None


@pytest.mark.parametrize("choices", MODES[:2], ids=["skip", "update"])
def test_a_check_whose_parser_was_killed_resumes_to_the_figures_of_a_clean_check(app, tmp_path, choices):
    """A resumed check meets the emails of the rows before its checkpoint again: rows after it that repeat
    them are still duplicates of the file, as in a check run in one go."""
    ws = workspace()
    repeated = "".join(f"Again,lead{n}@example.com,1,new,,,\n" for n in range(0, 30_000, 7))
    body = "".join(f"Lead,lead{n}@example.com,{n},new,,,\n" for n in range(30_000)) + repeated
    process_import(create_import("email\nlead5@example.com\n", ws))
    import_id = uploaded("first_name,email,phone,status,tags,company,notes\n" + body, ws)
    app.config["IMPORT_BATCH_SIZE"] = 500
    imp = get_import(import_id)
    killed = lifecycle.start_check(db.session, import_id, imp.mapping, imp.defaults, choices)
    db.session.commit()
    assert type(kill_the_parser_mid_import(app, killed.id, signal.SIGKILL, 60)).__name__ == "ParserStopped"
    assert 0 < get_import(killed.id).checkpoint_rows < 30_000
    assert requeue_import(killed.id)
    assert process_import(killed.id)["status"] == "completed"
    clean = check(import_id, choices)
    resumed = get_import(killed.id)
    assert figures(resumed) == figures(clean)
    assert issues(resumed.id) == issues(clean.id)
    update = choices["existing_leads"] == "update"
    assert (resumed.updated, resumed.skipped) == (1, len(range(0, 30_000, 7))) if update \
        else (0, 1 + len(range(0, 30_000, 7)))
