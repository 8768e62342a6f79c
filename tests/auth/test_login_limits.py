"""The login limits through the test client: per account, only failed attempts count, whatever the spelling
of the email; the 429 page says when to try again, as Retry-After does.

The real server's side (Retry-After honoured, one account from two addresses) is in
tests/security/test_login_limits.py.
"""
from tests.conftest import built_app, login

EMAIL = "owner@example.com"


def limited_app(app_config, **limits):
    return built_app(
        {**app_config, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
         "LOGIN_RATE_LIMIT": "100 per minute", **limits},
        owner=True,
    )


def test_only_failed_attempts_count_against_an_account(app_config):
    with limited_app(app_config, LOGIN_ACCOUNT_RATE_LIMIT="3 per minute") as app:
        client = app.test_client()
        for _ in range(5):
            assert login(client, EMAIL).status_code == 303
            assert client.post("/logout").status_code == 303
        for spelling in (EMAIL, " Owner@Example.com", "OWNER@EXAMPLE.COM "):
            assert login(client, spelling, "guess").status_code == 200
        refused = login(client, EMAIL)
        assert refused.status_code == 429, "the right password waits too, or a locked account would still tell right from wrong"
        wait = int(refused.headers["Retry-After"])
        assert 55 <= wait <= 60, wait
        assert f"Too many login attempts. Try again in {wait} seconds." in refused.get_data(as_text=True)
        assert login(client, "someone.else@example.com", "guess").status_code == 200, "other accounts are not held up"


def test_a_longer_wait_is_said_in_minutes(app_config):
    with limited_app(app_config, LOGIN_ACCOUNT_RATE_LIMIT="1 per 5 minutes") as app:
        client = app.test_client()
        login(client, EMAIL, "guess")
        refused = login(client, EMAIL, "guess")
        assert refused.status_code == 429
        assert 290 <= int(refused.headers["Retry-After"]) <= 300
        assert "Too many login attempts. Try again in 5 minutes." in refused.get_data(as_text=True)
