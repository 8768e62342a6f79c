"""The mapping page's choices for existing leads and its Check button, the sample row in update mode, the
check's page and Start Import from it, the list of changes and its CSV (formula-safe), and Undo's words."""
import io
import re

import pytest

from leadcrm.extensions import db
from leadcrm.imports.engine.process import process_import
from leadcrm.models import LeadImport
from tests.support.imports import create_import, get_import
from tests.support.csvfiles import downloaded

HX = {"HX-Request": "true"}
BASE = "first_name,email,phone,status\nAnn,ann@example.com,+1 555 0100,new\nBob,bob@example.com,222,lost\n"
CHANGED = "first_name,email,phone,status\nAnn,ann@example.com,+1 555 0199,contacted\nCy,cy@example.com,1,\n"
MAPPING = {"first_name": "first_name", "email": "email", "phone": "phone", "status": "status"}


def upload(auth_client, text: str, name="leads.csv") -> int:
    response = auth_client.post("/imports/", data={"file": (io.BytesIO(text.encode()), name)},
                                content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(re.search(r"/imports/(\d+)/mapping", response.headers["Location"]).group(1))


def form(choices: dict, **extra) -> dict:
    data = {f"col_{i}": field for i, field in enumerate(MAPPING.values())}
    data.update(source="", status="", tags="", **choices, **extra)
    return data


UPDATE = {"existing_leads": "update", "blank_cells": "leave", "tag_mode": "add"}


@pytest.fixture
def existing(app, user):
    with app.app_context():
        assert process_import(create_import(BASE, user["workspace_id"]))["status"] == "completed"


def test_the_mapping_page_offers_skip_or_update_with_skip_chosen(app, auth_client, existing):
    import_id = upload(auth_client, CHANGED)
    html = auth_client.get(f"/imports/{import_id}/mapping").get_data(as_text=True)
    assert "Leads that already exist in this workspace (same email)" in html
    assert re.search(r'<input checked[^>]*value="skip"|<input[^>]*value="skip"[^>]*checked', html)
    assert 'value="update"' in html and "Leave the lead&#39;s value" in html and "Replace the lead&#39;s tags" in html
    assert "where the row has no value" in html
    assert 'value="Check the whole file"' in html and "a check runs at once" in html


def test_the_sample_row_shows_how_the_first_existing_lead_will_change(app, auth_client, existing):
    import_id = upload(auth_client, CHANGED)
    html = auth_client.post(f"/imports/{import_id}/sample", data=form(UPDATE), headers=HX).get_data(as_text=True)
    assert "Row 1 of the preview (ann@example.com) belongs to an existing lead and <strong>will update</strong>" in html
    assert '<li>Phone: <span class="before">+1 555 0100</span> → <span class="after">+1 555 0199</span></li>' in html
    assert '<li>Status: <span class="before">new</span> → <span class="after">contacted</span></li>' in html
    skip = auth_client.post(f"/imports/{import_id}/sample", data=form({**UPDATE, "existing_leads": "skip"}),
                            headers=HX).get_data(as_text=True)
    assert "data-sample-update" not in skip


def test_choices_are_kept_for_the_upload_until_it_starts(app, auth_client, existing):
    import_id = upload(auth_client, CHANGED)
    auth_client.post(f"/imports/{import_id}/sample", data=form({**UPDATE, "tag_mode": "replace"}, col_3=""), headers=HX)
    html = auth_client.get(f"/imports/{import_id}/mapping").get_data(as_text=True)
    assert re.search(r'<input checked[^>]*value="replace"|<input[^>]*value="replace"[^>]*checked', html)
    status_select = re.search(r'<select[^>]*name="col_3".*?</select>', html, re.S).group(0)
    assert '<option selected value="">Do not import</option>' in status_select


def test_a_small_file_is_checked_on_the_spot_and_started_from_its_check(app, auth_client, existing):
    import_id = upload(auth_client, CHANGED)
    response = auth_client.post(f"/imports/{import_id}/mapping", data=form(UPDATE, check="Check the whole file"))
    assert response.status_code == 303 and response.headers["Location"] == f"/imports/{import_id}"
    html = auth_client.get(f"/imports/{import_id}").get_data(as_text=True)
    assert "Check of the whole file" in html and "What the import would do" in html
    assert re.search(r'data-stat="successful">2<', html) and re.search(r'data-stat="updated">1<', html)
    assert "Leads that would change: 1" in html
    with app.app_context():
        check = db.session.scalar(db.select(LeadImport).filter_by(check_of_id=import_id))
        assert (check.status, check.existing_leads, get_import(import_id).status) == ("completed", "update", "uploaded")
        check_id = check.id
    action = f"/imports/{import_id}/checks/{check_id}/start"
    assert f'action="{action}"' in html
    assert auth_client.post(action).status_code == 303
    with app.app_context():
        started = get_import(import_id)
        assert (started.status, started.existing_leads, started.mapping) == ("queued", "update", MAPPING)


def test_the_list_of_changes_and_its_csv_are_formula_safe(app, auth_client, existing, user):
    with app.app_context():
        import_id = create_import(CHANGED, user["workspace_id"])
        db.session.execute(db.update(LeadImport).filter_by(id=import_id).values(**UPDATE))
        db.session.commit()
        assert process_import(import_id)["status"] == "completed"
    page = auth_client.get(f"/imports/{import_id}/changes").get_data(as_text=True)
    assert "ann@example.com" in page and "+1 555 0100" in page and "+1 555 0199" in page
    only_status = auth_client.get(f"/imports/{import_id}/changes?field=status").get_data(as_text=True)
    assert "contacted" in only_status and "+1 555 0199" not in only_status
    assert auth_client.get(f"/imports/{import_id}/changes?field=email").status_code == 404
    response = auth_client.get(f"/imports/{import_id}/changes.csv")
    assert response.headers["Content-Disposition"] == f'attachment; filename="import-{import_id}-changes.csv"'
    rows = downloaded(response)
    assert rows == [["line", "email", "field", "before", "after"],
                    ["2", "ann@example.com", "phone", "'+1 555 0100", "'+1 555 0199"],
                    ["2", "ann@example.com", "status", "new", "contacted"]]
    confirm = auth_client.get(f"/imports/{import_id}/undo").get_data(as_text=True)
    assert "It puts back the 2 values it changed" in " ".join(confirm.split())
    undone = auth_client.post(f"/imports/{import_id}/undo", follow_redirects=True).get_data(as_text=True)
    assert "Import undone: 1 lead deleted, 2 values put back." in undone


def test_another_workspace_cannot_see_changes_or_start_a_check(app, auth_client, other_client, existing):
    import_id = upload(auth_client, CHANGED)
    auth_client.post(f"/imports/{import_id}/mapping", data=form(UPDATE, check="Check the whole file"))
    with app.app_context():
        check_id = db.session.scalar(db.select(LeadImport.id).filter_by(check_of_id=import_id))
    for path in (f"/imports/{check_id}/changes", f"/imports/{check_id}/changes.csv", f"/imports/{check_id}/summary"):
        assert other_client.get(path).status_code == 404
    assert other_client.post(f"/imports/{import_id}/checks/{check_id}/start").status_code == 404
    with app.app_context():
        assert get_import(import_id).status == "uploaded"
