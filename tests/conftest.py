"""Fixtures in the Flask style: app, client, runner; each test on a clean database of each engine.

Engines: SQLite always; PostgreSQL when TEST_DATABASE_URL is set (CI sets it and fails without it).
Redis: TEST_REDIS_URL, or an embedded real Redis started once for the session.
"""
import os
import re
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import event

from leadcrm import create_app, embedded_redis
from leadcrm.config import database_url
from leadcrm.extensions import db

ROOT = Path(__file__).resolve().parent.parent
IN_CI = bool(os.environ.get("CI"))
PG_BASE_URL = os.environ.get("TEST_DATABASE_URL", "")


def pytest_configure(config):
    if IN_CI and not PG_BASE_URL:
        raise pytest.UsageError("CI is set but TEST_DATABASE_URL is not: the PostgreSQL suite would be skipped.")


ENGINES = ["sqlite"] + (["postgresql"] if PG_BASE_URL else [])


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A real Redis: TEST_REDIS_URL, or the embedded server in a session folder."""
    if os.environ.get("TEST_REDIS_URL"):
        yield os.environ["TEST_REDIS_URL"]
        return
    folder = tmp_path_factory.mktemp("redis-instance")
    yield embedded_redis.ensure_running(folder)
    embedded_redis.stop(folder)


@pytest.fixture(scope="session")
def pg_database_url():
    """A PostgreSQL database of this test process's own (xdist workers and parallel runs never meet)."""
    name = f"leadcrm_test_{os.getpid()}"
    admin_url = re.sub(r"^postgresql\+psycopg", "postgresql", PG_BASE_URL)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield database_url(PG_BASE_URL.rsplit("/", 1)[0] + "/" + name)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=ENGINES)
def database_url_for_test(request, tmp_path):
    """The database URL of this test: a fresh SQLite file, or this worker's emptied PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    return request.getfixturevalue("pg_database_url")


@pytest.fixture
def app_config(database_url_for_test, redis_url, tmp_path):
    """Settings of the test app; also the environment of worker and CLI subprocesses (see subprocess_env)."""
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url_for_test,
        "REDIS_URL": redis_url,
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        # One queue per test: tests running in parallel never take each other's jobs.
        "IMPORT_QUEUE": f"imports-test-{uuid.uuid4().hex[:12]}",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
    }


@contextmanager
def built_app(config, *, owner=False):
    """An app on the test's database with fresh tables (and the Acme owner if asked); disposed afterwards."""
    app = create_app(config)
    with app.app_context():
        if config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
            db.drop_all()
        db.create_all()
        if owner:
            make_user()
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(app_config):
    with built_app(app_config) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def subprocess_env(app_config):
    """Environment for `python worker.py` and `flask` subprocesses on the test's database, Redis and queue."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(
        DATABASE_URL=app_config["SQLALCHEMY_DATABASE_URI"],
        REDIS_URL=app_config["REDIS_URL"],
        IMPORT_QUEUE=app_config["IMPORT_QUEUE"],
        UPLOAD_FOLDER=app_config["UPLOAD_FOLDER"],
        INSTANCE_PATH=app_config["INSTANCE_PATH"],
        SECRET_KEY=app_config["SECRET_KEY"],
        PYTHONPATH=str(ROOT),
    )
    return env


@pytest.fixture
def run_worker(subprocess_env):
    """Run a real `python worker.py --burst` until the queue is empty."""

    def run(timeout=300, **extra_env):
        return subprocess.run(
            [sys.executable, "worker.py", "--burst"],
            cwd=ROOT, env={**subprocess_env, **extra_env}, timeout=timeout, capture_output=True, text=True,
        )

    return run


@contextmanager
def recorded_sql(engine):
    """The SQL statements run on the engine's connections inside the block, in order."""
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def make_user(email="owner@example.com", password="correct horse", workspace="Acme", super_admin=False):
    from leadcrm.auth.accounts import create_user

    return create_user(email, password, workspace, super_admin=super_admin)


@pytest.fixture
def user(app):
    with app.app_context():
        u = make_user()
        return {"id": u.id, "email": u.email, "password": "correct horse", "workspace_id": u.workspace_id}


@pytest.fixture
def workspaces(app):
    """Two workspaces, for rules that hold per workspace; the test runs inside the app context."""
    from leadcrm.models import Workspace

    with app.app_context():
        acme, globex = Workspace(name="Acme"), Workspace(name="Globex")
        db.session.add_all([acme, globex])
        db.session.commit()
        yield acme.id, globex.id


def login(client, email, password="correct horse"):
    return client.post("/login", data={"email": email, "password": password})


@pytest.fixture
def auth_client(client, user):
    """A test client logged in as the owner of workspace Acme."""
    response = login(client, user["email"])
    assert response.status_code == 303
    return client


@pytest.fixture
def other_client(app):
    """A second client logged in as a user of another workspace (Globex)."""
    with app.app_context():
        make_user("intruder@example.com", workspace="Globex")
    other = app.test_client()
    assert login(other, "intruder@example.com").status_code == 303
    return other


@pytest.fixture
def admin_client(app):
    """A client logged in as a super admin of a third workspace (Umbrella)."""
    with app.app_context():
        make_user("admin@example.com", workspace="Umbrella", super_admin=True)
    admin = app.test_client()
    assert login(admin, "admin@example.com").status_code == 303
    return admin
