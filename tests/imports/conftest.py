"""Fixtures of the importer's tests beyond tests/conftest.py."""
import pytest
from flask import Flask

from leadcrm.extensions import import_queue
from tests.support.servers import Workers


@pytest.fixture
def upload_app(tmp_path):
    """Folder storage and the preview need only UPLOAD_FOLDER and SECRET_KEY: a bare Flask app, no database."""
    app = Flask(__name__)
    app.config.update(UPLOAD_STORAGE="folder", UPLOAD_FOLDER=str(tmp_path / "uploads"), SECRET_KEY="test-secret")
    with app.app_context():
        yield app


@pytest.fixture
def queue(app):
    """This test's own queue (see app_config), emptied afterwards so no job outlives the test."""
    yield
    with app.app_context():
        import_queue().empty()


@pytest.fixture
def workers(subprocess_env, tmp_path):
    """Real `python worker.py` processes on the test's database, Redis and queue; stopped afterwards."""
    pool = Workers(subprocess_env, tmp_path)
    yield pool
    pool.stop_all()
