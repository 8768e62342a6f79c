"""An import's page: its progress (a fragment polled while it is queued or running), and Cancel."""
from flask import flash, redirect, render_template, url_for

from leadcrm.extensions import db
from leadcrm.imports import lifecycle
from leadcrm.imports.blueprint import bp
from leadcrm.imports.jobs import fairness
from leadcrm.imports.jobs.control import cancel_import
from leadcrm.imports.mapping.fields import FIELDS
from leadcrm.imports.results.progress import timing
from leadcrm.imports.results.undo import can_undo
from leadcrm.imports.views.outcome import summary_context
from leadcrm.models import LeadImport, utcnow
from leadcrm.scoping import get_in_workspace_or_404

# htmx stops polling when a poll answers 286; the finished fragment carries no trigger either.
STOP_POLLING = 286


@bp.get("/<int:import_id>")
def show(import_id):
    """An import's progress, outcome, mapping and defaults; before it starts, its latest check."""
    imp = get_in_workspace_or_404(LeadImport, import_id)
    if imp.is_check:
        return redirect(url_for("imports.show", import_id=imp.check_of_id), 303)
    check = latest_check(imp)
    shown = check if imp.status == lifecycle.UPLOADED else imp
    context = {"fields": FIELDS}
    if shown is not None:
        context.update(progress_context(shown), **summary_context(shown))
    return render_template(
        "imports/show.html", imp=imp, check=check, shown=shown,
        check_differs=check is not None and imp.is_finished and _differs(imp, check), **context,
    )


@bp.get("/<int:import_id>/progress")
def progress(import_id):
    """The progress fragment, polled every second while the import is queued or running."""
    imp = get_in_workspace_or_404(LeadImport, import_id)
    html = render_template("imports/_progress.html", imp=imp, **progress_context(imp))
    if imp.is_finished:
        # The error details on the page were rendered while the import ran: they reload on this event.
        return html, STOP_POLLING, {"HX-Trigger": "import-finished"}
    return html, 200


@bp.post("/<int:import_id>/cancel")
def cancel(import_id):
    """Cancel a queued or running import."""
    imp = get_in_workspace_or_404(LeadImport, import_id)
    if cancel_import(imp.id):
        flash("Cancelling the import. Leads imported so far stay; undo the import to remove them.", "success")
    else:
        flash("The import has already finished; there is nothing to cancel.", "error")
    return redirect(url_for("imports.show", import_id=imp.id), 303)


@bp.app_template_test("stale_heartbeat")
def stale_heartbeat(imp: LeadImport) -> bool:
    """`imp is stale_heartbeat` in a template: the history row says that its worker stopped."""
    return lifecycle.heartbeat_stale(imp)


def latest_check(imp: LeadImport) -> LeadImport | None:
    """The import's newest check of its whole file."""
    return db.session.scalar(db.select(LeadImport).filter_by(check_of_id=imp.id).order_by(LeadImport.id.desc()).limit(1))


def _differs(imp: LeadImport, check: LeadImport) -> bool:
    """The finished import's figures are not those its completed check predicted with the same choices."""
    same_choices = (check.mapping, check.defaults, check.choices) == (imp.mapping, imp.defaults, imp.choices)
    figures = ("total_rows", "successful", "updated", "skipped", "errors")
    return (check.status == lifecycle.COMPLETED and imp.status == lifecycle.COMPLETED and same_choices
            and any(getattr(imp, name) != getattr(check, name) for name in figures))


def progress_context(imp: LeadImport) -> dict:
    """What the progress fragment shows besides the import row."""
    # The only Redis call of the poll, and only while queued: is anyone going to take the job?
    no_worker = imp.status == lifecycle.QUEUED and not lifecycle.worker_alive()
    now = utcnow()
    stale = lifecycle.heartbeat_stale(imp, now)
    return {"timing": timing(imp, now, stale), "no_worker": no_worker, "stale": stale, "can_undo": can_undo(imp),
            "waiting": fairness.waiting_for(imp)}
