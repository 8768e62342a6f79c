"""The lead page: every field, its tags and company, the import that created it (with its line) and the
imports that changed it; only in its own workspace."""
from decimal import Decimal

import pytest

from leadcrm.extensions import db
from leadcrm.models import LeadChange
from tests.support.factories import make_import, make_lead


@pytest.fixture
def lead(app, user):
    """Ada, created by line 7 of fair.csv, then changed by update.csv (line 3); a check of a third file
    would change her too, which is no change at all."""
    ws = user["workspace_id"]
    with app.app_context():
        created_by = make_import(ws, user["id"], original_filename="fair.csv")
        updated_by = make_import(ws, user["id"], original_filename="update.csv", existing_leads="update")
        checked = make_import(ws, user["id"], original_filename="checked.csv", status="uploaded")
        check = make_import(ws, user["id"], original_filename="checked.csv", check_of_id=checked)
        ada = make_lead(ws, "ada@example.com", "Analytical Engines", ["vip", "Newsletter"], first_name="Ada",
                        last_name="Lovelace", phone="+44 20 7946 0000", status="qualified", source="Webinar",
                        lead_score=1200, deal_value=Decimal("12500.50"), notes="Met at the fair.\nCall back.",
                        import_id=created_by, import_line=7)
        db.session.add_all([
            LeadChange(import_id=updated_by, lead_id=ada.id, line=3, field="phone", before="111", after="+44 20 7946 0000"),
            LeadChange(import_id=updated_by, lead_id=ada.id, line=3, field="tags", before=["vip"],
                       after=["Newsletter", "vip"], undo="restored"),
            LeadChange(import_id=check, lead_id=ada.id, line=9, field="source", before="Webinar", after="Ads"),
        ])
        db.session.commit()
        return {"id": ada.id, "created_by": created_by, "updated_by": updated_by}


def test_the_lead_page_shows_every_field_tags_company_and_where_it_came_from(auth_client, lead):
    response = auth_client.get(f"/leads/{lead['id']}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>Ada Lovelace</h1>" in html
    for field, value in (("first_name", "Ada"), ("last_name", "Lovelace"), ("phone", "+44 20 7946 0000"),
                         ("status", '<span class="status">qualified</span>'), ("source", "Webinar"),
                         ("lead_score", "1,200"), ("deal_value", "12,500.50"),
                         ("notes", "Met at the fair.\nCall back.")):
        assert f'data-field="{field}"' in html and value in html, field
    assert '<a href="mailto:ada@example.com">ada@example.com</a>' in html
    assert '>Analytical Engines</a>' in html
    assert html.index(">Newsletter</a>") < html.index(">vip</a>")
    created = html[html.index("data-created-by"):]
    assert (f'Created by the import of <a href="/imports/{lead["created_by"]}">fair.csv</a>,\n'
            "        line 7 of the file") in created


def test_the_lead_page_lists_the_imports_that_changed_it_but_not_a_check(auth_client, lead):
    html = auth_client.get(f"/leads/{lead['id']}").get_data(as_text=True)
    changed = html[html.index(f'data-changed-by="{lead["updated_by"]}"'):html.index("data-created-by")]
    assert f'<a href="/imports/{lead["updated_by"]}">update.csv</a>,\n        line 3,' in changed
    assert ('Phone: <span class="before">111</span> → <span class="after">+44 20 7946 0000</span>') in changed
    assert ('Tags: <span class="before">vip</span> → <span class="after">Newsletter, vip</span> '
            '<span class="muted">(put back by undo)</span>') in changed
    assert html.count("data-changed-by=") == 1
    assert "checked.csv" not in html and "Ads" not in html


def test_the_leads_list_links_to_each_lead(auth_client, lead):
    html = auth_client.get("/leads/").get_data(as_text=True)
    assert f'<a href="/leads/{lead["id"]}">Ada Lovelace</a>' in html


def test_a_lead_without_a_name_is_linked_by_its_placeholder_and_titled_by_its_email(app, auth_client, user):
    with app.app_context():
        lead_id = make_lead(user["workspace_id"], "nobody@example.com").id
        db.session.commit()
    assert f'<a href="/leads/{lead_id}">(no name)</a>' in auth_client.get("/leads/").get_data(as_text=True)
    html = auth_client.get(f"/leads/{lead_id}").get_data(as_text=True)
    assert "<h1>nobody@example.com</h1>" in html and "Not created by an import" in html


def test_another_workspaces_lead_and_an_unknown_lead_are_not_found(auth_client, other_client, lead):
    response = other_client.get(f"/leads/{lead['id']}")
    assert response.status_code == 404
    assert "ada@example.com" not in response.get_data(as_text=True)
    assert auth_client.get(f"/leads/{lead['id'] + 100}").status_code == 404
