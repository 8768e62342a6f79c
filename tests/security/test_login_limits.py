"""The login limits on the real app (gunicorn's processes share them through Redis): Retry-After says when to
try again and waiting that long is enough; failed attempts at one account from two client addresses
(127.0.0.1 and 127.0.0.2) count together; the app trusts no proxy, so X-Forwarded-For changes nothing."""
import time

import pytest

from tests.security.http_client import HttpClient

EMAIL, OTHER_EMAIL, PASSWORD = "owner@example.com", "colleague@example.com", "correct horse"


@pytest.fixture
def live_server_env(live_server_env, request):
    return {**live_server_env, **request.param}


@pytest.fixture
def accounts(live_server):
    """Two accounts signed up through the real server's form (sign-up is not limited)."""
    for workspace, email in (("Acme", EMAIL), ("Globex", OTHER_EMAIL)):
        reply = HttpClient(live_server.url).submit(
            "/signup", "/signup", {"workspace": workspace, "email": email, "password": PASSWORD, "confirm": PASSWORD}
        )
        assert reply.status == 303, reply.text[:2000]


def seconds(wait: int) -> str:
    return f"{wait} second{'' if wait == 1 else 's'}"


@pytest.mark.parametrize(
    "live_server_env", [{"LOGIN_RATE_LIMIT": "2 per 3 seconds", "LOGIN_ACCOUNT_RATE_LIMIT": "100 per minute"}],
    indirect=True, ids=["2 per 3 seconds per address"],
)
def test_retry_after_says_when_to_try_again_and_waiting_that_long_is_enough(live_server, accounts):
    client = HttpClient(live_server.url)
    for _ in range(2):
        assert client.log_in(EMAIL, "guess").status == 200
    refused = client.log_in(EMAIL, PASSWORD, headers={"X-Forwarded-For": "203.0.113.9"})
    assert refused.status == 429, "a forged X-Forwarded-For is not taken for the client's address"
    wait = int(refused.headers["Retry-After"])
    assert 1 <= wait <= 3, wait
    assert f"Too many login attempts. Try again in {seconds(wait)}." in refused.text
    time.sleep(wait)
    assert client.log_in(EMAIL, PASSWORD).status == 303


@pytest.mark.parametrize(
    "live_server_env", [{"LOGIN_RATE_LIMIT": "4 per minute", "LOGIN_ACCOUNT_RATE_LIMIT": "3 per minute"}],
    indirect=True, ids=["3 failures per account, 4 attempts per address"],
)
def test_failed_attempts_at_one_account_from_two_addresses_count_together(live_server, accounts):
    first, second = HttpClient(live_server.url, "127.0.0.1"), HttpClient(live_server.url, "127.0.0.2")
    assert first.log_in(EMAIL, "guess 1").status == 200
    assert second.log_in(EMAIL, "guess 2").status == 200
    assert first.log_in(EMAIL.upper(), "guess 3").status == 200
    refused = second.log_in(EMAIL, PASSWORD)
    assert refused.status == 429, "the account's third failure came from the other address"
    wait = int(refused.headers["Retry-After"])
    assert 50 <= wait <= 60, wait
    assert f"Too many login attempts. Try again in {seconds(wait)}." in refused.text
    # Five attempts so far, three from 127.0.0.2: it is still under its own 4 per minute, which also shows that
    # the server told the two addresses apart (as one address, this fifth attempt would be refused).
    assert second.log_in(OTHER_EMAIL, PASSWORD).status == 303, "another account logs in from the same address"
