"""The mapping page's "How the file's values are read": the status column's values from a scan of the whole
file with their readings, the number format detected and kept, and both applied by the import."""
import io
import re

import pytest

from leadcrm.extensions import db
from leadcrm.imports.engine.process import process_import
from leadcrm.imports.mapping import scan
from leadcrm.models import Lead, LeadImport
from tests.support.imports import get_import, issues

HX = {"HX-Request": "true"}
HEADER = "Name,Email,Lead Status,Amount\n"


def upload(auth_client, text: str, name="leads.csv") -> int:
    response = auth_client.post("/imports/", data={"file": (io.BytesIO(text.encode()), name)},
                                content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(re.search(r"/imports/(\d+)/mapping", response.headers["Location"]).group(1))


def selected(html: str, name: str) -> str:
    select = re.search(rf'<select[^>]*name="{name}".*?</select>', html, re.S).group(0)
    return re.search(r'<option selected value="([^"]*)"', select).group(1)


def posted(**extra) -> dict:
    data = {"col_0": "first_name", "col_1": "email", "col_2": "status", "col_3": "deal_value", "source": "",
            "status": "", "tags": "", "existing_leads": "skip", "blank_cells": "leave", "tag_mode": "add"}
    data.update(extra)
    return data


def test_the_status_values_of_the_whole_file_with_their_counts_and_readings(app, auth_client, monkeypatch):
    rows = ["A,a@example.com,Closed Won,", "B,b@example.com,closed-won,", "C,c@example.com,Working,",
            "D,d@example.com,Maybe,", "E,e@example.com,,"] + [f"P{n},p{n}@example.com,new," for n in range(900)]
    monkeypatch.setattr(scan, "SCAN_ROWS", 10_000)
    import_id = upload(auth_client, HEADER + "\n".join(rows) + "\n")
    html = auth_client.get(f"/imports/{import_id}/mapping").get_data(as_text=True)
    table = re.search(r'<table class="status-values">.*?</table>', html, re.S).group(0)
    found = re.findall(r'<label for="(sv_\w+)">([^<]+)</label></th><td class="number">(\d+)</td>', table)
    assert found == [("sv_new", "new", "900"), ("sv_closedwon", "Closed Won", "2"), ("sv_maybe", "Maybe", "1"),
                     ("sv_working", "Working", "1")]
    assert [selected(html, name) for name, _, _ in found] == ["new", "converted", "skip", "contacted"]
    assert "Each value found in the file,\n    with how it will be read." in html


def test_a_file_longer_than_the_scan_says_so(app, auth_client, monkeypatch):
    monkeypatch.setattr(scan, "SCAN_ROWS", 3)
    rows = [f"P{n},p{n}@example.com,{'won' if n % 2 else 'lost'}," for n in range(10)]
    import_id = upload(auth_client, HEADER + "\n".join(rows) + "\n")
    html = auth_client.get(f"/imports/{import_id}/mapping").get_data(as_text=True)
    assert "found in the first 3 rows of the file" in html and "The check of the whole file lists any other value." in html


def test_the_chosen_readings_apply_in_the_import_and_are_remembered(app, auth_client, user):
    text = HEADER + "Ann,ann@example.com,Maybe,\nBob,bob@example.com,Won,\nCy,cy@example.com,Dead,\n"
    import_id = upload(auth_client, text)
    response = auth_client.post(f"/imports/{import_id}/mapping", data=posted(
        status="contacted", sv_maybe="default", sv_won="qualified", sv_dead="skip", start="Start Import"))
    assert response.status_code == 303
    with app.app_context():
        imp = get_import(import_id)
        assert imp.rules["status_values"] == {"maybe": "default", "won": "qualified", "dead": "skip"}
        assert process_import(import_id)["status"] == "completed"
        statuses = dict(db.session.execute(db.select(Lead.email, Lead.status).filter_by(import_id=import_id)).all())
        assert statuses == {"ann@example.com": "contacted", "bob@example.com": "qualified"}
        (line, kind, reason, _), = issues(import_id)
        assert (line, kind, reason) == (4, "invalid", "Status 'Dead' in column 'Lead Status' is set to skip its rows "
                                                      "on the mapping page.")
    again = upload(auth_client, text, "again.csv")
    html = auth_client.get(f"/imports/{again}/mapping").get_data(as_text=True)
    assert [selected(html, name) for name in ("sv_maybe", "sv_won", "sv_dead")] == ["default", "qualified", "skip"]


def test_the_number_format_is_detected_kept_and_detected_again_for_another_column(app, auth_client):
    text = "Name;Email;Amount;Budget\nAnn;ann@example.com;1.234,50;12,5\nBob;bob@example.com;99,90;7\n"
    response = auth_client.post("/imports/", data={"file": (io.BytesIO(text.encode()), "de.csv")},
                                content_type="multipart/form-data")
    offer = re.search(r'name="upload" type="hidden" value="([^"]+)"', response.get_data(as_text=True)).group(1)
    import_id = int(re.search(r"/imports/(\d+)/mapping",
                              auth_client.post("/imports/retry", data={"upload": offer}).headers["Location"]).group(1))
    html = auth_client.get(f"/imports/{import_id}/mapping").get_data(as_text=True)
    assert selected(html, "number_format") == "comma"
    assert "Amounts are read as 1.234,50 = one thousand two hundred thirty-four and a half" in html
    data = {"col_0": "first_name", "col_1": "email", "col_2": "deal_value", "col_3": "", "source": "", "status": "",
            "tags": "", "existing_leads": "skip", "blank_cells": "leave", "tag_mode": "add",
            "number_format_columns": "Amount"}
    kept = auth_client.post(f"/imports/{import_id}/sample", data={**data, "number_format": "point"}, headers=HX)
    assert selected(kept.get_data(as_text=True), "number_format") == "point"
    assert "Deal Value &#39;1.234,50&#39; in column &#39;Amount&#39; is not a non-negative amount" in kept.get_data(as_text=True)
    moved = auth_client.post(f"/imports/{import_id}/sample", headers=HX, data={
        **data, "col_2": "", "col_3": "deal_value", "number_format": "point"})
    assert selected(moved.get_data(as_text=True), "number_format") == "comma", "another amount column: detected again"
    sample = auth_client.post(f"/imports/{import_id}/sample", data={**data, "number_format": "comma"}, headers=HX)
    assert re.search(r"Deal Value</th><td class=\"values\">1234.50<", sample.get_data(as_text=True))
    with app.app_context():
        assert get_import(import_id).rules["number_format"] == "comma"


@pytest.mark.parametrize("status_column", ["", "status"])
def test_the_value_rules_come_with_the_sample_row_out_of_band(app, auth_client, status_column):
    import_id = upload(auth_client, HEADER + "Ann,ann@example.com,Won,\n")
    response = auth_client.post(f"/imports/{import_id}/sample", data=posted(col_2=status_column), headers=HX)
    html = response.get_data(as_text=True)
    assert html.startswith('<div id="sample-row"')
    assert '<section id="value-rules" class="card value-rules" hx-swap-oob="true">' in html
    assert ("Values in the status column Lead Status" in html) == bool(status_column)
    with app.app_context():
        assert db.session.get(LeadImport, import_id).mapping["Lead Status"] == status_column
