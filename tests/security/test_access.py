"""Access: workspaces never see each other (404), System Health is for super admins (403), and
logged-out requests go to the login page. Routes are enumerated from the URL map, so new ones are covered."""
import pytest
from flask import url_for

from leadcrm.extensions import db
from leadcrm.models import Lead
from tests.security.conftest import answer_of
from tests.support.csvfiles import flow_csv
from tests.support.wizard import import_file, import_row

PUBLIC = {"static", "auth.login", "auth.signup", "health.healthz"}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def routes(app, predicate, value_for):
    """(endpoint, method, url) of the app's routes matching predicate, each URL argument from value_for."""
    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not predicate(rule):
                continue
            url = url_for(rule.endpoint, **{arg: value_for(arg) for arg in rule.arguments})
            for method in METHODS:
                if method in rule.methods:
                    found.append((rule.endpoint, method, url))
    return found


@pytest.fixture
def import_of_a(app, auth_client, run_worker):
    """A finished import of workspace Acme, with leads and row issues."""
    text, expected = flow_csv()
    import_id = import_file(auth_client, "acme-leads.csv", text.encode())
    result = run_worker()
    assert result.returncode == 0, result.stderr[-3000:]
    row = import_row(app, import_id)
    assert row.status == "completed", (row.status, row.error_message)
    return import_id


def test_every_import_route_of_another_workspace_is_not_found(app, auth_client, other_client, import_of_a):
    import_routes = routes(app, lambda r: r.endpoint.startswith("imports.") and r.arguments,
                           lambda arg: import_of_a if "id" in arg or "import" in arg else 1)
    endpoints = {endpoint for endpoint, _, _ in import_routes}
    assert {"imports.show", "imports.progress", "imports.mapping"} <= endpoints, endpoints
    answered = [(e, m, u, other_client.open(u, method=m, headers=h).status_code)
                for e, m, u in import_routes for h in ({}, {"HX-Request": "true"})]
    assert [a for a in answered if a[3] != 404] == []
    with app.app_context():
        leads_of_a = db.session.scalar(db.select(db.func.count()).select_from(Lead).filter_by(import_id=import_of_a))
    assert leads_of_a == 6, "a refused cancel or undo must change nothing"
    assert import_row(app, import_of_a).status == "completed"
    # The owner reaches the same pages: the 404s above are about the workspace, not broken URLs.
    owners = {(e, u): auth_client.get(u).status_code for e, m, u in import_routes if m == "GET"}
    assert owners == {(e, u): answer_of(e) for e, u in owners}


def test_leads_and_exports_filtered_by_another_workspaces_import_are_not_found(app, other_client, import_of_a):
    with app.test_request_context():
        urls = [url_for(rule.endpoint, import_id=import_of_a)
                for rule in app.url_map.iter_rules() if rule.endpoint.startswith("leads.") and not rule.arguments
                and "GET" in rule.methods]
    assert len(urls) >= 2, "expected the leads list and its export"
    for url in urls:
        response = other_client.get(url)
        assert response.status_code == 404, (url, response.status_code)
        assert "ada@example.com" not in response.get_data(as_text=True)


def test_another_workspaces_leads_never_show(app, other_client, import_of_a):
    for url, empty in (("/leads/", "No leads yet."), ("/imports/", "No imports yet.")):
        response = other_client.get(url)
        page = response.get_data(as_text=True)
        assert response.status_code == 200 and empty in page, url
        assert "ada@example.com" not in page and "acme-leads.csv" not in page


def test_every_lead_route_of_another_workspaces_lead_is_not_found(app, auth_client, other_client, import_of_a):
    with app.app_context():
        lead_id = db.session.scalar(db.select(Lead.id).filter_by(import_id=import_of_a).limit(1))
    lead_routes = routes(app, lambda r: r.endpoint.startswith("leads.") and r.arguments, lambda arg: lead_id)
    assert {endpoint for endpoint, _, _ in lead_routes} == {"leads.show"}
    assert [(e, m, other_client.open(u, method=m).status_code) for e, m, u in lead_routes] == [
        ("leads.show", "GET", 404)]
    assert auth_client.get(f"/leads/{lead_id}").status_code == 200


def test_system_health_is_for_super_admins_only(app, auth_client, admin_client):
    health_routes = routes(app, lambda r: r.endpoint.startswith("health.") and r.endpoint not in PUBLIC,
                           lambda arg: 1)
    assert health_routes
    for endpoint, method, url in health_routes:
        response = auth_client.open(url, method=method)
        assert response.status_code == 403, (endpoint, method, response.status_code)
        assert "super admins only" in response.get_data(as_text=True)
    assert admin_client.get("/system-health").status_code == 200


def test_logged_out_requests_go_to_login(app, client):
    guarded = routes(app, lambda r: r.endpoint not in PUBLIC, lambda arg: 1)
    assert len(guarded) >= 5
    not_redirected = []
    for endpoint, method, url in guarded:
        response = client.open(url, method=method)
        location = response.headers.get("Location", "")
        if response.status_code != 302 or location.split("?")[0] != "/login":
            not_redirected.append((endpoint, method, url, response.status_code, location))
    assert not_redirected == []
    assert "Please log in" in client.get("/leads/", follow_redirects=True).get_data(as_text=True)
