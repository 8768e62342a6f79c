"""CSRF: every state-changing endpoint refuses a request without a valid token, htmx requests included."""
import pytest
from flask import url_for

from tests.security.conftest import csrf_login
from tests.support.csvfiles import flow_csv
from tests.support.wizard import import_id_of, mapping_form, parse, upload

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def state_changing_requests(app) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) of every non-GET route of the app, with 1 for each URL argument."""
    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint == "static":
                continue
            for method in sorted(rule.methods & STATE_CHANGING):
                url = url_for(rule.endpoint, **{arg: 1 for arg in rule.arguments})
                found.append((rule.endpoint, method, url))
    return found


def test_the_enumeration_covers_the_known_forms(csrf_app):
    endpoints = {endpoint for endpoint, _, _ in state_changing_requests(csrf_app)}
    assert {"auth.login", "auth.signup", "auth.logout"} <= endpoints


@pytest.mark.parametrize("token", [None, "not-a-token", "other-session"])
@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
def test_every_state_changing_request_without_a_valid_token_is_refused(csrf_app, htmx, token):
    client = csrf_login(csrf_app.test_client())
    headers = {"HX-Request": "true"} if htmx else {}
    if token == "other-session":
        stranger = csrf_app.test_client()
        token = parse(stranger.get("/login")).form_with(lambda f: "csrf_token" in f.inputs).inputs["csrf_token"]
    if token:
        headers["X-CSRFToken"] = token
    accepted = []
    for endpoint, method, url in state_changing_requests(csrf_app):
        data = {"csrf_token": token} if token else {}
        response = client.open(url, method=method, headers=headers, data=data)
        if response.status_code != 400 or "The form expired" not in response.get_data(as_text=True):
            accepted.append((endpoint, method, url, response.status_code))
    assert accepted == []
    assert client.get("/leads/").status_code == 200, "a refused logout must leave the session alone"


def test_htmx_post_with_the_token_of_the_page_works(csrf_app):
    client = csrf_login(csrf_app.test_client())
    token = parse(client.get("/leads/")).csrf_header()
    response = client.post("/logout", headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert client.get("/leads/").status_code == 302


def test_htmx_sample_row_post_with_the_token_of_the_page_works(csrf_app):
    client = csrf_login(csrf_app.test_client())
    text, _ = flow_csv()
    uploaded = upload(client, "flow.csv", text.encode())
    assert uploaded.status_code == 303, uploaded.get_data(as_text=True)[:2000]
    page, form = mapping_form(client, import_id_of(uploaded))
    parsed = parse(page)
    posting = [a for a in parsed.hx if a["tag"] == "select" and a.get("hx-post")]
    assert posting, "no dropdown posts through htmx"
    payload = {name: select["selected"] for name, select in form.selects.items()}
    payload.update({k: v for k, v in form.inputs.items() if k != "csrf_token"})
    headers = {"HX-Request": "true", "X-CSRFToken": parsed.csrf_header()}
    response = client.post(posting[0]["hx-post"], data=payload, headers=headers)
    assert response.status_code == 200
    assert "Ada" in response.get_data(as_text=True)
    refused = client.post(posting[0]["hx-post"], data=payload, headers={"HX-Request": "true"})
    assert refused.status_code == 400
