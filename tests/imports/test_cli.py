"""flask import-leads: the engine in the foreground, with --json and --map."""
import json

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
    result = runner.invoke(args=["import-leads", str(csv_file), "--workspace", "acme", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert {k: figures[k] for k in ("total", "processed", "successful", "skipped", "errors")} == {
        "total": 4, "processed": 4, "successful": 2, "skipped": 2, "errors": 0}
    assert figures["seconds"] >= 0
    with app.app_context():
        imp = db.session.scalars(db.select(LeadImport)).one()
        assert imp.status == "completed" and imp.created_by_id is None
        assert imp.mapping == {"E-mail": "email", "Given name": "first_name", "Stage": "status", "Comment": "notes"}
        assert [(lead.first_name, lead.status) for lead in leads(workspace_id)] == [("Ann", "qualified"), ("No email", "lost")]


def test_map_options_choose_the_columns(app, runner, csv_file, workspace_id):
    result = runner.invoke(args=["import-leads", str(csv_file), "--workspace", "Acme",
                                 "--map", "Given name=last_name", "--map", "Comment=notes"])
    assert result.exit_code == 0, result.output
    assert "4 of 4 rows, 4 imported, 0 skipped, 0 errors" in result.output
    with app.app_context():
        assert sorted(lead.last_name for lead in leads(workspace_id)) == ["Ann", "Ann again", "Bob", "No email"]
        assert all(lead.email == "" for lead in leads(workspace_id))


@pytest.mark.parametrize("args, message", [
    (["--workspace", "Nowhere"], "no workspace named 'Nowhere'"),
    (["--workspace", "Acme", "--map", "Missing=email"], "should be \"CSV column=field\""),
    (["--workspace", "Acme", "--map", "Stage=email", "--map", "Comment=email"], "more than one column"),
])
def test_usage_errors(runner, csv_file, workspace_id, args, message):
    result = runner.invoke(args=["import-leads", str(csv_file), *args])
    assert result.exit_code != 0
    assert message in result.output
