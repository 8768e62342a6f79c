"""flask import-leads: the engine in the foreground, with --json and --map."""
import json
import re
import time
from pathlib import Path

import pytest

from leadcrm.extensions import db
from leadcrm.models import LeadImport
from tests.conftest import make_user
from tests.support.imports import leads


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("E-mail,Given name,Stage,Comment\n"
                    "ann@example.com,Ann,qualified,hi\n"
                    "ANN@example.com,Ann again,new,\n"
                    "bob@,Bob,new,\n"
                    ",No email,lost,x\n", encoding="utf-8")
    return path


@pytest.fixture
def workspace_id(app):
    with app.app_context():
        return make_user().workspace_id


def test_json_output_and_automatic_mapping(app, runner, csv_file, workspace_id):
    started = time.monotonic()
    result = runner.invoke(args=["import-leads", str(csv_file), "--workspace", "acme", "--json"])
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    seconds = figures.pop("seconds")
    assert figures == {"total": 4, "processed": 4, "successful": 2, "new": 2, "updated": 0, "skipped": 2, "errors": 0}
    # The import's own time: more than nothing, and within the command's (rounded to the millisecond).
    assert isinstance(seconds, float) and 0 < seconds <= elapsed + 0.0005, (seconds, elapsed)
    with app.app_context():
        imp = db.session.scalars(db.select(LeadImport)).one()
        assert imp.status == "completed" and imp.created_by_id is None
        assert imp.mapping == {"E-mail": "email", "Given name": "first_name", "Stage": "status", "Comment": "notes"}
        assert [(lead.first_name, lead.status) for lead in leads(workspace_id)] == [("Ann", "qualified"), ("No email", "lost")]


def test_map_options_choose_the_columns(app, runner, csv_file, workspace_id):
    result = runner.invoke(args=["import-leads", str(csv_file), "--workspace", "Acme",
                                 "--map", "Given name=last_name", "--map", "Comment=notes"])
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"Import \d+ completed: 4 of 4 rows, 4 imported, 0 skipped, 0 errors, in \d+\.\d s\.\n",
                        result.output), result.output
    with app.app_context():
        assert sorted(lead.last_name for lead in leads(workspace_id)) == ["Ann", "Ann again", "Bob", "No email"]
        assert all(lead.email == "" for lead in leads(workspace_id))


@pytest.mark.parametrize("args, exit_code, message", [
    (["--workspace", "Nowhere"], 1, "Error: There is no workspace named 'Nowhere'. Create it with: flask create-user"),
    (["--workspace", "Acme", "--map", "Missing=email"], 2,
     "Error: Invalid value for --map: 'Missing=email' should be \"CSV column=field\" with a column of the file's "
     "header (E-mail, Given name, Stage, Comment)."),
    (["--workspace", "Acme", "--map", "Stage=email", "--map", "Comment=email"], 1,
     "Error: Email is chosen for more than one column ('Stage' and 'Comment')."),
])
def test_usage_errors_leave_nothing_behind(app, runner, csv_file, workspace_id, args, exit_code, message):
    result = runner.invoke(args=["import-leads", str(csv_file), *args])
    assert result.exit_code == exit_code, result.output
    assert message in result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(LeadImport)) == 0
    uploads = Path(app.config["UPLOAD_FOLDER"])
    assert [p for p in uploads.rglob("*") if p.is_file()] == [], "the stored copy of the file is removed"


def test_a_workbook_sheet_chosen_with_sheet(app, runner, tmp_path, workspace_id):
    from tests.support.workbooks import save, workbook

    path = save(workbook({"Notes": [["Text"], ["x"]], "Leads": [["E-mail", "Given name"], ["ann@example.com", "Ann"]]}),
                tmp_path / "book.xlsx")
    refused = runner.invoke(args=["import-leads", str(path), "--workspace", "Acme"])
    assert refused.exit_code == 1
    assert "The workbook has several sheets with data: choose one with --sheet NAME (Notes, Leads)." in refused.output
    result = runner.invoke(args=["import-leads", str(path), "--workspace", "Acme", "--sheet", "Leads", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert (figures["total"], figures["successful"]) == (1, 1)
    with app.app_context():
        assert db.session.scalars(db.select(LeadImport.sheet)).one() == "Leads"
        assert [(lead.first_name, lead.email) for lead in leads(workspace_id)] == [("Ann", "ann@example.com")]
