"""Steps 1-2 in the browser: upload a file, see what is wrong with it or accept an offer to read it another way."""
from dataclasses import replace

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from leadcrm.imports.blueprint import bp
from leadcrm.imports.upload import sniff, storage
from leadcrm.imports.upload.inspect import inspect_stored
from leadcrm.imports.workbook.check import SheetChoice
from leadcrm.imports.upload.accept import accept
from leadcrm.imports.upload.forms import OfferForm, UploadForm
from leadcrm.scoping import current_workspace_id

GONE = "That upload is no longer waiting: it was imported already, or a day has passed. Upload the file again."


@bp.get("/new")
def new():
    """Upload a CSV file or an Excel workbook."""
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
    """Check the same upload again with the encoding or delimiter the upload page offered, or the sheet picked."""
    form = OfferForm()
    pending = form.validate_on_submit() and storage.load_pending(form.upload.data, current_workspace_id())
    if not pending:
        flash(GONE, "error")
        return redirect(url_for("imports.new"), 303)
    return _check(pending)


def _check(pending: storage.PendingUpload):
    """Create the import from a pending upload that passes the check; otherwise show the problem and its offer."""
    result = inspect_stored(pending.stored_name, pending.encoding, pending.delimiter, pending.sheet)
    if isinstance(result, SheetChoice):
        picks = [(sheet, OfferForm(formdata=None, upload=storage.sign_pending(replace(pending, sheet=sheet.name))))
                 for sheet in result.sheets]
        return render_template("imports/sheets.html", pending=pending, picks=picks)
    if isinstance(result, sniff.Problem):
        offer = None
        if result.offer:
            offer = OfferForm(formdata=None, upload=storage.sign_pending(replace(pending, **result.offer)))
        else:
            storage.discard(pending.stored_name)
        return render_template(
            "imports/new.html", form=UploadForm(formdata=None), problem=result, offer=offer, pending=pending
        )
    imp = accept(pending, result, current_user.id)
    if imp is None:
        flash(GONE, "error")
        return redirect(url_for("imports.new"), 303)
    return redirect(url_for("imports.mapping", import_id=imp.id), 303)
