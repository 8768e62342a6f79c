"""flask import-leads: the engine in the foreground, with --json and --map."""
import json
import re
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import psutil
import pytest

from leadcrm import embedded_redis
from leadcrm.extensions import db
from leadcrm.models import LeadImport
from tests.conftest import ROOT, make_user
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


def test_a_european_excel_export_is_told_which_options_read_it_and_they_do(app, runner, tmp_path, workspace_id):
    path = tmp_path / "excel.csv"
    path.write_bytes("Vorname;Nachname;E-Mail;Betrag\r\nJürgen;Müller;j@example.de;1.234,50\r\n".encode("cp1252"))
    result = runner.invoke(args=["import-leads", str(path), "--workspace", "Acme"])
    assert result.exit_code == 1
    assert result.output == (
        "Error: Invalid CSV format: the file is not UTF-8 (line 2 holds bytes that are not UTF-8). It is most likely "
        "windows-1252, separated by semicolons: line 2 would read “Jürgen;Müller;j@example.de;1.234,50”. "
        "Run again with --encoding cp1252 --delimiter ';', or save it as CSV UTF-8 and upload it again.\n")
    result = runner.invoke(args=["import-leads", str(path), "--workspace", "Acme", "--encoding", "cp1252",
                                 "--delimiter", ";", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["successful"] == 1
    with app.app_context():
        assert [(lead.first_name, lead.last_name, lead.deal_value) for lead in leads(workspace_id)] == [
            ("Jürgen", "Müller", Decimal("1234.50"))]


def test_a_tab_separated_file_is_told_to_use_delimiter_tab(app, runner, tmp_path, workspace_id):
    path = tmp_path / "tabs.csv"
    path.write_text("first_name\temail\nZoë\tz@example.com\n", encoding="utf-8")
    result = runner.invoke(args=["import-leads", str(path), "--workspace", "Acme"])
    assert result.exit_code == 1 and "Run again with --delimiter tab, or save it" in result.output
    result = runner.invoke(args=["import-leads", str(path), "--workspace", "Acme", "--delimiter", "tab", "--json"])
    assert result.exit_code == 0 and json.loads(result.output)["successful"] == 1, result.output


@pytest.mark.parametrize("args, message", [
    (["--encoding", "klingon"], "Error: Invalid value for '--encoding': 'klingon' is not an encoding Python knows"),
    (["--delimiter", ";;"], "Error: Invalid value for '--delimiter': ';;' is not one character"),
])
def test_bad_encoding_and_delimiter_options_say_what_works(app, runner, csv_file, workspace_id, args, message):
    result = runner.invoke(args=["import-leads", str(csv_file), "--workspace", "Acme", *args])
    assert result.exit_code == 2 and message in result.output, result.output


def test_the_history_says_a_command_line_import_was_started_by_the_command_line(app, runner, auth_client, user,
                                                                                 csv_file):
    assert runner.invoke(args=["import-leads", str(csv_file), "--workspace", "Acme"]).exit_code == 0
    with app.app_context():
        import_id = db.session.scalar(db.select(LeadImport.id))
    history = auth_client.get("/imports/").get_data(as_text=True)
    row = re.search(rf'<tr id="import-{import_id}-row".*?</tr>', history, re.S).group(0)
    assert "<td>command line</td>" in row
    assert "By command line," in auth_client.get(f"/imports/{import_id}").get_data(as_text=True)


def test_a_command_line_import_leaves_no_redis_server_behind(app, csv_file, workspace_id, subprocess_env):
    env = {name: value for name, value in subprocess_env.items() if name != "REDIS_URL"}  # the embedded defaults
    instance = Path(env["INSTANCE_PATH"])
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "import-leads", str(csv_file),
                             "--workspace", "Acme"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert re.match(r"Import \d+ completed: 4 of 4 rows", result.stdout), result.stdout
    assert not (instance / "redis").exists(), "no server was started: no pid file, no URL, no data"
    assert _redis_servers_of(instance) == []
    # What uses the queue does start it, on the same instance folder: a worker.
    worker = subprocess.run([sys.executable, "worker.py", "--burst"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    try:
        assert worker.returncode == 0, worker.stderr
        assert (instance / "redis" / "redis.pid").is_file() and len(_redis_servers_of(instance)) == 1
    finally:
        embedded_redis.stop(instance)


def _redis_servers_of(instance: Path) -> list:
    """redis-server processes working in the instance folder (--dir makes the server chdir there; it rewrites its
    command line, so that cannot tell)."""
    return [process for process in psutil.process_iter(["name", "cwd"])
            if "redis" in (process.info["name"] or "") and str(instance) in (process.info["cwd"] or "")]


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
