"""Leads → Import Leads: the workspace's imports, newest first; a row updates itself while its import runs."""
from flask import render_template
from sqlalchemy.orm import joinedload

from leadcrm.extensions import db
from leadcrm.imports.blueprint import bp
from leadcrm.imports.jobs import fairness
from leadcrm.imports.views.progress import STOP_POLLING
from leadcrm.models import LeadImport
from leadcrm.scoping import current_workspace_id, get_in_workspace_or_404

HISTORY_PER_PAGE = 20


@bp.get("/")
def index():
    """Import Leads: New Import and the import history."""
    page = db.paginate(
        db.select(LeadImport)
        .filter_by(workspace_id=current_workspace_id(), check_of_id=None)
        .options(joinedload(LeadImport.created_by))
        .order_by(LeadImport.id.desc()),
        per_page=HISTORY_PER_PAGE,
    )
    return render_template("imports/index.html", page=page, waiting=fairness.waiting_in(current_workspace_id()))


@bp.get("/<int:import_id>/row")
def row(import_id):
    """One history row, polled while its import is queued or running."""
    imp = get_in_workspace_or_404(LeadImport, import_id)
    html = render_template("imports/_history_row.html", imp=imp, waiting=fairness.waiting_in(imp.workspace_id))
    return html, STOP_POLLING if imp.is_finished else 200
