"""Import history, the detail page, error details, cancel, and workspace isolation of every import URL."""
import re
from datetime import timedelta
from pathlib import Path

import pytest

from leadcrm.extensions import db
from leadcrm.models import LeadImport, utcnow
from tests.support.factories import make_import, make_issue

HX = {"HX-Request": "true"}


def test_history_lists_imports_newest_first_with_who_when_status_and_figures(app, auth_client, user):
    with app.app_context():
        first = make_import(user["workspace_id"], user["id"], original_filename="first.csv")
        second = make_import(user["workspace_id"], user["id"], original_filename="second.csv", status="running",
                             finished_at=None, total_rows=500, processed=120, successful=110, skipped=7, errors=3)
    html = auth_client.get("/imports/").get_data(as_text=True)
    assert 'href="/imports/new"' in html and "New Import" in html
    assert html.index("second.csv") < html.index("first.csv")
    assert f'href="/imports/{first}"' in html and user["email"] in html and " UTC" in html
    row = re.search(rf'<tr id="import-{second}-row".*?</tr>', html, re.S).group(0)
    assert 'hx-trigger="every 1s"' in row and f'hx-get="/imports/{second}/row"' in row
    assert "running" in row and 'data-stat="processed">120<' in row and 'data-stat="errors">3<' in row
    finished_row = re.search(rf'<tr id="import-{first}-row".*?</tr>', html, re.S).group(0)
    assert "hx-trigger" not in finished_row


