"""Sessions and headers: cookie flags, HTTPS-only cookies when configured, login rate limit, security
headers, and pages free of inline scripts and styles the Content-Security-Policy would block."""
import re
from urllib.parse import urlsplit

import pytest

from tests.conftest import built_app, login
from tests.support.csvfiles import flow_csv
from tests.support.wizard import import_id_of, upload


def session_cookie(response) -> str:
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, response.headers.getlist("Set-Cookie")
    return cookies[-1]


def test_session_cookie_is_httponly_and_samesite_lax(client, user):
    cookie = session_cookie(login(client, user["email"]))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie


@pytest.mark.parametrize("how", ["environment", "override"])
def test_session_cookie_is_secure_when_configured_for_https(app_config, monkeypatch, how):
    config = app_config
    if how == "environment":
        monkeypatch.setenv("SESSION_COOKIE_SECURE", "1")
    else:
        config = {**app_config, "SESSION_COOKIE_SECURE": True}
    with built_app(config, owner=True) as app:
        cookie = session_cookie(login(app.test_client(), "owner@example.com"))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_login_never_redirects_off_site(client, user, target):
    response = client.post(f"/login?next={target}", data={"email": user["email"], "password": user["password"]})
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//") and "\\" not in location, location
    assert urlsplit(location).netloc == "", location


def test_login_is_rate_limited(app_config):
    # Counted in Redis, as in production: this suite's own server, emptied before each test.
    limited = {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute"}
    with built_app({**app_config, **limited}, owner=True) as app:
        client = app.test_client()
        for _ in range(3):
            assert login(client, "owner@example.com", "guess").status_code == 200
        refused = login(client, "owner@example.com", "guess")
        assert refused.status_code == 429
        assert "Too many login attempts" in refused.get_data(as_text=True)
        assert login(client, "owner@example.com").status_code == 429, "the right password waits too"
        assert client.get("/login").status_code == 200, "the page itself is not limited"


def assert_security_headers(response, where):
    csp = response.headers.get("Content-Security-Policy", "")
    script_src = re.search(r"script-src ([^;]*)", csp)
    assert script_src and "'self'" in script_src.group(1), (where, csp)
    assert "unsafe-inline" not in script_src.group(1) and "unsafe-eval" not in script_src.group(1), (where, csp)
    assert "frame-ancestors 'none'" in csp, (where, csp)
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("X-Frame-Options") == "DENY", where


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"<style|\sstyle\s*=", re.I)


def test_security_headers_on_pages_errors_fragments_and_files(client, auth_client):
    anonymous = auth_client.application.test_client()
    for where, response in {
        "login": anonymous.get("/login"),
        "healthz": anonymous.get("/healthz"),
        "static": anonymous.get("/static/app.css"),
        "leads": auth_client.get("/leads/"),
        "imports": auth_client.get("/imports/"),
        "404": auth_client.get("/no-such-page"),
        "htmx": auth_client.get("/imports/", headers={"HX-Request": "true"}),
    }.items():
        assert_security_headers(response, where)


def test_pages_hold_nothing_the_csp_blocks(auth_client):
    """htmx works under the policy only if pages carry no inline scripts, handlers or styles."""
    text, _ = flow_csv()
    uploaded = upload(auth_client, "flow.csv", text.encode())
    assert uploaded.status_code == 303, "the wizard's pages are checked too"
    urls = ["/leads/", "/imports/", "/imports/new", uploaded.headers["Location"], f"/imports/{import_id_of(uploaded)}"]
    for url in urls:
        html = auth_client.get(url).get_data(as_text=True)
        assert not INLINE_SCRIPT.search(html), url
        assert not INLINE_HANDLER.search(html), url
        assert not INLINE_STYLE.search(html), url
    login_page = auth_client.application.test_client().get("/login").get_data(as_text=True)
    assert "hx-headers" in login_page and not INLINE_SCRIPT.search(login_page)
