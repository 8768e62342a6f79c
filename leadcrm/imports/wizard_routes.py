"""Import wizard views: upload, check, map with preview and sample row, start."""
from dataclasses import replace

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from leadcrm.extensions import db
from leadcrm.imports.forms import MappingForm, OfferForm, UploadForm
from leadcrm.imports.jobs.enqueue import start_import
from leadcrm.imports.mapping import preview
from leadcrm.imports.mapping import saved as saved_mappings
from leadcrm.imports.routes import bp
from leadcrm.imports.upload import sniff, storage
from leadcrm.models import LeadImport
from leadcrm.scoping import current_workspace_id, get_in_workspace_or_404

GONE = "That upload is no longer waiting: it was imported already, or a day has passed. Upload the file again."


@bp.get("/new")
def new():
    """Upload a CSV file."""
    return render_template("imports/new.html", form=UploadForm())


@bp.post("/")
def create():
    """Store the uploaded file and check its start: on to the mapping, or back with what is wrong."""
    form = UploadForm()
    if not form.validate_on_submit():
        return render_template("imports/new.html", form=form)
    storage.remove_abandoned()
    return _check(storage.save_upload(form.file.data, current_workspace_id()))


@bp.post("/retry")
def retry():
    """Check the same upload again with the encoding or delimiter the upload page offered."""
    form = OfferForm()
    pending = form.validate_on_submit() and storage.load_pending(form.upload.data, current_workspace_id())
    if not pending:
        flash(GONE, "error")
        return redirect(url_for("imports.new"), 303)
    return _check(pending)


def _check(pending: storage.PendingUpload):
    """Create the import from a pending upload that passes the check; otherwise show the problem and its offer."""
    result = sniff.sniff(storage.pending_path(pending.stored_name), pending.encoding, pending.delimiter)
    if isinstance(result, sniff.Problem):
        offer = None
        if result.offer:
            offer = OfferForm(formdata=None, upload=storage.sign_pending(replace(pending, **result.offer)))
        else:
            storage.discard(pending.stored_name)
        return render_template(
            "imports/new.html", form=UploadForm(formdata=None), problem=result, offer=offer, pending=pending
        )
    if not storage.keep(pending.stored_name):
        flash(GONE, "error")
        return redirect(url_for("imports.new"), 303)
    imp = LeadImport(
        workspace_id=pending.workspace_id,
        created_by_id=current_user.id,
        original_filename=pending.original_filename,
        stored_name=pending.stored_name,
        size_bytes=pending.size_bytes,
        encoding=result.encoding,
        delimiter=result.delimiter,
        header=result.header,
        status="uploaded",
    )
    db.session.add(imp)
    db.session.commit()
    return redirect(url_for("imports.mapping", import_id=imp.id), 303)


@bp.route("/<int:import_id>/mapping", methods=["GET", "POST"])
def mapping(import_id):
    """Map the columns to lead fields with a preview and a sample row; Start Import."""
    imp = get_in_workspace_or_404(LeadImport, import_id)
    if imp.status != "uploaded":
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
        delimiter_name=sniff.DELIMITER_NAMES.get(imp.delimiter, repr(imp.delimiter)),
        encoding_label=sniff.encoding_label(imp.encoding),
    )


@bp.post("/<int:import_id>/sample")
def sample(import_id):
    """The sample row under the posted mapping (an htmx fragment), with what is wrong with the mapping."""
    imp = get_in_workspace_or_404(LeadImport, import_id)
    form = MappingForm.for_header(imp.header, {})
    form.validate()
    sample_row = preview.sample_row(imp.header, preview.first_rows(imp), form.mapping(), form.defaults())
    return render_template("imports/_sample_row.html", form=form, sample=sample_row)
