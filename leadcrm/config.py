"""Every setting of the app with its default: the only reader of os.environ."""
import os
import secrets
from pathlib import Path


def _secret_key(instance_path: Path) -> str:
    """Generate the key once and keep it in the instance folder, so sessions survive restarts."""
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def database_url(url: str) -> str:
    """Accept a plain postgresql:// URL and use the installed psycopg 3 driver for it."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def instance_path() -> str | None:
    """INSTANCE_PATH moves the instance folder (database, uploads, embedded Redis, secret key)."""
    return os.environ.get("INSTANCE_PATH") or None


def load(instance_path: str) -> dict:
    """Read the environment once into a config mapping."""
    instance = Path(instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    env = os.environ
    max_upload_mb = int(env.get("MAX_UPLOAD_MB", "200"))
    return {
        "SECRET_KEY": env.get("SECRET_KEY") or _secret_key(instance),
        "SQLALCHEMY_DATABASE_URI": database_url(
            env.get("DATABASE_URL") or f"sqlite:///{instance / 'leadcrm.sqlite3'}"
        ),
        "REDIS_URL": env.get("REDIS_URL", ""),
        "UPLOAD_FOLDER": env.get("UPLOAD_FOLDER") or str(instance / "uploads"),
        # Where uploads are kept: "folder" (UPLOAD_FOLDER, one machine) or "database" (any machine's worker reads them).
        "UPLOAD_STORAGE": env.get("UPLOAD_STORAGE", "folder"),
        "MAX_UPLOAD_MB": max_upload_mb,
        # Werkzeug refuses bigger request bodies with 413 before the view runs.
        "MAX_CONTENT_LENGTH": max_upload_mb * 1024 * 1024 + 64 * 1024,
        "IMPORT_QUEUE": env.get("IMPORT_QUEUE", "imports"),
        "IMPORT_BATCH_SIZE": int(env.get("IMPORT_BATCH_SIZE", "5000")),
        "IMPORT_JOB_TIMEOUT": int(env.get("IMPORT_JOB_TIMEOUT", str(24 * 3600))),
        # A running import whose heartbeat is older than this is taken as abandoned.
        # At most this many imports of one workspace run at once; the others wait for one of them to end.
        "IMPORTS_PER_WORKSPACE": int(env.get("IMPORTS_PER_WORKSPACE", "2")),
        "IMPORT_STALE_SECONDS": int(env.get("IMPORT_STALE_SECONDS", "30")),
        # How often a worker looks for abandoned imports (and so how soon they resume).
        "IMPORT_RECOVERY_INTERVAL": int(env.get("IMPORT_RECOVERY_INTERVAL", "15")),
        # An upload never started is listed in the history this long after its upload, then hidden.
        "UPLOAD_RETENTION_HOURS": float(env.get("UPLOAD_RETENTION_HOURS", "24")),
        "SESSION_COOKIE_SECURE": env.get("SESSION_COOKIE_SECURE", "").lower() in ("1", "true", "yes"),
        "REMEMBER_COOKIE_SECURE": env.get("SESSION_COOKIE_SECURE", "").lower() in ("1", "true", "yes"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # A page left open for hours must still be able to post (start, cancel, undo).
        "WTF_CSRF_TIME_LIMIT": None,
        # Login attempts per client address, and failed attempts per account from any address.
        "LOGIN_RATE_LIMIT": env.get("LOGIN_RATE_LIMIT", "10 per minute"),
        "LOGIN_ACCOUNT_RATE_LIMIT": env.get("LOGIN_ACCOUNT_RATE_LIMIT", "10 per 5 minutes"),
        # A session ends after this much inactivity, and this long after its login in any case; fractions work.
        "SESSION_IDLE_MINUTES": float(env.get("SESSION_IDLE_MINUTES", "30")),
        "SESSION_MAX_HOURS": float(env.get("SESSION_MAX_HOURS", "12")),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI", ""),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    }
