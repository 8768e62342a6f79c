"""Leads list."""
from flask import Blueprint, render_template

bp = Blueprint("leads", __name__, url_prefix="/leads")


@bp.get("/")
def index():
    """The workspace's leads."""
    return render_template("leads/index.html")
