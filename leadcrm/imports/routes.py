"""The imports blueprint; its views live in wizard_routes (steps 1-5) and history_routes (progress, history)."""
from flask import Blueprint

bp = Blueprint("imports", __name__, url_prefix="/imports")

from leadcrm.imports import history_routes, wizard_routes  # noqa: E402,F401  (register the views on bp)
