"""What an import (or a check) left: its problems grouped by reason, the rows of a group, the changes to
existing leads, their CSV downloads, and Undo."""
from flask import Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from sqlalchemy import func
from sqlalchemy.orm import joinedload

from leadcrm.extensions import db
from leadcrm.formatting import counted
from leadcrm.imports.blueprint import bp
from leadcrm.imports.engine.updates import UPDATABLE
from leadcrm.imports.mapping.fields import FIELDS
from leadcrm.imports.reasons import REASONS
from leadcrm.imports.results import summary
from leadcrm.imports.results.report import changes_lines, report_lines
from leadcrm.imports.results.undo import can_undo, kept_by, undo_import
from leadcrm.models import ISSUE_KINDS, ImportRowIssue, Lead, LeadChange, LeadImport
from leadcrm.scoping import get_in_workspace_or_404

ISSUES_PER_PAGE = 50
CHANGES_PER_PAGE = 50


@bp.get("/<int:import_id>/summary")
def summary_fragment(import_id):
    """The grouped outcome (an htmx fragment), refreshed while the import runs."""
    imp = get_in_workspace_or_404(LeadImport, import_id)
    return render_template("imports/_summary.html", shown=imp, **summary_context(imp))


@bp.get("/<int:import_id>/issues")
def issues(import_id):
    """The skipped and error rows, all or one kind or one group (reason and column), 50 per page."""
    imp = get_in_workspace_or_404(LeadImport, import_id)
    filters = _issue_filters()
    query = db.select(ImportRowIssue).filter_by(import_id=imp.id, **filters).order_by(ImportRowIssue.line)
    counts = dict(db.session.execute(
        db.select(ImportRowIssue.kind, func.count()).filter_by(import_id=imp.id).group_by(ImportRowIssue.kind)
    ).all())
    page = db.paginate(query, per_page=ISSUES_PER_PAGE, error_out=False)
    template = "imports/_issues.html" if request.headers.get("HX-Request") else "imports/issues.html"
    return render_template(template, imp=imp, filters=filters, kinds=ISSUE_KINDS, counts=counts, issues=page,
                           group=REASONS.get(filters.get("code")))


@bp.get("/<int:import_id>/report.csv")
def report(import_id):
    """Download the error report (all, one kind or one group): original columns plus line and reason."""
    imp = get_in_workspace_or_404(LeadImport, import_id)
    filters = _issue_filters()
    conditions = [getattr(ImportRowIssue, name) == value for name, value in filters.items()]
    name = f"import-{imp.id}-{filters.get('code') or filters.get('kind') or 'issues'}.csv"
    return _csv(report_lines(imp, conditions), name)


@bp.get("/<int:import_id>/changes")
def changes(import_id):
    """The changes to existing leads (update mode), by line, filterable by field, 50 per page."""
    imp = get_in_workspace_or_404(LeadImport, import_id)
    field = _field_arg()
    query = (db.select(LeadChange).options(joinedload(LeadChange.lead)).filter_by(import_id=imp.id)
             .order_by(LeadChange.line, LeadChange.field))
    if field:
        query = query.filter_by(field=field)
    page = db.paginate(query, per_page=CHANGES_PER_PAGE, error_out=False)
    kept = {change.id: kept_by(change) for change in page.items if change.undo == "kept"}
    return render_template("imports/changes.html", imp=imp, field=field, changes=page, fields=FIELDS,
                           counts=summary.changed_fields(imp.id), kept=kept)


@bp.get("/<int:import_id>/changes.csv")
def changes_report(import_id):
    """Download the changes to existing leads: line, email, field, before, after."""
    imp = get_in_workspace_or_404(LeadImport, import_id)
    field = _field_arg()
    return _csv(changes_lines(imp, field), f"import-{imp.id}-changes{'-' + field if field else ''}.csv")


@bp.get("/<int:import_id>/undo")
def confirm_undo(import_id):
    """Ask for confirmation before undoing an import."""
    imp = get_in_workspace_or_404(LeadImport, import_id)
    if not can_undo(imp):
        return redirect(url_for("imports.show", import_id=imp.id), 303)
    leads = db.session.scalar(db.select(func.count()).where(Lead.import_id == imp.id))
    values = db.session.scalar(db.select(func.count()).where(LeadChange.import_id == imp.id, LeadChange.undo.is_(None)))
    return render_template("imports/confirm_undo.html", imp=imp, leads=leads, values=values)


@bp.post("/<int:import_id>/undo")
def undo(import_id):
    """Delete the leads a finished import created and put back the values it changed."""
    imp = get_in_workspace_or_404(LeadImport, import_id)
    if not can_undo(imp):
        flash("Only a finished import can be undone, and only once.", "error")
        return redirect(url_for("imports.show", import_id=imp.id), 303)
    undone = undo_import(imp)
    message = f"Import undone: {counted(undone.deleted, 'lead')} deleted"
    if undone.restored or undone.kept:
        message += f", {counted(undone.restored, 'value')} put back"
    flash(message + ".", "success")
    if undone.kept:
        flash(f"Left as {'it is' if undone.kept == 1 else 'they are'}: {counted(undone.kept, 'value')} that "
              "something changed after this import (see the list of changes).", "warning")
    return redirect(url_for("imports.show", import_id=imp.id), 303)


def summary_context(imp: LeadImport) -> dict:
    """The grouped problems and, in update mode, the changes per field."""
    return {"groups": summary.groups(imp), "changed_fields": summary.changed_fields(imp.id), "fields": FIELDS}


def _csv(lines, name: str) -> Response:
    return Response(stream_with_context(lines), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _issue_filters() -> dict:
    """kind, or code with an optional column, from the query string; an unknown one is not found."""
    filters = {}
    kind, code = request.args.get("kind") or None, request.args.get("code") or None
    if kind is not None:
        if kind not in ISSUE_KINDS:
            abort(404)
        filters["kind"] = kind
    if code is not None:
        if code not in REASONS:
            abort(404)
        filters["code"] = code
        if "column" in request.args:
            filters["column_name"] = request.args["column"] or None
    return filters


def _field_arg() -> str | None:
    field = request.args.get("field") or None
    if field is not None and field not in UPDATABLE:
        abort(404)
    return field
