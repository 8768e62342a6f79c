"""The database itself enforces the rules, on both engines."""
import pytest
from sqlalchemy.exc import IntegrityError

from leadcrm.extensions import db
from leadcrm.keys import email_key, name_key
from leadcrm.models import Company, Lead, Tag


def lead(workspace_id, email):
    return Lead(workspace_id=workspace_id, email=email, email_key=email_key(email))


def test_email_unique_per_workspace_case_and_space_insensitive(app, workspaces):
    a, b = workspaces
    db.session.add_all([lead(a, "Ann@Example.com"), lead(b, "ann@example.com")])
    db.session.commit()
    db.session.add(lead(a, "  ann@EXAMPLE.com "))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_unicode_emails_collide_on_both_engines(app, workspaces):
    a, _ = workspaces
    db.session.add(lead(a, "ØSTERBRO@example.dk"))
    db.session.commit()
    db.session.add(lead(a, "østerbro@example.dk"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_leads_without_email_never_collide(app, workspaces):
    a, _ = workspaces
    db.session.add_all([lead(a, ""), lead(a, ""), lead(a, " ")])
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count(Lead.id))) == 3


@pytest.mark.parametrize("model", [Company, Tag])
def test_company_and_tag_names_unique_case_insensitively(app, workspaces, model):
    a, b = workspaces
    db.session.add_all([model(workspace_id=a, name="Østerbro", name_key=name_key("Østerbro")),
                        model(workspace_id=b, name="ØSTERBRO", name_key=name_key("ØSTERBRO"))])
    db.session.commit()
    db.session.add(model(workspace_id=a, name=" ØSTERBRO ", name_key=name_key(" ØSTERBRO ")))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


@pytest.mark.parametrize("column, value", [("status", "won"), ("deal_value", -1)])
def test_check_constraints(app, workspaces, column, value):
    a, _ = workspaces
    db.session.add(Lead(workspace_id=a, **{column: value}))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_lead_needs_an_existing_workspace(app, workspaces):
    db.session.add(Lead(workspace_id=999))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
