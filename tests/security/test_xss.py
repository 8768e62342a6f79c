"""XSS: cells, column names and file names holding <script>, <img onerror> and javascript: are escaped in
every HTML response of the import and the leads list."""
import re

from flask import url_for
from markupsafe import escape

from leadcrm.extensions import db
from leadcrm.models import Lead
from tests.security.conftest import answer_of
from tests.support.csvfiles import IMG, SCRIPT, XSS_FILENAME, xss_csv
from tests.support.wizard import import_id_of, import_row, mapping_form, parse, start_import, upload

LIVE = [
    re.compile(r"<script>alert", re.I),
    re.compile(r"<img src=x", re.I),
    re.compile(r"""(href|src|action|formaction|hx-get|hx-post)\s*=\s*["']?\s*javascript:""", re.I),
]


def assert_escaped(response, where):
    if "html" not in response.content_type:
        return
    html = response.get_data(as_text=True)
    live = [p.pattern for p in LIVE if p.search(html)]
    assert live == [], f"{where}: unescaped payload {live}"


def test_payloads_are_escaped_on_every_page(app, auth_client, run_worker):
    text, expected = xss_csv()
    uploaded = upload(auth_client, XSS_FILENAME, text.encode())
    assert uploaded.status_code == 303, uploaded.get_data(as_text=True)[:2000]
    import_id = import_id_of(uploaded)

    mapping_page, form = mapping_form(auth_client, import_id)
    assert_escaped(mapping_page, "mapping page")
    html = mapping_page.get_data(as_text=True)
    assert str(escape(SCRIPT)) in html and str(escape(IMG)) in html, "the preview shows the payloads as text"

    # The sample row, with the payload column mapped to Phone.
    column = next(name for name, select in form.selects.items()
                  if parse(mapping_page).labels.get(select["id"]) == SCRIPT or name == SCRIPT)
    hx_post = next(a["hx-post"] for a in parse(mapping_page).hx if a["tag"] == "select" and a.get("hx-post"))
    payload = {name: select["selected"] for name, select in form.selects.items()}
    payload[column] = next(v for v, label in form.selects[column]["options"] if label == "Phone")
    sample = auth_client.post(hx_post, data=payload, headers={"HX-Request": "true"})
    assert sample.status_code == 200
    assert_escaped(sample, "sample row")
    assert str(escape(IMG)) in sample.get_data(as_text=True)

    started = start_import(auth_client, import_id, {column: "Phone"})
    assert started.status_code == 303
    result = run_worker()
    assert result.returncode == 0, result.stderr[-3000:]
    row = import_row(app, import_id)
    assert (row.status, row.successful, row.skipped) == ("completed", expected.successful, expected.skipped)

    with app.app_context():
        lead_id = db.session.scalar(db.select(Lead.id).filter_by(import_id=import_id).order_by(Lead.id).limit(1))
    ids = {"import_id": import_id, "lead_id": lead_id}  # the lead page shows a lead of the import
    with app.test_request_context():
        urls = [(rule.endpoint, url_for(rule.endpoint, **{arg: ids[arg] for arg in rule.arguments}))
                for rule in app.url_map.iter_rules()
                if rule.endpoint.startswith(("imports.", "leads.")) and "GET" in rule.methods]
    pages = {}
    for endpoint, url in urls:
        for headers in ({}, {"HX-Request": "true"}):
            response = auth_client.get(url, headers=headers)
            assert response.status_code == answer_of(endpoint), (url, headers)
            assert_escaped(response, url)
            pages[url] = pages.get(url, "") + response.get_data(as_text=True)
    with app.test_request_context():
        show = url_for("imports.show", import_id=import_id)
        rows = url_for("imports.issues", import_id=import_id)
    assert str(escape(XSS_FILENAME)) in pages["/imports/"], "the history shows the file name as text"
    assert str(escape(SCRIPT)) in pages["/leads/"], "the leads list shows the first name as text"
    # Skipped row 3 starts with IMG (no column is named so): its original values show, as text.
    assert str(escape(IMG)) in pages[rows] and "javascript:alert(1)" in pages[rows], "skipped rows"
