"""Security fixtures: the app with CSRF protection on, and a login through its form; a Redis server per
test process (tests/support/servers.py). The wizard is driven by tests/support/wizard.py."""
import pytest

from tests.conftest import built_app
from tests.e2e.conftest import live_server, live_server_env  # noqa: F401  (the real app)
from tests.support.servers import _empty_redis, process_redis, redis_url  # noqa: F401  (a Redis per test process)
from tests.support.wizard import parse

# The one answer to the owner's GET of each page, for a finished import; a new page adds its own.
FINISHED_IMPORT_PAGES = {
    "imports.index": 200, "imports.new": 200, "imports.show": 200, "imports.progress": 286, "imports.row": 286,
    "imports.issues": 200, "imports.report": 200, "imports.confirm_undo": 200, "imports.mapping": 303,
    "imports.summary_fragment": 200, "imports.changes": 200, "imports.changes_report": 200,
    "leads.index": 200, "leads.export": 200, "leads.show": 200,
}


def answer_of(endpoint: str) -> int:
    """What a GET of the page answers the owner of a finished import."""
    assert endpoint in FINISHED_IMPORT_PAGES, f"{endpoint} is a new page: add its answer to FINISHED_IMPORT_PAGES"
    return FINISHED_IMPORT_PAGES[endpoint]


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