def test_history_row_fragment_stops_polling_when_finished(app, auth_client, user):
    with app.app_context():
        running = make_import(user["workspace_id"], user["id"], status="running", finished_at=None)
        done = make_import(user["workspace_id"], user["id"])
    response = auth_client.get(f"/imports/{running}/row", headers=HX)
    assert response.status_code == 200 and 'hx-trigger="every 1s"' in response.get_data(as_text=True)
    response = auth_client.get(f"/imports/{done}/row", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 286 and html.startswith(f'<tr id="import-{done}-row"') and "hx-trigger" not in html


def test_history_is_paginated_and_shows_only_the_workspace(app, auth_client, other_client, user):
    with app.app_context():
        for n in range(23):
            make_import(user["workspace_id"], user["id"], original_filename=f"file-{n:02d}.csv")
    page1 = auth_client.get("/imports/").get_data(as_text=True)
    page2 = auth_client.get("/imports/?page=2").get_data(as_text=True)
    assert page1.count("<tr id=") == 20 and "file-22.csv" in page1 and "Page 1 of 2" in page1
    assert page2.count("<tr id=") == 3 and "file-00.csv" in page2
    elsewhere = other_client.get("/imports/").get_data(as_text=True)
    assert "No imports yet." in elsewhere and "file-" not in elsewhere


def test_detail_page_shows_mapping_defaults_and_problems_grouped_by_reason(app, auth_client, user):
    with app.app_context():
        import_id = make_import(user["workspace_id"], user["id"], original_filename="expo.csv",
                                mapping={"First Name": "first_name", "Email": "email", "Company": ""})
        make_issue(import_id, 3, "duplicate", "A lead with email a@x.com already exists.", ["Ann", "a@x.com", "Co"])
        make_issue(import_id, 5, "invalid", "Email 'nope' is not valid.", ["Bob", "nope", "Co"])
        db.session.commit()
    html = auth_client.get(f"/imports/{import_id}").get_data(as_text=True)
    assert "Import of expo.csv" in html
    assert "<td>First Name</td>" in html and "First Name</td>" in html and ">Email</td>" in html
    assert "Do not import" in html
    assert "Webinar" in html and "contacted" in html and "spring, vip" in html
    groups = re.findall(r'data-group="([a-z_]+)">\s*<p><strong>([^<]+)</strong> — <span data-group-count>(\d+)</span>', html)
    assert groups == [("existing_email", "Email already in this workspace", "1"), ("invalid_email", "Email not valid", "1")]
    assert "A lead with email a@x.com already exists. (line 3)" in html and "Email &#39;nope&#39; is not valid. (line 5)" in html
    assert f'href="/imports/{import_id}/issues?code=invalid_email&amp;column="' in html
    assert f'href="/imports/{import_id}/report.csv?code=invalid_email&amp;column="' in html
    assert f'href="/imports/{import_id}/report.csv"' in html and f'href="/imports/{import_id}/issues"' in html
    assert f'href="/imports/{import_id}/undo"' in html
    rows = auth_client.get(f"/imports/{import_id}/issues").get_data(as_text=True)
    assert "Email: a@x.com" in rows and "All (2)" in rows and "Duplicate (1)" in rows


def test_error_details_filter_by_kind_and_paginate(app, auth_client, user):
    with app.app_context():
        import_id = make_import(user["workspace_id"], user["id"])
        for line in range(2, 62):
            make_issue(import_id, line, "duplicate" if line % 2 else "invalid", f"reason of line {line}")
        make_issue(import_id, 100, "error", "The database refused the row.")
        db.session.commit()
    full = auth_client.get(f"/imports/{import_id}/issues").get_data(as_text=True)
    assert "<html" in full and "Page 1 of 2" in full and "reason of line 51<" in full
    assert "reason of line 52<" not in full
    partial = auth_client.get(f"/imports/{import_id}/issues?page=2", headers=HX).get_data(as_text=True)
    assert partial.startswith(f'<section id="import-{import_id}-issues"') and "<html" not in partial
    assert "reason of line 52<" in partial and "The database refused the row." in partial
    errors = auth_client.get(f"/imports/{import_id}/issues?kind=error", headers=HX).get_data(as_text=True)
    assert "The database refused the row." in errors and "reason of line" not in errors
    invalid = auth_client.get(f"/imports/{import_id}/issues?kind=invalid", headers=HX).get_data(as_text=True)
    assert invalid.count("<tr>") == 30 + 1  # 30 rows and the header row
    assert f'hx-get="/imports/{import_id}/issues?kind=invalid"' in invalid
    assert auth_client.get(f"/imports/{import_id}/issues?kind=bogus").status_code == 404


CANCELLING = "Cancelling the import. Leads imported so far stay; undo the import to remove them."
NOTHING_TO_CANCEL = "The import has already finished; there is nothing to cancel."


@pytest.mark.parametrize("status, expected, requested, message", [
    ("queued", "cancelled", True, CANCELLING), ("running", "running", True, CANCELLING),
    ("completed", "completed", False, NOTHING_TO_CANCEL),
])
def test_cancel(app, auth_client, user, status, expected, requested, message):
    with app.app_context():
        import_id = make_import(user["workspace_id"], user["id"], status=status)
    response = auth_client.post(f"/imports/{import_id}/cancel")
    assert response.status_code == 303 and response.headers["Location"] == f"/imports/{import_id}"
    html = auth_client.get(response.headers["Location"]).get_data(as_text=True)
    assert message in html and (CANCELLING in html) == requested
    with app.app_context():
        imp = db.session.get(LeadImport, import_id)
        assert imp.status == expected and imp.cancel_requested == requested
        if status == "queued":
            assert imp.finished_at is not None


@pytest.mark.parametrize("method, path", [
    ("get", "/imports/{id}"), ("get", "/imports/{id}/progress"), ("get", "/imports/{id}/row"),
    ("get", "/imports/{id}/issues"), ("get", "/imports/{id}/report.csv"), ("get", "/imports/{id}/undo"),
    ("post", "/imports/{id}/undo"), ("post", "/imports/{id}/cancel"),
])
def test_another_workspace_gets_404(app, other_client, user, method, path):
    with app.app_context():
        import_id = make_import(user["workspace_id"], user["id"], status="running")
    response = getattr(other_client, method)(path.format(id=import_id), headers=HX)
    assert response.status_code == 404
    with app.app_context():
        imp = db.session.get(LeadImport, import_id)
        assert imp.status == "running" and not imp.cancel_requested and imp.undone_at is None


def test_pages_need_login(app, client, user):
    with app.app_context():
        import_id = make_import(user["workspace_id"], user["id"])
    page = f"http://localhost/imports/{import_id}"
    response = client.get(f"/imports/{import_id}/progress", headers={**HX, "HX-Current-URL": page})
    # htmx is told to load the login page as the page, and to come back to the import's page after it.
    assert response.status_code == 401 and response.get_data() == b""
    assert response.headers["HX-Redirect"] == f"/login?next=%2Fimports%2F{import_id}"
    plain = client.get(f"/imports/{import_id}/progress")
    assert plain.status_code == 302
    assert plain.headers["Location"] == f"/login?next=%2Fimports%2F{import_id}%2Fprogress"


def test_an_import_not_yet_started_links_to_its_mapping(app, auth_client, user):
    with app.app_context():
        import_id = make_import(user["workspace_id"], user["id"], status="uploaded", mapping=None, total_rows=None,
                                processed=0, successful=0, skipped=0, errors=0, queued_at=None, started_at=None,
                                finished_at=None)
    html = auth_client.get(f"/imports/{import_id}").get_data(as_text=True)
    assert f'href="/imports/{import_id}/mapping"' in html and "has not been started" in html
    assert f'id="import-{import_id}-progress"' not in html and f'id="import-{import_id}-summary"' not in html


def test_an_upload_never_started_can_be_discarded_with_its_file_and_checks(app, auth_client, user):
    folder = Path(app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    with app.app_context():
        upload = make_import(user["workspace_id"], user["id"], status="uploaded", original_filename="never.csv",
                      total_rows=None, processed=0, successful=0, skipped=0, errors=0, started_at=None,
                      finished_at=None)
        stored = db.session.get(LeadImport, upload).stored_name
        check = make_import(user["workspace_id"], user["id"], check_of_id=upload, stored_name=stored,
                     finished_at=utcnow() - timedelta(seconds=1))
    (folder / stored).write_text("email\nann@example.com\n")
    row = re.search(rf'<tr id="import-{upload}-row".*?</tr>', auth_client.get("/imports/").get_data(as_text=True),
                    re.S).group(0)
    assert f'<form method="post" action="/imports/{upload}/discard" data-discard>' in row
    assert 'data-discard' in auth_client.get(f"/imports/{upload}").get_data(as_text=True)
    response = auth_client.post(f"/imports/{upload}/discard")
    assert response.status_code == 303 and response.headers["Location"] == "/imports/"
    assert "Discarded the upload of never.csv." in auth_client.get("/imports/").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(LeadImport, upload) is None and db.session.get(LeadImport, check) is None
    assert not (folder / stored).exists()


@pytest.mark.parametrize("status, check_status", [("queued", None), ("completed", None), ("uploaded", "running")])
def test_a_started_import_or_one_being_checked_is_not_discarded(app, auth_client, user, status, check_status):
    folder = Path(app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    with app.app_context():
        import_id = make_import(user["workspace_id"], user["id"], status=status, original_filename="busy.csv")
        stored = db.session.get(LeadImport, import_id).stored_name
        if check_status:
            make_import(user["workspace_id"], user["id"], status=check_status, check_of_id=import_id,
                        stored_name=stored, finished_at=None)
    (folder / stored).write_text("email\n")
    row = re.search(rf'<tr id="import-{import_id}-row".*?</tr>', auth_client.get("/imports/").get_data(as_text=True),
                    re.S).group(0)
    assert ("data-discard" in row) == (status == "uploaded")
    response = auth_client.post(f"/imports/{import_id}/discard")
    assert response.status_code == 303 and response.headers["Location"] == f"/imports/{import_id}"
    assert ("busy.csv was not discarded: it has been started, or its whole file is being checked "
            "(cancel the check first).") in auth_client.get(f"/imports/{import_id}").get_data(as_text=True)
    assert import_row_status(app, import_id) == status and (folder / stored).exists()


def test_the_history_hides_uploads_never_started_after_their_retention_and_says_so(app, auth_client, user):
    old = utcnow() - timedelta(hours=app.config["UPLOAD_RETENTION_HOURS"], minutes=1)
    waiting = dict(status="uploaded", total_rows=None, processed=0, successful=0, skipped=0, errors=0,
                   started_at=None, finished_at=None)
    with app.app_context():
        make_import(user["workspace_id"], user["id"], original_filename="old-upload.csv", created_at=old, **waiting)
        make_import(user["workspace_id"], user["id"], original_filename="fresh-upload.csv", **waiting)
        make_import(user["workspace_id"], user["id"], original_filename="old-import.csv", created_at=old)
    html = auth_client.get("/imports/").get_data(as_text=True)
    assert "old-upload.csv" not in html and "fresh-upload.csv" in html and "old-import.csv" in html
    assert ('1 upload that was never started\n  is hidden: an upload not started within 24 hours leaves the history.\n'
            '  <a href="/imports/?unstarted=all">Show it</a>') in html
    every = auth_client.get("/imports/?unstarted=all").get_data(as_text=True)
    assert "old-upload.csv" in every and "fresh-upload.csv" in every
    assert "Every upload never started is listed, however old." in every


def import_row_status(app, import_id):
    with app.app_context():
        return db.session.scalar(db.select(LeadImport.status).filter_by(id=import_id))
