"""Sign up, log in, log out (here or everywhere)."""
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


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
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
    """Too many login attempts: say so and when to retry."""
    form = LoginForm()
    form.form_errors.append(f"Too many login attempts ({error.description}). Wait a minute and try again.")
    return render_template("auth/login.html", form=form), 429
