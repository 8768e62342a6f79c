"""Import wizard views."""
from flask import Blueprint, render_template

bp = Blueprint("imports", __name__, url_prefix="/imports")


@bp.get("/")
def index():
    """Import Leads: New Import and the import history."""
    return render_template("imports/index.html")
