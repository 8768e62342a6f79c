"""Sign up, log in, log out (here or everywhere)."""
import math
import time
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db, limiter
from ..models import User
from . import sessions
from .accounts import AccountError, create_user, normalise_email
from .forms import LoginForm, SignupForm

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only redirect to a path on this site after login."""
    if target and urlsplit(target).netloc == "" and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("leads.index")


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    """Create a workspace and its first user, then log them in."""
    form = SignupForm()
    if form.validate_on_submit():
        try:
            user = create_user(form.email.data, form.password.data, form.workspace.data, new_workspace=True)
        except AccountError as error:
            form.form_errors.append(str(error))
        else:
            sessions.start(user)
            login_user(user)
            flash(f"Welcome to LeadCRM. Your workspace {user.workspace.name} is ready.", "success")
            return redirect(url_for("imports.index"), 303)
    return render_template("auth/signup.html", form=form)


def _account_key() -> str:
    """Attempts at one account count together from every address (a spraying client uses many)."""
    # An email column holds at most 320 characters; a longer value names no account and must not grow the key.
    return "account:" + normalise_email(request.form.get("email", ""))[:320]


def _failed(response) -> bool:
    """A failed attempt re-renders the form; a successful one redirects (and is never counted)."""
    return response.status_code == 200


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"], methods=["POST"], key_func=_account_key, deduct_when=_failed
)
def login():
    """Log in with email and password."""
    form = LoginForm()
    if form.validate_on_submit():
        user = db.session.scalar(db.select(User).filter_by(email=normalise_email(form.email.data)))
        if user is not None and user.check_password(form.password.data):
            sessions.start(user)
            login_user(user)
            return redirect(_safe_next(request.args.get("next")), 303)
        form.form_errors.append("Wrong email or password. Check both and try again.")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Log out: end this session on the server, so a copy of its cookie opens nothing."""
    sessions.end(current_user.login_session.id)
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"), 303)


@bp.route("/logout/everywhere", methods=["POST"])
@login_required
def logout_everywhere():
    """End every session of this user, in every browser and device, then show the login page."""
    ended = sessions.end_all(current_user.id)
    logout_user()
    sessions_ended = f"{ended} session" if ended == 1 else f"{ended} sessions"
    flash(f"You are logged out everywhere: {sessions_ended} ended, this one included.", "info")
    return redirect(url_for("auth.login"), 303)


@bp.app_errorhandler(429)
def too_many_attempts(error):
    """Too many login attempts: say when to try again, on the page and in Retry-After."""
    wait = _seconds_until_allowed()
    form = LoginForm()
    form.form_errors.append(f"Too many login attempts. Try again in {_in_words(wait)}.")
    return render_template("auth/login.html", form=form), 429, {"Retry-After": str(wait)}


def _seconds_until_allowed() -> int:
    """Whole seconds until every limit this request broke lets one through, rounded up so that waiting
    exactly this long is enough (Flask-Limiter's own Retry-After header can be a second short)."""
    # The window's exact reset time (the moving window knows it); RequestLimit.reset_at adds up to a second.
    reset = max(limit.window.reset_time for limit in limiter.current_limits if limit.breached)
    return max(1, math.ceil(reset - time.time()))


def _in_words(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} second{'' if seconds == 1 else 's'}"
    return f"{math.ceil(seconds / 60)} minutes"
