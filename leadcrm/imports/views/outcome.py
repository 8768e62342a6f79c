"""What an import left: its error details, the error report to download, and Undo."""
from flask import Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from sqlalchemy import func

from leadcrm.extensions import db
from leadcrm.imports.blueprint import bp
from leadcrm.imports.results.report import report_lines
from leadcrm.imports.results.undo import can_undo, undo_import
from leadcrm.models import ISSUE_KINDS, ImportRowIssue, Lead, LeadImport
from leadcrm.scoping import get_in_workspace_or_404

ISSUES_PER_PAGE = 50


@bp.get("/<int:import_id>/issues")
def issues(import_id):
    """Error details: skipped and error rows, filtered by kind, paginated; the partial for htmx."""
    imp = get_in_workspace_or_404(LeadImport, import_id)
    template = "imports/_issues.html" if request.headers.get("HX-Request") else "imports/issues.html"
    return render_template(template, imp=imp, **issues_context(imp))


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


def issues_context(imp: LeadImport) -> dict:
    """The error details' page of rows, with the counts per kind, for the kind asked in the query string."""
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
