"""Import history, import detail with progress and error details, error report, cancel, undo."""
from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from redis import RedisError
from rq import Worker
from sqlalchemy import func
from sqlalchemy.orm import joinedload

from leadcrm.extensions import db, import_queue
from leadcrm.imports.jobs.control import cancel_import
from leadcrm.imports.mapping.fields import FIELDS
from leadcrm.imports.results.progress import duration, timing
from leadcrm.imports.results.report import report_lines
from leadcrm.imports.results.undo import can_undo, undo_import
from leadcrm.imports.routes import bp
from leadcrm.models import ISSUE_KINDS, ImportRowIssue, Lead, LeadImport, utcnow
from leadcrm.scoping import current_workspace_id, get_in_workspace_or_404

HISTORY_PER_PAGE = 20
ISSUES_PER_PAGE = 50
# htmx stops polling when a poll answers 286; the finished fragment carries no trigger either.
STOP_POLLING = 286

bp.add_app_template_filter(duration, "duration")


@bp.get("/")
def index():
    """Import Leads: New Import and the import history."""
    page = db.paginate(
        db.select(LeadImport)
        .filter_by(workspace_id=current_workspace_id())
        .options(joinedload(LeadImport.created_by))
        .order_by(LeadImport.id.desc()),
        per_page=HISTORY_PER_PAGE,
    )
    return render_template("imports/index.html", page=page)


@bp.get("/<int:import_id>/row")
def row(import_id):
    """One history row, polled while its import is queued or running."""
    imp = get_in_workspace_or_404(LeadImport, import_id)
    html = render_template("imports/_history_row.html", imp=imp)
    return html, STOP_POLLING if imp.is_finished else 200


@bp.get("/<int:import_id>")
def show(import_id):
    """An import's progress, mapping, defaults and error details."""
    imp = get_in_workspace_or_404(LeadImport, import_id)
    return render_template(
        "imports/show.html", imp=imp, fields=FIELDS, **_progress_context(imp),
        **_issues_context(imp),
    )


@bp.get("/<int:import_id>/progress")
def progress(import_id):
    """The progress fragment, polled every second while the import is queued or running."""
    imp = get_in_workspace_or_404(LeadImport, import_id)
    html = render_template("imports/_progress.html", imp=imp, **_progress_context(imp))
    if imp.is_finished:
        # The error details on the page were rendered while the import ran: they reload on this event.
        return html, STOP_POLLING, {"HX-Trigger": "import-finished"}
    return html, 200


@bp.get("/<int:import_id>/issues")
def issues(import_id):
    """Error details: skipped and error rows, filtered by kind, paginated; the partial for htmx."""
    imp = get_in_workspace_or_404(LeadImport, import_id)
    template = "imports/_issues.html" if request.headers.get("HX-Request") else "imports/issues.html"
    return render_template(template, imp=imp, **_issues_context(imp))


@bp.get("/<int:import_id>/report.csv")
def report(import_id):
    """Download the error report: original columns plus line and reason, formulas neutralised."""
    imp = get_in_workspace_or_404(LeadImport, import_id)
    kind = _kind_arg()
    name = f"import-{imp.id}-{kind or 'issues'}.csv"
    return Response(
        stream_with_context(report_lines(imp, kind)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.post("/<int:import_id>/cancel")
def cancel(import_id):
    """Cancel a queued or running import."""
    imp = get_in_workspace_or_404(LeadImport, import_id)
    if cancel_import(imp.id):
        flash("Cancelling the import. Leads imported so far stay; undo the import to remove them.", "success")
    else:
        flash("The import has already finished; there is nothing to cancel.", "error")
    return redirect(url_for("imports.show", import_id=imp.id), 303)


@bp.get("/<int:import_id>/undo")
def confirm_undo(import_id):
    """Ask for confirmation before undoing an import."""
    imp = get_in_workspace_or_404(LeadImport, import_id)
    if not can_undo(imp):
        return redirect(url_for("imports.show", import_id=imp.id), 303)
    leads = db.session.scalar(db.select(func.count()).where(Lead.import_id == imp.id))
    return render_template("imports/confirm_undo.html", imp=imp, leads=leads)


@bp.post("/<int:import_id>/undo")
def undo(import_id):
    """Delete the leads a finished import created, and the companies and tags only they used."""
    imp = get_in_workspace_or_404(LeadImport, import_id)
    if not can_undo(imp):
        flash("Only a finished import can be undone, and only once.", "error")
    else:
        deleted = undo_import(imp)
        flash(f"Import undone: {deleted} leads deleted.", "success")
    return redirect(url_for("imports.show", import_id=imp.id), 303)


def _progress_context(imp: LeadImport) -> dict:
    no_worker = False
    if imp.status == "queued":
        # The only Redis call of the poll, and only while queued: is anyone going to take the job?
        # An unreachable Redis means the same for the user: nothing will run it.
        try:
            no_worker = Worker.count(queue=import_queue()) == 0
        except RedisError:
            no_worker = True
    return {"timing": timing(imp, utcnow()), "no_worker": no_worker, "can_undo": can_undo(imp)}


def _issues_context(imp: LeadImport) -> dict:
    kind = _kind_arg()
    query = db.select(ImportRowIssue).filter_by(import_id=imp.id).order_by(ImportRowIssue.line)
    if kind:
        query = query.filter_by(kind=kind)
    counts = dict(db.session.execute(
        db.select(ImportRowIssue.kind, func.count()).filter_by(import_id=imp.id).group_by(ImportRowIssue.kind)
    ).all())
    page = db.paginate(query, per_page=ISSUES_PER_PAGE, error_out=False)
    return {"kind": kind, "kinds": ISSUE_KINDS, "counts": counts, "issues": page}


def _kind_arg() -> str | None:
    kind = request.args.get("kind") or None
    if kind is not None and kind not in ISSUE_KINDS:
        abort(404)
    return kind
