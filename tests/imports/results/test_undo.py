"""Undo an import: its leads go, and the companies and tags that only they used."""
import pytest

from leadcrm.extensions import db
from leadcrm.models import Company, Lead, LeadImport, Tag, lead_tag
from tests.support.factories import make_import, make_lead


@pytest.fixture
def imported(app, user):
    """An earlier lead (company Shared, tag keep) and an import that created three leads."""
    ws = user["workspace_id"]
    with app.app_context():
        import_id = make_import(ws, user["id"], successful=3)
        make_lead(ws, "old@example.com", "Shared", ["keep"], first_name="Old")
        make_lead(ws, "a@example.com", "Shared", ["keep", "only"], import_id=import_id, import_line=2)
        make_lead(ws, "b@example.com", "Only Import Co", ["only"], import_id=import_id, import_line=3)
        make_lead(ws, "", None, [], import_id=import_id, import_line=4, first_name="No email")
        db.session.commit()
    return import_id


def names(model):
    return sorted(db.session.scalars(db.select(model.name)))


def test_confirmation_page_then_undo(app, auth_client, user, imported):
    page = auth_client.get(f"/imports/{imported}/undo").get_data(as_text=True)
    assert "deletes the 3 leads this import created" in page
    assert f'action="/imports/{imported}/undo"' in page and 'method="post"' in page
    response = auth_client.post(f"/imports/{imported}/undo")
    assert response.status_code == 303 and response.headers["Location"] == f"/imports/{imported}"
    html = auth_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Import undone: 3 leads deleted." in html and "Undone on" in html
    assert f'href="/imports/{imported}/undo"' not in html
    with app.app_context():
        assert db.session.scalars(db.select(Lead.email)).all() == ["old@example.com"]
        assert names(Company) == ["Shared"]
        assert names(Tag) == ["keep"]
        assert db.session.scalar(db.select(db.func.count()).select_from(lead_tag)) == 1
        assert db.session.get(LeadImport, imported).undone_at is not None


def test_undo_only_once(app, auth_client, imported):
    auth_client.post(f"/imports/{imported}/undo")
    html = auth_client.post(f"/imports/{imported}/undo", follow_redirects=True).get_data(as_text=True)
    assert "Only a finished import can be undone, and only once." in html
    assert auth_client.get(f"/imports/{imported}/undo").status_code == 303


@pytest.mark.parametrize("status", ["queued", "running"])
def test_an_active_import_cannot_be_undone(app, auth_client, user, status):
    with app.app_context():
        import_id = make_import(user["workspace_id"], user["id"], status=status)
        make_lead(user["workspace_id"], "a@example.com", import_id=import_id)
        db.session.commit()
    html = auth_client.post(f"/imports/{import_id}/undo", follow_redirects=True).get_data(as_text=True)
    assert "Only a finished import can be undone" in html
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Lead)) == 1


def test_undo_leaves_other_workspaces_alone(app, auth_client, other_client, user, imported):
    with app.app_context():
        from leadcrm.models import User

        globex = db.session.scalar(db.select(User).filter_by(email="intruder@example.com")).workspace_id
        make_lead(globex, "a@example.com", "Only Import Co", ["only"])
        db.session.commit()
    assert other_client.post(f"/imports/{imported}/undo").status_code == 404
    auth_client.post(f"/imports/{imported}/undo")
    with app.app_context():
        assert sorted(db.session.scalars(db.select(Lead.email))) == ["a@example.com", "old@example.com"]
        assert names(Company) == ["Only Import Co", "Shared"] and names(Tag) == ["keep", "only"]
