"""LeadCRM: create_app builds the app from config, extensions and blueprints."""
from flask import Flask, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_url
from flask_wtf.csrf import CSRFError

from . import config
from .extensions import csrf, db, init_redis, limiter, login_manager, migrate

PUBLIC_ENDPOINTS = {"auth.login", "auth.signup", "health.healthz", "static"}

# htmx runs under this policy: no inline scripts or styles (its indicator styles are turned off in base.html).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def create_app(overrides: dict | None = None) -> Flask:
    """Build the app: config from the environment (then overrides), extensions, blueprints."""
    app = Flask(
        __name__,
        instance_path=(overrides or {}).get("INSTANCE_PATH") or config.instance_path(),
        template_folder="../templates",
        static_folder="../static",
    )
    app.config.update(config.load(app.instance_path))
    app.config.update(overrides or {})

    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to see this page."
    init_redis(app)
    limiter.init_app(app)

    from . import auth, commands, health, imports, leads
    from .formatting import counted, local_time, number
    from .imports.results.progress import duration
    from .imports.results.report import change_value
    from .imports.upload.labels import delimiter_name, encoding_label

    for module in (auth, leads, imports, health):
        app.register_blueprint(module.bp)
    for template_filter in (duration, delimiter_name, encoding_label, change_value, number, counted, local_time):
        app.add_template_filter(template_filter)
    commands.init_app(app)

    _require_login(app)
    _security_headers(app)
    _error_pages(app)

    @app.get("/")
    def home():
        """The leads list is the home page."""
        return redirect(url_for("leads.index"))

    return app


def _require_login(app: Flask) -> None:
    @app.before_request
    def login_required_everywhere():
        if request.endpoint in PUBLIC_ENDPOINTS or current_user.is_authenticated:
            return None
        if request.headers.get("HX-Request"):
            # A session can end while a page polls a fragment: htmx would follow a redirect and swap the login
            # page into the fragment, so it is told to load the login page as the page, coming back to it after.
            flash(login_manager.login_message, login_manager.login_message_category)
            page = request.headers.get("HX-Current-URL", url_for("leads.index"))
            return "", 401, {"HX-Redirect": login_url(login_manager.login_view, next_url=page)}
        return login_manager.unauthorized()


def _security_headers(app: Flask) -> None:
    @app.after_request
    def add_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response


def _error_pages(app: Flask) -> None:
    def page(code: int, title: str, message: str):
        return render_template("error.html", code=code, title=title, message=message), code

    app.register_error_handler(
        CSRFError,
        lambda e: page(400, "The form expired", f"{e.description} Reload the page and try again."),
    )
    app.register_error_handler(
        403, lambda e: page(403, "Not allowed", "This page is for super admins only.")
    )
    app.register_error_handler(
        404, lambda e: page(404, "Not found", "There is nothing here, or it belongs to another workspace.")
    )
    app.register_error_handler(
        413,
        lambda e: page(
            413,
            "File too large",
            f"The file is larger than the {app.config['MAX_UPLOAD_MB']} MB limit. "
            "Split it into smaller files and import them one after the other.",
        ),
    )
