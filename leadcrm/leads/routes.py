"""Leads list with filters and search, and its CSV export."""
from flask import Blueprint, Response, render_template, request, stream_with_context
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..imports.mapping.fields import FIELDS
from ..models import LEAD_STATUSES, Lead, LeadImport, Tag
from ..scoping import current_workspace_id, get_in_workspace_or_404
from .export import export_lines
from .filters import LeadFilters
from .history import changes_by_import

bp = Blueprint("leads", __name__, url_prefix="/leads")

PER_PAGE = 50


@bp.get("/")
def index():
    """The workspace's leads, newest first, filtered and searched."""
    filters = _filters()
    query = (
        filters.apply(_workspace_leads())
        .options(selectinload(Lead.company), selectinload(Lead.tags))
        .order_by(Lead.id.desc())
    )
    page = db.paginate(query, per_page=PER_PAGE)
    return render_template("leads/index.html", page=page, filters=filters, statuses=LEAD_STATUSES, **_choices())


@bp.get("/<int:lead_id>")
def show(lead_id):
    """One lead: every field, its tags and company, the import that created it and those that changed it."""
    lead = get_in_workspace_or_404(Lead, lead_id)
    origin = db.session.get(LeadImport, lead.import_id) if lead.import_id else None
    return render_template("leads/show.html", lead=lead, origin=origin, changed_by=changes_by_import(lead.id),
                           fields=FIELDS)


@bp.get("/export.csv")
def export():
    """Download the filtered leads as CSV, streamed."""
    filters = _filters()
    return Response(
        stream_with_context(export_lines(filters.apply(_workspace_leads()))),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="leads.csv"'},
    )


def _filters() -> LeadFilters:
    """The filters of the request; a tag or import of another workspace is not found, like its own page."""
    filters = LeadFilters.from_args(request.args)
    if filters.tag is not None:
        get_in_workspace_or_404(Tag, filters.tag)
    if filters.import_id is not None:
        get_in_workspace_or_404(LeadImport, filters.import_id)
    return filters


def _workspace_leads():
    return db.select(Lead).where(Lead.workspace_id == current_workspace_id())


def _choices() -> dict:
    """What the filter dropdowns offer: the workspace's sources, tags and imports."""
    workspace_id = current_workspace_id()
    return {
        "sources": db.session.scalars(
            db.select(Lead.source).where(Lead.workspace_id == workspace_id, Lead.source != "")
            .distinct().order_by(Lead.source)
        ).all(),
        "tags": db.session.execute(
            db.select(Tag.id, Tag.name).where(Tag.workspace_id == workspace_id).order_by(Tag.name_key)
        ).all(),
        "imports": db.session.execute(
            db.select(LeadImport.id, LeadImport.original_filename)
            .where(LeadImport.workspace_id == workspace_id, LeadImport.status != "uploaded",
                   LeadImport.check_of_id.is_(None))
            .order_by(LeadImport.id.desc())
        ).all(),
    }
