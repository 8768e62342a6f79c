"""Server-side sessions through the test client, on both engines: "Log out" ends that session only, "Log out
everywhere" all of the user's; a login replaces the browser's live session and clears the user's expired ones;
last_seen_at is written at most once per interval; neither a remember cookie nor an htmx request gets past an
ended session.

The real server's side (a copied cookie, idle and absolute expiry) is in tests/security/test_session_end.py.
"""
from datetime import timedelta

import pytest
from flask_login.utils import encode_cookie

from leadcrm.extensions import db
from leadcrm.models import utcnow
from tests.auth.session_rows import age_sessions, session_rows
from tests.conftest import built_app, login

EMAIL = "owner@example.com"


def rows(app) -> list[dict]:
    with app.app_context(), db.engine.connect() as connection:
        return session_rows(connection, EMAIL)


def age(app, **kwargs) -> None:
    with app.app_context(), db.engine.begin() as connection:
        age_sessions(connection, EMAIL, **kwargs)


def logged_in(app):
    client = app.test_client()
    assert login(client, EMAIL).status_code == 303
    return client


def copy_of(app, client):
    """Another client holding a copy of client's session cookie, as a thief or a shared computer would."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def assert_sent_to_login(response):
    assert response.status_code == 302, response.status_code
    assert response.headers["Location"].startswith("/login"), response.headers["Location"]


def test_the_cookie_names_a_session_row_not_the_user(app, user):
    client = logged_in(app)
    [row] = rows(app)
    assert row["user_id"] == user["id"] and len(row["id"]) == 43
    with client.session_transaction() as session:
        assert session["_user_id"] == row["id"]
    assert client.get_cookie("remember_token") is None


def test_logout_ends_that_session_and_no_other(app, user):
    laptop, phone = logged_in(app), logged_in(app)
    copied = copy_of(app, laptop)
    assert copied.get("/leads/").status_code == 200
    assert laptop.post("/logout").status_code == 303
    assert_sent_to_login(copied.get("/leads/"))
    assert_sent_to_login(laptop.get("/leads/"))
    assert phone.get("/leads/").status_code == 200, "logging out on one device leaves the others logged in"
    assert len(rows(app)) == 1


def test_a_login_over_a_live_session_replaces_it(app, user):
    client = logged_in(app)
    copied = copy_of(app, client)
    assert login(client, EMAIL).status_code == 303
    assert len(rows(app)) == 1
    assert client.get("/leads/").status_code == 200
    assert_sent_to_login(copied.get("/leads/"))


def test_log_out_everywhere_ends_every_session_of_the_user_and_no_one_elses(app, user, other_client):
    laptop, phone = logged_in(app), logged_in(app)
    copied = copy_of(app, laptop)
    response = phone.post("/logout/everywhere")
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    page = phone.get("/login").get_data(as_text=True)
    assert "You are logged out everywhere: 2 sessions ended, this one included." in page
    for client in (laptop, phone, copied):
        assert_sent_to_login(client.get("/leads/"))
    assert rows(app) == []
    assert other_client.get("/leads/").status_code == 200, "another user's session is not touched"


def test_log_out_everywhere_counts_only_sessions_that_were_still_live(app, user):
    laptop = logged_in(app)
    phone = logged_in(app)
    age(app, idle=timedelta(minutes=31), only=rows(app)[0]["id"])
    assert_sent_to_login(laptop.get("/leads/"))
    phone.post("/logout/everywhere")
    assert "1 session ended, this one included." in phone.get("/login").get_data(as_text=True)


@pytest.mark.parametrize(
    "idle_minutes, quiet, written",
    [(30, timedelta(seconds=50), timedelta(seconds=70)), (2, timedelta(seconds=10), timedelta(seconds=14))],
    ids=["once a minute", "a tenth of a short idle timeout"],
)
def test_last_seen_is_written_at_most_once_per_interval(app_config, idle_minutes, quiet, written):
    with built_app({**app_config, "SESSION_IDLE_MINUTES": idle_minutes}, owner=True) as app:
        client = logged_in(app)
        age(app, idle=quiet)
        unchanged = rows(app)[0]["last_seen_at"]
        assert client.get("/leads/").status_code == 200
        assert rows(app)[0]["last_seen_at"] == unchanged
        age(app, idle=written)
        before_request = utcnow()
        assert client.get("/leads/").status_code == 200
        assert rows(app)[0]["last_seen_at"] >= before_request


@pytest.mark.parametrize("expired", [{"idle": timedelta(minutes=31)}, {"age": timedelta(hours=13)}],
                         ids=["idle", "too old"])
def test_a_login_clears_the_users_sessions_that_ended_on_their_own(app, user, expired):
    logged_in(app)
    age(app, **expired)
    logged_in(app)
    [row] = rows(app)
    assert utcnow() - row["created_at"] < timedelta(minutes=1)


@pytest.mark.parametrize("payload", ["user id", "ended session id"])
def test_no_remember_cookie_gets_past_the_server_side_check(app, user, payload):
    client = logged_in(app)
    [row] = rows(app)
    client.post("/logout")
    with app.app_context():
        cookie = encode_cookie(str(user["id"]) if payload == "user id" else row["id"])
    stranger = app.test_client()
    stranger.set_cookie("remember_token", cookie)
    assert_sent_to_login(stranger.get("/leads/"))


def test_an_htmx_request_of_an_ended_session_loads_the_login_page_as_the_page(app, user):
    client = logged_in(app)
    copied = copy_of(app, client)
    client.post("/logout")
    response = copied.get(
        "/imports/", headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/imports/?page=2"}
    )
    assert response.status_code == 401 and response.get_data() == b""
    assert response.headers["HX-Redirect"] == "/login?next=%2Fimports%2F%3Fpage%3D2"
    assert "Please log in to see this page." in copied.get("/login").get_data(as_text=True)
