"""Steps 3-5 in the browser: map the columns with a preview and a live sample row, then Start Import."""
from flask import redirect, render_template, url_for

from leadcrm.imports import lifecycle
from leadcrm.imports.blueprint import bp
from leadcrm.imports.jobs.enqueue import start_import
from leadcrm.imports.mapping import preview
from leadcrm.imports.mapping import saved as saved_mappings
from leadcrm.imports.mapping.forms import MappingForm
from leadcrm.models import LeadImport
from leadcrm.scoping import get_in_workspace_or_404


@bp.route("/<int:import_id>/mapping", methods=["GET", "POST"])
def mapping(import_id):
    """Map the columns to lead fields with a preview and a sample row; Start Import."""
    imp = get_in_workspace_or_404(LeadImport, import_id)
    if imp.status != lifecycle.UPLOADED:
        return redirect(url_for("imports.show", import_id=imp.id), 303)
    suggested, remembered = saved_mappings.suggest(imp.workspace_id, imp.header)
    form = MappingForm.for_header(imp.header, suggested)
    if form.validate_on_submit() and not form.preview.data:
        if start_import(imp.id, form.mapping(), form.defaults()):
            saved_mappings.remember(imp.workspace_id, imp.header, form.mapping())
        return redirect(url_for("imports.show", import_id=imp.id), 303)
    rows = preview.first_rows(imp)
    return render_template(
        "imports/mapping.html",
        imp=imp,
        form=form,
        remembered=remembered,
        rows=rows,
        examples=preview.examples(imp.header, rows),
        sample=preview.sample_row(imp.header, rows, form.mapping(), form.defaults()),
    )


@bp.post("/<int:import_id>/sample")
def sample(import_id):
    """The sample row under the posted mapping (an htmx fragment), with what is wrong with the mapping."""
    imp = get_in_workspace_or_404(LeadImport, import_id)
    form = MappingForm.for_header(imp.header, {})
    form.validate()
    sample_row = preview.sample_row(imp.header, preview.first_rows(imp), form.mapping(), form.defaults())
    return render_template("imports/_sample_row.html", form=form, sample=sample_row)
