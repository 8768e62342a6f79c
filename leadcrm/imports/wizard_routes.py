"""Import wizard views: upload, check, map with preview and sample row, start."""
from flask import render_template

from .routes import bp


@bp.get("/new")
def new():
    """Upload a CSV file."""
    return render_template("imports/new.html")
