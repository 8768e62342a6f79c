"""Import history, import detail with progress and error details, error report, cancel, undo."""
from flask import render_template

from .routes import bp


@bp.get("/")
def index():
    """Import Leads: New Import and the import history."""
    return render_template("imports/index.html")
