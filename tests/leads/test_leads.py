"""The leads list: newest first, paginated, filtered, searched, and only the workspace's own."""
from decimal import Decimal

import pytest

from leadcrm.extensions import db
from leadcrm.models import Tag
from tests.leads.test_export import HEADER_LINE
from tests.support.factories import make_import, make_lead


@pytest.fixture
def leads(app, user):
    ws = user["workspace_id"]
    with app.app_context():
        import_id = make_import(ws, user["id"], original_filename="fair.csv")
        make_lead(ws, "ada@example.com", "Analytical Engines", ["vip"], first_name="Ada", last_name="Lovelace",
                  status="qualified", source="Webinar", lead_score=90, deal_value=Decimal("12500.50"))
        make_lead(ws, "emile@example.com", "Société Générale", ["vip", "Newsletter"], first_name="Émile",
                  last_name="Zola", source="Trade fair", import_id=import_id)
        make_lead(ws, "grace@navy.example", None, [], first_name="Grace", last_name="Hopper", status="lost",
                  source="Webinar", import_id=import_id)
        db.session.commit()
        return {"import_id": import_id, "vip": db.session.scalar(db.select(Tag.id).filter_by(name="vip"))}


def names_in(html):
    order = [name for name in ("Ada Lovelace", "Émile Zola", "Grace Hopper") if name in html]
    return sorted(order, key=html.index)


def test_list_newest_first_with_every_column(auth_client, leads):
    html = auth_client.get("/leads/").get_data(as_text=True)
    assert names_in(html) == ["Grace Hopper", "Émile Zola", "Ada Lovelace"]
    for text in ("ada@example.com", "Analytical Engines", "qualified", "Webinar", ">90<", "12,500.50",
                 "Newsletter, vip", "3 leads", 'href="/leads/export.csv"'):
        assert text in html


@pytest.mark.parametrize("query, expected", [
    ("source=Webinar", ["Grace Hopper", "Ada Lovelace"]),
    ("status=lost", ["Grace Hopper"]),
    ("status=bogus", ["Grace Hopper", "Émile Zola", "Ada Lovelace"]),
    ("tag={vip}", ["Émile Zola", "Ada Lovelace"]),
    ("import_id={import_id}", ["Grace Hopper", "Émile Zola"]),
    ("import_id={import_id}&source=Webinar", ["Grace Hopper"]),
    ("q=lovelace", ["Ada Lovelace"]),
    ("q=ADA+LOVE", ["Ada Lovelace"]),
    ("q=NAVY.example", ["Grace Hopper"]),
    ("q=société", ["Émile Zola"]),
    ("q=SOCIÉTÉ", ["Émile Zola"]),
    ("q=Émile", ["Émile Zola"]),
    ("q=ÉMILE", ["Émile Zola"]),
    ("q=émile+zola", ["Émile Zola"]),
    ("q=engines", ["Ada Lovelace"]),
    ("q=%25", []),
    ("q=_", []),
    ("tag=abc&import_id=x", ["Grace Hopper", "Émile Zola", "Ada Lovelace"]),
])
def test_filters_and_search(auth_client, leads, query, expected):
    response = auth_client.get("/leads/?" + query.format(**leads))
    assert response.status_code == 200
    assert names_in(response.get_data(as_text=True)) == expected


def test_pagination_keeps_the_filters(app, auth_client, user):
    with app.app_context():
        for n in range(55):
            make_lead(user["workspace_id"], f"p{n}@example.com", first_name=f"Person{n:02d}", source="Ads")
        db.session.commit()
    page1 = auth_client.get("/leads/?source=Ads").get_data(as_text=True)
    assert "Person54" in page1 and "Person05" in page1 and "Person04" not in page1
    assert 'href="/leads/?page=2&amp;source=Ads"' in page1
    page2 = auth_client.get("/leads/?source=Ads&page=2").get_data(as_text=True)
    assert "Person04" in page2 and "Person00" in page2 and "Page 2 of 2" in page2


def test_other_workspace_sees_none_of_it(other_client, leads):
    for query, empty in (("", "No leads yet."), ("?q=ada", "No lead matches these filters."),
                         ("?source=Webinar", "No lead matches these filters.")):
        response = other_client.get("/leads/" + query)
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and empty in html, query
        assert names_in(html) == [] and "fair.csv" not in html and "<option>Webinar</option>" not in html
    assert other_client.get("/leads/export.csv").get_data(as_text=True) == "\ufeff" + HEADER_LINE + "\r\n"


@pytest.mark.parametrize("path", ["/leads/", "/leads/export.csv"])
@pytest.mark.parametrize("query", ["import_id={import_id}", "tag={vip}"])
def test_filtering_by_another_workspaces_import_or_tag_is_not_found(other_client, leads, path, query):
    response = other_client.get(path + "?" + query.format(**leads))
    assert response.status_code == 404 and "ada@example.com" not in response.get_data(as_text=True)


def test_the_import_page_links_to_its_leads(app, auth_client, leads):
    html = auth_client.get(f"/imports/{leads['import_id']}").get_data(as_text=True)
    assert f'href="/leads/?import_id={leads["import_id"]}"' in html
