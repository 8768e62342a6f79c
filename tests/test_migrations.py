"""`flask db upgrade` builds exactly the schema of the models, on both engines."""
import subprocess
import sys

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from leadcrm import models  # noqa: F401  (registers the tables on db.metadata)
from leadcrm.extensions import db
from tests.conftest import ROOT


def test_upgrade_creates_the_models_schema(database_url_for_test, subprocess_env):
    if database_url_for_test.startswith("postgresql"):
        engine = create_engine(database_url_for_test)
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        engine.dispose()
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"],
        cwd=ROOT, env=subprocess_env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    engine = create_engine(database_url_for_test)
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), db.metadata)
    engine.dispose()
    assert differences == [], "the models changed without a migration: run `flask --app app db migrate`"
