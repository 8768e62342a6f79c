"""An import's file is kept while an import that reads it may still run, and removed when none can."""
import pytest

from leadcrm.extensions import db
from leadcrm.imports.engine.process import process_import
from leadcrm.imports.jobs.control import cancel_import
from leadcrm.imports.upload import storage
from leadcrm.models import LeadImport
from tests.support.imports import create_import, get_import, workspace

FILE = "email\na@example.com\n"


@pytest.fixture(autouse=True)
def app_context(app):
    with app.app_context():
        yield


def stored(import_id: int) -> bool:
    try:
        storage.store().open(get_import(import_id).stored_name).close()
    except FileNotFoundError:
        return False
    return True


@pytest.mark.parametrize("storage_setting", ["folder", "database"])
def test_a_completed_check_keeps_the_file_of_the_import_it_checked(app, storage_setting):
    app.config["UPLOAD_STORAGE"] = storage_setting
    imp = create_import(FILE, workspace(), status="uploaded")
    check = create_import(FILE, workspace(), check_of_id=imp)
    db.session.get(LeadImport, check).stored_name = get_import(imp).stored_name
    db.session.commit()
    assert process_import(check)["status"] == "completed"
    assert stored(imp), "the import it checked still needs the file"


def test_a_cancelled_queued_import_removes_its_file_a_failed_one_keeps_it():
    cancelled, failed = create_import(FILE, workspace()), create_import(FILE, workspace(), status="failed")
    assert cancel_import(cancelled) and get_import(cancelled).status == "cancelled"
    assert not stored(cancelled)
    assert stored(failed), "a failed import can be re-queued: it keeps its file"


@pytest.mark.parametrize("storage_setting", ["folder", "database"])
def test_a_completed_import_removes_its_file(app, storage_setting):
    app.config["UPLOAD_STORAGE"] = storage_setting
    import_id = create_import(FILE, workspace())
    assert process_import(import_id)["status"] == "completed"
    assert not stored(import_id)
