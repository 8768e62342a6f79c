"""System Health for super admins, its re-queue action, and /healthz for load balancers."""
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    url_for,
)
from flask_login import current_user
from redis import RedisError

from leadcrm.imports.jobs.control import requeue_import

from . import checks

bp = Blueprint("health", __name__)


def _super_admins_only() -> None:
    """System Health shows every workspace's imports: super admins only."""
    if not current_user.is_super_admin:
        abort(403)


@bp.get("/system-health")
def system():
    """Database, Redis, workers, queue and stuck imports."""
    _super_admins_only()
    database, redis = checks.database(), checks.redis()
    workers, queue, stuck, per_workspace = [], None, [], []
    if redis.ok:
        try:
            workers, queue = checks.workers(), checks.queue()
        except RedisError as error:
            redis = checks.Check(False, error=str(error))
    if database.ok:
        stuck = checks.stuck_imports(len(workers) if redis.ok else 0)
        per_workspace = checks.imports_per_workspace()
    return render_template(
        "health/system.html", database=database, redis=redis, workers=workers, queue=queue, stuck=stuck,
        per_workspace=per_workspace, hosts=checks.workers_per_host(workers),
        imports_per_workspace=current_app.config["IMPORTS_PER_WORKSPACE"],
        stale_seconds=current_app.config["IMPORT_STALE_SECONDS"],
    )


@bp.post("/system-health/imports/<int:import_id>/requeue")
def requeue(import_id):
    """Put a stuck import back on the queue; it resumes from its checkpoint."""
    _super_admins_only()
    if requeue_import(import_id):
        flash(f"Import #{import_id} is queued again; a worker resumes it from its last checkpoint.", "success")
    else:
        flash(f"Import #{import_id} was not re-queued: it is no longer stuck, or Redis is unreachable.", "error")
    return redirect(url_for("health.system"), 303)


@bp.get("/healthz")
def healthz():
    """Database, Redis and worker count as JSON; 503 when the database or Redis is unreachable."""
    database, redis = checks.database(), checks.redis()
    workers = 0
    if redis.ok:
        try:
            workers = checks.worker_count()
        except RedisError as error:
            redis = checks.Check(False, error=str(error))
    # Public endpoint: say which dependency fails, not how (no hosts or driver messages).
    body = {
        "database": "ok" if database.ok else "error",
        "redis": "ok" if redis.ok else "error",
        "workers": workers,
    }
    return jsonify(body), 200 if database.ok and redis.ok else 503
