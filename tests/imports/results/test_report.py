"""The error report: original columns plus line and reason, streamed, formulas neutralised."""

import pytest

from leadcrm.extensions import db
from leadcrm.imports.results.report import neutralise
from tests.support.factories import make_import, make_issue
from tests.support.csvfiles import downloaded


@pytest.mark.parametrize("cell, expected", [
    ("=1+1", "'=1+1"), ("+49 30 1234", "'+49 30 1234"), ("-5", "'-5"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tcmd", "'\tcmd"), ("\rcmd", "'\rcmd"), ("plain", "plain"), ("a=b", "a=b"), ("", ""), ("'quoted", "'quoted"),
])
def test_neutralise(cell, expected):
    assert neutralise(cell) == expected


def test_report_is_a_streamed_attachment_with_original_columns_line_and_reason(app, auth_client, user):
    with app.app_context():
        import_id = make_import(user["workspace_id"], user["id"])
        make_issue(import_id, 7, "invalid", "Email 'x' is not valid.", ["=HYPERLINK(\"http://evil\")", "x", "@Co"])
        make_issue(import_id, 3, "duplicate", "-already there", ["Ann", "ann@example.com", "Acme, Inc."])
        make_issue(import_id, 9, "error", "Too few cells.", ["Only one"])
        make_issue(import_id, 11, "invalid", "Too many cells.", ["a", "b", "c", "d"])
        db.session.commit()
    response = auth_client.get(f"/imports/{import_id}/report.csv")
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="import-{import_id}-issues.csv"'
    rows = downloaded(response)
    assert rows == [
        ["First Name", "Email", "Company", "line", "reason"],
        ["Ann", "ann@example.com", "Acme, Inc.", "3", "'-already there"],
        ["'=HYPERLINK(\"http://evil\")", "x", "'@Co", "7", "Email 'x' is not valid."],
        ["Only one", "", "", "9", "Too few cells."],
        ["a", "b", "c", "11", "Too many cells."],
    ]


def test_report_of_one_kind(app, auth_client, user):
    with app.app_context():
        import_id = make_import(user["workspace_id"], user["id"])
        make_issue(import_id, 3, "duplicate", "dup")
        make_issue(import_id, 4, "invalid", "bad")
        db.session.commit()
    response = auth_client.get(f"/imports/{import_id}/report.csv?kind=duplicate")
    rows = downloaded(response)
    assert [row[-1] for row in rows] == ["reason", "dup"]
    assert 'filename="import-' in response.headers["Content-Disposition"]


def test_large_report_streams_in_chunks(app, auth_client, user):
    with app.app_context():
        import_id = make_import(user["workspace_id"], user["id"])
        db.session.execute(db.insert(db.metadata.tables["import_row_issue"]), [
            {"import_id": import_id, "line": line, "kind": "duplicate", "code": "existing_email", "reason": "dup",
             "values": ["a", "b", "c"]}
            for line in range(2, 5002)
        ])
        db.session.commit()
    response = auth_client.get(f"/imports/{import_id}/report.csv")
    chunks = [chunk for chunk in response.response if chunk]
    assert len(chunks) == 5  # 1,000 issues a chunk, the header with the first
    assert b"".join(chunks).count(b"\r\n") == 5001
