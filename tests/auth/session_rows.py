"""The server-side session rows of a user, read and aged in the database (instead of sleeping through a timeout).

Used by the test-client tests here and by the real-server tests in tests/security.
"""
from datetime import timedelta

from sqlalchemy import select, update

from leadcrm.models import User, UserSession, utcnow

SESSIONS = UserSession.__table__


def session_rows(connection, email: str) -> list[dict]:
    """The user's session rows, oldest first, as dicts."""
    query = (
        select(SESSIONS).join(User.__table__).where(User.__table__.c.email == email).order_by(SESSIONS.c.created_at)
    )
    return [dict(row._mapping) for row in connection.execute(query)]


def age_sessions(connection, email: str, *, idle: timedelta | None = None, age: timedelta | None = None,
                 only: str | None = None) -> None:
    """Make the user's sessions (or only the one with that id) look idle for `idle` and/or opened `age` ago."""
    values = {}
    if idle is not None:
        values["last_seen_at"] = utcnow() - idle
    if age is not None:
        values["created_at"] = utcnow() - age
    user_ids = select(User.__table__.c.id).where(User.__table__.c.email == email).scalar_subquery()
    query = update(SESSIONS).where(SESSIONS.c.user_id == user_ids)
    if only is not None:
        query = query.where(SESSIONS.c.id == only)
    connection.execute(query.values(**values))
