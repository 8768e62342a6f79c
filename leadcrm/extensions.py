"""Extensions created unbound, attached in create_app; the Redis connection and the import queue."""
import redis
from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from rq import Queue
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine

from . import embedded_redis

# Named constraints so Alembic migrations work the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING))
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
# Moving window: each attempt expires on its own, so the time until the next one is allowed is exact (the 429
# page and Retry-After say it). Every limit is checked, so that time is the longest wait of all broken limits.
# Its keys hold lists where the fixed window's held counters: a prefix of their own keeps counters left in Redis
# by an older version from failing logins with WRONGTYPE.
limiter = Limiter(
    key_func=get_remote_address, default_limits=[], strategy="moving-window", fail_on_first_breach=False,
    key_prefix="login",
)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """The web app and the worker write at once: WAL and a busy timeout instead of 'database is locked'."""
    if type(dbapi_connection).__module__ == "sqlite3":
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # SQLite's own lower() folds ASCII letters only ('ОЛЬГА' stays as is); Python's folds them all, as
        # PostgreSQL's does, so a search decides alike on both engines. Uniqueness never depends on it:
        # those keys are computed in Python (keys.py).
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)


def _unicode_lower(value):
    return value.lower() if isinstance(value, str) else value


def init_redis(app) -> None:
    """Connections to REDIS_URL, or to the embedded Redis of the instance folder, started by the first
    connection (embedded_redis.LazyConnection): nothing starts until something uses the queue or the limits."""
    url = app.config["REDIS_URL"]
    options = {"socket_connect_timeout": 5, "health_check_interval": 30}
    if url:
        pool = redis.ConnectionPool.from_url(url, **options)
    else:
        pool = redis.ConnectionPool(connection_class=embedded_redis.LazyConnection, instance_path=app.instance_path,
                                    **options)
    app.extensions["redis"] = redis.Redis(connection_pool=pool)
    if not app.config["RATELIMIT_STORAGE_URI"]:
        # The login limits count in the app's Redis, through its pool (the URI then only names the storage kind).
        app.config["RATELIMIT_STORAGE_URI"] = url or "redis://"
        app.config["RATELIMIT_STORAGE_OPTIONS"] = {"connection_pool": pool}


def redis_url() -> str:
    """The app's Redis as a URL for another process (serve's workers); the embedded server is started for it."""
    return current_app.config["REDIS_URL"] or embedded_redis.ensure_running(current_app.instance_path)


def redis_connection() -> redis.Redis:
    return current_app.extensions["redis"]


def import_queue() -> Queue:
    return Queue(current_app.config["IMPORT_QUEUE"], connection=redis_connection())
