"""Steps 3-5 in the browser: map the columns with a preview and a live sample row, check the whole file
or Start Import."""
from flask import abort, flash, redirect, render_template, url_for

from leadcrm.extensions import db
from leadcrm.imports import lifecycle
from leadcrm.imports.blueprint import bp
from leadcrm.imports.engine.process import process_import
from leadcrm.imports.jobs.enqueue import start_check, start_import
from leadcrm.imports.mapping import preview, scan
from leadcrm.imports.mapping import saved as saved_mappings
from leadcrm.imports.mapping.forms import MappingForm
from leadcrm.models import LeadImport
from leadcrm.scoping import get_in_workspace_or_404


@bp.route("/<int:import_id>/mapping", methods=["GET", "POST"])
def mapping(import_id):
    """Map the columns to lead fields with a preview and a sample row; check the whole file or start."""
    imp = get_in_workspace_or_404(LeadImport, import_id)
    if imp.status != lifecycle.UPLOADED or imp.is_check:
        return redirect(url_for("imports.show", import_id=imp.id), 303)
    form = _form(imp)
    if form.validate_on_submit() and not form.preview.data:
        mapping, defaults, choices = form.mapping(), form.defaults(), form.choices()
        if form.check.data:
            return _check(imp, mapping, defaults, choices)
        if start_import(imp.id, mapping, defaults, choices):
            saved_mappings.remember(imp.workspace_id, imp.header, mapping, choices)
        return redirect(url_for("imports.show", import_id=imp.id), 303)
    if form.is_submitted():
        _keep(imp, form)
    rows = preview.first_rows(imp)
    return render_template(
        "imports/mapping.html",
        imp=imp,
        form=form,
        remembered=imp.mapping is None and saved_mappings.suggest(imp.workspace_id, imp.header)[2],
        rows=rows,
        examples=preview.examples(imp.header, rows),
        checked_on_the_spot=preview.checked_on_the_spot(imp),
        **_sample_context(imp, form, rows),
        **_value_context(imp, form),
    )


@bp.post("/<int:import_id>/sample")
def sample(import_id):
    """The sample row under the posted mapping (an htmx fragment), with what is wrong with the mapping;
    the choices are kept for the upload."""
    imp = get_in_workspace_or_404(LeadImport, import_id)
    form = _with_values(imp, MappingForm.for_header(imp.header, {}), {}, None, {})
    form.validate()
    _keep(imp, form)
    # The readings of the status values follow the column mapped to Status: they come out of band.
    return render_template("imports/_sample_row.html", form=form, out_of_band=True, imp=imp,
                           **_sample_context(imp, form, preview.first_rows(imp)), **_value_context(imp, form))


@bp.post("/<int:import_id>/checks/<int:check_id>/start")
def start_checked(import_id, check_id):
    """Start the import with the mapping and choices of its check."""
    imp = get_in_workspace_or_404(LeadImport, import_id)
    check = get_in_workspace_or_404(LeadImport, check_id)
    if check.check_of_id != imp.id:
        abort(404)
    if start_import(imp.id, check.mapping, check.defaults, check.choices):
        saved_mappings.remember(imp.workspace_id, imp.header, check.mapping, check.choices)
    else:
        flash("The import has already been started.", "error")
    return redirect(url_for("imports.show", import_id=imp.id), 303)


def _form(imp: LeadImport) -> MappingForm:
    """The mapping form, filled with what was chosen for this upload, else the remembered or guessed mapping."""
    if imp.mapping is not None:
        mapping, defaults, choices = imp.mapping, imp.defaults, imp.choices
    else:
        mapping, choices, _ = saved_mappings.suggest(imp.workspace_id, imp.header)
        defaults = None
    return _with_values(imp, MappingForm.for_header(imp.header, mapping, defaults, choices), mapping, defaults, choices)


def _with_values(imp: LeadImport, form: MappingForm, mapping: dict, defaults: dict | None, choices: dict) -> MappingForm:
    """The form again with what the whole file says of the columns it maps (posted or not): a select for
    each value of the status column, and the number format its amounts are detected in."""
    status_column = form.column_of("status")
    amounts = [column for column in (form.column_of("deal_value"), form.column_of("lead_score")) if column]
    values = scan.status_values(imp, status_column).values if status_column else []
    return MappingForm.for_header(imp.header, mapping, defaults, choices, status_values=values,
                                  number_format=scan.number_format(imp, amounts) if amounts else None)


def _sample_context(imp: LeadImport, form: MappingForm, rows: list[list[str]]) -> dict:
    mapping, defaults, choices = form.mapping(), form.defaults(), form.choices()
    sample = preview.sample_row(imp.header, rows, mapping, defaults, choices["rules"])
    update = preview.first_update(imp, rows, mapping, defaults, choices) if sample and not sample.invalid else None
    return {"sample": sample, "sample_update": update}


def _value_context(imp: LeadImport, form: MappingForm) -> dict:
    column = form.column_of("status")
    return {"status_scan": scan.status_values(imp, column) if column else None, "status_column": column}


def _keep(imp: LeadImport, form: MappingForm) -> None:
    """Keep the posted choices for this upload until it starts (the page shows them again)."""
    lifecycle.save_draft(db.session, imp.id, form.mapping(), form.defaults(), form.choices())
    db.session.commit()


def _check(imp: LeadImport, mapping: dict, defaults: dict, choices: dict):
    """Check the whole file with the posted mapping: at once for a small file, else on the queue."""
    lifecycle.save_draft(db.session, imp.id, mapping, defaults, choices)
    check_id = start_check(imp.id, mapping, defaults, choices, queue=not preview.checked_on_the_spot(imp))
    if check_id is not None and preview.checked_on_the_spot(imp):
        process_import(check_id, fork=False)
    return redirect(url_for("imports.show", import_id=imp.id), 303)
