"""Sessions end on the server (issue 16), against the real app (`flask serve`: gunicorn and a worker): a copy of
the session cookie taken before "Log out" opens nothing after it, and sessions end on their own, idle or too
old, with short settings (the clock is moved by ageing the session rows in the database, not by sleeping)."""
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine

from leadcrm.models import utcnow
from tests.auth.session_rows import age_sessions, session_rows
from tests.security.http_client import HttpClient

EMAIL, PASSWORD = "owner@example.com", "correct horse"


@pytest.fixture
def live_server_env(live_server_env):
    return {**live_server_env, "SESSION_IDLE_MINUTES": "2", "SESSION_MAX_HOURS": "1"}


@pytest.fixture
def database(database_url_for_test):
    engine = create_engine(database_url_for_test)
    yield engine
    engine.dispose()


@pytest.fixture
def owner(live_server) -> HttpClient:
    """A client that signed up through the real server's form, so it is logged in."""
    client = HttpClient(live_server.url)
    signed_up = client.submit("/signup", "/signup", {"workspace": "Acme", "email": EMAIL, "password": PASSWORD,
                                                     "confirm": PASSWORD})
    assert signed_up.status == 303, signed_up.text[:2000]
    assert client.get("/leads/").status == 200
    return client


def assert_sent_to_login(reply):
    assert reply.status == 302, reply.status
    assert urlsplit(reply.location).path == "/login", reply.location


def test_a_cookie_copied_before_logout_opens_nothing_after_it(owner):
    copied = owner.copy(source="127.0.0.2")
    assert copied.get("/leads/").status == 200, "the copy works while the session lives"
    assert owner.submit("/leads/", "/logout", {}).status == 303
    assert_sent_to_login(owner.get("/leads/"))
    for path in ("/leads/", "/imports/", "/leads/export.csv"):
        assert_sent_to_login(copied.get(path))


def test_an_idle_session_ends_after_SESSION_IDLE_MINUTES(owner, database):
    with database.begin() as connection:
        age_sessions(connection, EMAIL, idle=timedelta(minutes=1, seconds=50))
    assert owner.get("/leads/").status == 200
    with database.connect() as connection:
        [row] = session_rows(connection, EMAIL)
    assert utcnow() - row["last_seen_at"] < timedelta(seconds=30), "the request restarted the idle clock"
    with database.begin() as connection:
        age_sessions(connection, EMAIL, idle=timedelta(minutes=2, seconds=10))
    assert_sent_to_login(owner.get("/leads/"))
    with database.connect() as connection:
        assert session_rows(connection, EMAIL) == []


def test_a_session_ends_SESSION_MAX_HOURS_after_login_however_active(owner, database):
    with database.begin() as connection:
        age_sessions(connection, EMAIL, age=timedelta(minutes=59))
    assert owner.get("/leads/").status == 200
    with database.begin() as connection:
        age_sessions(connection, EMAIL, age=timedelta(minutes=61))
    assert_sent_to_login(owner.get("/leads/"))
    assert owner.log_in(EMAIL, PASSWORD).status == 303
    assert owner.get("/leads/").status == 200, "a new login opens a new session"
