"""Security fixtures: apps with CSRF or rate limits on, and a small form reader that drives the import
wizard through the Flask test client the way a browser would (labels, form actions, selected options).

The fault suite reuses the wizard helpers (upload, start_import, import_file).
"""
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
from flask import url_for

from leadcrm.extensions import db
from tests.conftest import built_app
from tests.e2e.conftest import live_server, live_server_env  # noqa: F401  (the real app)
from tests.faults.conftest import _empty_redis, process_redis, redis_url  # noqa: F401  (a Redis per test process)

IMPORT_ID = re.compile(r"/imports/(\d+)")


@dataclass
class Form:
    action: str
    method: str
    inputs: dict = field(default_factory=dict)  # name → value (hidden, text, …)
    files: list = field(default_factory=list)  # names of file inputs
    selects: dict = field(default_factory=dict)  # name → {"id", "options": [(value, label)], "selected"}
    buttons: list = field(default_factory=list)  # (text, name, value)

    def has_button(self, text: str) -> bool:
        return any(b[0] == text for b in self.buttons)


class PageParser(HTMLParser):
    """Forms, labels, links and htmx attributes of one HTML page."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.labels: dict[str, str] = {}  # for → text
        self.links: list[tuple[str, str]] = []  # (text, href)
        self.hx: list[dict] = []  # attributes of every element with an hx-* attribute
        self.body_attrs: dict = {}
        self._form = self._select = self._option = self._label = self._link = self._button = None
        self._text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if any(k.startswith("hx-") for k in a):
            self.hx.append({"tag": tag, **a})
        if tag == "body":
            self.body_attrs = a
        elif tag == "form":
            self._form = Form(a.get("action", ""), a.get("method", "get").lower())
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None and a.get("type") in ("submit", "image"):
            self._form.buttons.append((a.get("value", ""), a.get("name", ""), a.get("value", "")))
        elif tag == "input" and self._form is not None and a.get("name"):
            if a.get("type") == "file":
                self._form.files.append(a["name"])
            elif a.get("type") not in ("submit", "button", "checkbox", "radio") or "checked" in a:
                self._form.inputs[a["name"]] = a.get("value", "")
        elif tag == "select" and a.get("name"):
            self._select = {"name": a["name"], "id": a.get("id", ""), "options": [], "selected": None}
            if self._form is not None:
                self._form.selects[a["name"]] = self._select
        elif tag == "option" and self._select is not None:
            self._option = [a.get("value"), "selected" in a]
            self._text = []
        elif tag == "label":
            self._label = a.get("for", "")
            self._text = []
        elif tag == "a":
            self._link = a.get("href", "")
            self._text = []
        elif tag == "button":
            self._button = (a.get("name", ""), a.get("value", ""))
            self._text = []

    def handle_data(self, data):
        self._text.append(data)

    def handle_endtag(self, tag):
        text = " ".join("".join(self._text).split())
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "option" and self._option is not None and self._select is not None:
            value = self._option[0] if self._option[0] is not None else text
            self._select["options"].append((value, text))
            if self._option[1] or self._select["selected"] is None:
                self._select["selected"] = value
            self._option = None
        elif tag == "label" and self._label is not None:
            self.labels[self._label] = text
            self._label = None
        elif tag == "a" and self._link is not None:
            self.links.append((text, self._link))
            self._link = None
        elif tag == "button" and self._button is not None:
            if self._form is not None:
                self._form.buttons.append((text, *self._button))
            self._button = None

    def form_with(self, predicate) -> Form:
        forms = [f for f in self.forms if predicate(f)]
        assert forms, "no such form on the page"
        return forms[0]

    def link(self, pattern: str) -> str:
        for text, href in self.links:
            if re.search(pattern, text, re.I):
                return href
        raise AssertionError(f"no link matching {pattern!r}: {self.links}")

    def csrf_header(self) -> str:
        match = re.search(r'"X-CSRFToken"\s*:\s*"([^"]+)"', self.body_attrs.get("hx-headers", ""))
        assert match, "the body carries no hx-headers with X-CSRFToken"
        return match.group(1)


def parse(response) -> PageParser:
    return PageParser(response.get_data(as_text=True))


def upload(client, filename: str, data, content_type="text/csv"):
    """Post a file through the New Import form (found on the page, with its hidden fields)."""
    new_page = client.get("/imports/new")
    assert new_page.status_code == 200
    form = parse(new_page).form_with(lambda f: f.files)
    payload = dict(form.inputs)
    payload[form.files[0]] = (_stream(data), filename, content_type)
    return client.post(urljoin("/imports/new", form.action or "/imports/new"), data=payload,
                       content_type="multipart/form-data")


def import_id_of(response) -> int:
    match = IMPORT_ID.search(response.headers.get("Location", "") or response.request.path)
    assert match, f"no import id in {response.status_code} {response.headers.get('Location')}"
    return int(match.group(1))


def mapping_form(client, import_id: int):
    page = client.get(mapping_url(client, import_id))
    assert page.status_code == 200, page.status_code
    return page, parse(page).form_with(lambda f: f.has_button("Start Import"))


def mapping_url(client, import_id: int) -> str:
    app = client.application
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint == "imports.mapping":
                return url_for(rule.endpoint, **{arg: import_id for arg in rule.arguments})
    raise AssertionError("no imports.mapping endpoint")


def start_import(client, import_id: int, changes: dict | None = None):
    """Submit the mapping page's Start Import form; changes maps a column's select name to a field label."""
    _, form = mapping_form(client, import_id)
    payload = dict(form.inputs)
    for name, select in form.selects.items():
        payload[name] = select["selected"] or ""
        if changes and name in changes:
            payload[name] = next(v for v, label in select["options"] if label == changes[name])
    text, name, value = next(b for b in form.buttons if b[0] == "Start Import")
    if name:
        payload[name] = value
    return client.post(form.action or mapping_url(client, import_id), data=payload)


def import_file(client, filename: str, data: bytes) -> int:
    """Upload and start an import with the automatic mapping; returns its id."""
    uploaded = upload(client, filename, data)
    assert uploaded.status_code in (302, 303), uploaded.get_data(as_text=True)[:2000]
    import_id = import_id_of(uploaded)
    started = start_import(client, import_id)
    assert started.status_code in (302, 303), started.get_data(as_text=True)[:2000]
    return import_id


def _stream(data):
    import io

    return io.BytesIO(data) if isinstance(data, bytes) else data


def import_row(app, import_id: int):
    from leadcrm.models import LeadImport

    with app.app_context():
        row = db.session.get(LeadImport, import_id)
        db.session.expunge(row)
        return row


@pytest.fixture
def csrf_app(app_config):
    """The app with CSRF protection on, as in production; tables created fresh."""
    with built_app({**app_config, "WTF_CSRF_ENABLED": True}, owner=True) as app:
        yield app


def csrf_login(client, email="owner@example.com", password="correct horse"):
    """Log in through the login form, token included."""
    token = parse(client.get("/login")).form_with(lambda f: "csrf_token" in f.inputs).inputs["csrf_token"]
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    assert response.status_code == 303, response.status_code
    return client


