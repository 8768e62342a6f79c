"""Leads → Import Leads: the workspace's imports, newest first; a row updates itself while its import runs.
Uploads never started are listed for UPLOAD_RETENTION_HOURS, and can be discarded."""
from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import joinedload

from leadcrm.extensions import db
from leadcrm.imports import lifecycle
from leadcrm.imports.blueprint import bp
from leadcrm.imports.upload import storage
from leadcrm.imports.jobs import fairness
from leadcrm.imports.views.progress import STOP_POLLING
from leadcrm.models import LeadImport, utcnow
from leadcrm.scoping import current_workspace_id, get_in_workspace_or_404

HISTORY_PER_PAGE = 20


@bp.get("/")
def index():
    """Import Leads: New Import and the import history (?unstarted=all lists every upload never started)."""
    imports = db.select(LeadImport).filter_by(workspace_id=current_workspace_id(), check_of_id=None)
    retention_hours = current_app.config["UPLOAD_RETENTION_HOURS"]
    old_upload = (LeadImport.status == lifecycle.UPLOADED) & (
        LeadImport.created_at < utcnow() - timedelta(hours=retention_hours))
    show_all = request.args.get("unstarted") == "all"
    hidden = 0 if show_all else db.session.scalar(
        db.select(db.func.count()).select_from(imports.where(old_upload).subquery()))
    page = db.paginate(
        (imports if show_all else imports.where(~old_upload))
        .options(joinedload(LeadImport.created_by))
        .order_by(LeadImport.id.desc()),
        per_page=HISTORY_PER_PAGE,
    )
    return render_template("imports/index.html", page=page, hidden=hidden, show_all=show_all,
                           retention_hours=retention_hours, waiting=fairness.waiting_in(current_workspace_id()))


@bp.get("/<int:import_id>/row")
def row(import_id):
    """One history row, polled while its import is queued or running."""
    imp = get_in_workspace_or_404(LeadImport, import_id)
    # Only a queued import can be waiting: a running row's poll asks nothing more of the database.
    html = render_template("imports/_history_row.html", imp=imp, waiting={imp.id: fairness.waiting_for(imp)})
    return html, STOP_POLLING if imp.is_finished else 200


@bp.post("/<int:import_id>/discard")
def discard(import_id):
    """Discard an upload that was never started: its import and its stored file go."""
    imp = get_in_workspace_or_404(LeadImport, import_id)
    name = imp.original_filename
    stored_name = lifecycle.discard(db.session, imp.id)
    db.session.commit()
    if stored_name is None:
        flash(f"{name} was not discarded: it has been started, or its whole file is being checked "
              "(cancel the check first).", "error")
        return redirect(url_for("imports.show", import_id=imp.id), 303)
    storage.discard(stored_name)  # after the commit: a file without its import is only disk space
    flash(f"Discarded the upload of {name}.", "success")
    return redirect(url_for("imports.index"), 303)
