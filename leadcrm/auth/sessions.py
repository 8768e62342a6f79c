"""Server-side login sessions: a row per login, found by the random id Flask-Login keeps in the signed cookie.

Flask's session is a cookie the browser keeps, so clearing it at logout cannot stop a copy of it. Here the
cookie only names a row (Flask-Login's alternative-token pattern: User.get_id() returns the row's id and the
user loader resolves it); a session ends when its row is deleted, idle for SESSION_IDLE_MINUTES, or older
than SESSION_MAX_HOURS.
"""
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_login import current_user
from sqlalchemy import delete, or_, update

from ..extensions import db, login_manager
from ..models import User, UserSession, utcnow

# last_seen_at is written at most this often (or every tenth of the idle timeout, when that is shorter): the
# progress fragment is polled every second, and a write per poll would cost more than the whole poll. An idle
# session therefore ends up to one interval before SESSION_IDLE_MINUTES have passed since its last request.
TOUCH_INTERVAL = timedelta(minutes=1)


def _idle_timeout() -> timedelta:
    return timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])


def _max_age() -> timedelta:
    return timedelta(hours=current_app.config["SESSION_MAX_HOURS"])


def _is_expired(row: UserSession, now: datetime) -> bool:
    return now - row.last_seen_at > _idle_timeout() or now - row.created_at > _max_age()


def start(user: User) -> None:
    """Open a session for a login (pass the user to login_user next); clears the user's expired ones."""
    if current_user.is_authenticated:
        # A login in a browser that is still logged in replaces its session: no copy of the old cookie lives on.
        end(current_user.login_session.id)
    now = utcnow()
    _end_expired(user.id, now)
    user.login_session = UserSession(id=secrets.token_urlsafe(32), user=user, created_at=now, last_seen_at=now)
    db.session.add(user.login_session)
    db.session.commit()


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The user of a live session, or None: one primary-key lookup (user joined) on every request."""
    row = db.session.get(UserSession, session_id)
    if row is None:
        return None
    now = utcnow()
    if _is_expired(row, now):
        end(session_id)
        return None
    if now - row.last_seen_at > min(TOUCH_INTERVAL, _idle_timeout() / 10):
        # Core UPDATE: a concurrent logout may have deleted the row, which must not fail this request.
        db.session.execute(update(UserSession).where(UserSession.id == session_id).values(last_seen_at=now))
        db.session.commit()
    row.user.login_session = row
    return row.user


def end(session_id: str) -> None:
    """End one session: a copy of its cookie opens nothing any more."""
    db.session.execute(delete(UserSession).where(UserSession.id == session_id))
    db.session.commit()


def end_all(user_id: int) -> int:
    """End every session of the user, in every browser; returns how many were still live."""
    _end_expired(user_id, utcnow())
    ended = db.session.execute(delete(UserSession).where(UserSession.user_id == user_id)).rowcount
    db.session.commit()
    return ended


def _end_expired(user_id: int, now: datetime) -> None:
    """Rows of sessions that ended on their own; done at each login, so no clean-up job is needed."""
    db.session.execute(
        delete(UserSession).where(
            UserSession.user_id == user_id,
            or_(UserSession.last_seen_at < now - _idle_timeout(), UserSession.created_at < now - _max_age()),
        )
    )
