"""The CSV export: exact values, the filtered list, streamed in chunks, and a faithful round trip."""
import csv
import io
from decimal import Decimal

from leadcrm.extensions import db
from leadcrm.leads.export import HEADER
from leadcrm.models import Lead, LeadImport, Tag, lead_tag
from tests.conftest import login, make_user, recorded_sql
from tests.support.csvfiles import downloaded
from tests.support.factories import make_lead

HEADER_LINE = "first_name,last_name,email,phone,company,status,source,lead_score,deal_value,tags,notes"


rows_of = downloaded


def test_export_writes_exact_values_oldest_first(app, auth_client, user):
    with app.app_context():
        make_lead(user["workspace_id"], "ada@example.com", "Analytical Engines", ["vip", "Beta", "alpha"],
                  first_name="Ada", last_name="Lovelace", phone="+44 20 7946 0000", status="qualified",
                  source="Webinar", lead_score=90, deal_value=Decimal("12500.5"), notes='Said "hi",\nthen =1+1')
        make_lead(user["workspace_id"], "", first_name="=cmd|' /C calc'!A0")
        db.session.commit()
    response = auth_client.get("/leads/export.csv")
    assert response.status_code == 200 and response.is_streamed and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="leads.csv"'
    assert response.get_data(as_text=True).startswith("\ufeff" + HEADER_LINE + "\r\n")
    assert rows_of(response) == [
        HEADER,
        ["Ada", "Lovelace", "ada@example.com", "+44 20 7946 0000", "Analytical Engines", "qualified", "Webinar",
         "90", "12500.50", "alpha, Beta, vip", 'Said "hi",\nthen =1+1'],
        # Not neutralised: the export must import back as it was.
        ["=cmd|' /C calc'!A0", "", "", "", "", "new", "", "", "", "", ""],
    ]


def test_export_follows_the_filters(app, auth_client, user):
    with app.app_context():
        make_lead(user["workspace_id"], "a@example.com", source="Webinar", status="lost")
        make_lead(user["workspace_id"], "b@example.com", source="Ads")
        db.session.commit()
    assert [r[2] for r in rows_of(auth_client.get("/leads/export.csv?source=Webinar"))] == ["email", "a@example.com"]
    assert [r[2] for r in rows_of(auth_client.get("/leads/export.csv?q=B%40EX"))] == ["email", "b@example.com"]


def test_many_leads_stream_in_chunks_with_one_tag_query_per_chunk(app, auth_client, user):
    total = 12_000
    with app.app_context():
        ws = user["workspace_id"]
        tags = [Tag(workspace_id=ws, name=name, name_key=name) for name in ("b", "a")]
        db.session.add_all(tags)
        db.session.flush()
        db.session.execute(db.insert(Lead), [
            {"workspace_id": ws, "first_name": f"P{n}", "email": f"p{n}@example.com", "email_key": f"p{n}@example.com",
             "deal_value": Decimal(n) / 4}
            for n in range(total)
        ])
        ids = db.session.scalars(db.select(Lead.id).order_by(Lead.id)).all()
        db.session.execute(db.insert(lead_tag), [{"lead_id": i, "tag_id": t.id} for i in ids[::3] for t in tags])
        db.session.commit()
        engine = db.engine
    with recorded_sql(engine) as statements:
        response = auth_client.get("/leads/export.csv")
        chunks = [chunk for chunk in response.response if chunk]
    assert len(chunks) == 1 + total // 2000  # the header, then one chunk of 2,000 leads at a time
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode())))
    assert len(rows) == total + 1
    assert rows[1][0] == "P0" and rows[1][8] == "0.00" and rows[1][9] == "a, b"
    assert rows[2][9] == "" and rows[-1][0] == f"P{total - 1}" and rows[-1][8] == f"{(total - 1) / 4:.2f}"
    tag_queries = [s for s in statements if "lead_tag" in s]
    assert len(tag_queries) == -(-total // 2000)


MESSY_CSV = """First Name,Last Name,E-mail,Phone,Company,Status,Lead Source,Score,Deal Value,Tags,Notes,Ignored
  Ada ,Lovelace,ADA@Example.com,+44 20,Analytical  Engines,Qualified,Webinar,90,"$12,500.5","vip, Beta,,VIP","Line one
line ""two"", =1+1",x
No,Email,,,analytical engines,lost,,-3,0,VIP,,x
Émile,,émile@exämple.com,,Société Générale,,=HYPERLINK(),,€ 7,,@mention -5,x
Dup,,ada@example.com,,,,,,,,,x
Bad,,not-an-email,,,,,,,,,x
""".encode()


def import_file(workspace_id, user_id, data: bytes, filename="leads.csv"):
    """Run the engine on a file, as the worker would, and return the finished import."""
    from leadcrm.imports.engine.process import process_import
    from leadcrm.imports.mapping.fields import guess_mapping
    from tests.support.imports import store_file

    header = next(csv.reader(io.StringIO(data.decode("utf-8-sig"))))  # the export starts with a BOM
    imp = LeadImport(workspace_id=workspace_id, created_by_id=user_id, original_filename=filename,
                     stored_name=store_file(data), size_bytes=len(data), header=header,
                     mapping=guess_mapping(header), defaults={}, status="queued")
    db.session.add(imp)
    db.session.commit()
    process_import(imp.id)
    db.session.expire_all()
    return db.session.get(LeadImport, imp.id)


def test_round_trip_export_import_export(app, auth_client, user, client):
    """Import a messy file, export, import the export into an empty workspace, export again: same bytes."""
    with app.app_context():
        imp = import_file(user["workspace_id"], user["id"], MESSY_CSV)
        assert (imp.status, imp.successful, imp.skipped, imp.errors) == ("completed", 3, 2, 0)
    first = auth_client.get("/leads/export.csv").get_data()
    assert len(rows_of(auth_client.get("/leads/export.csv"))) == 4

    with app.app_context():
        owner = make_user("fresh@example.com", workspace="Fresh Start")
        imp = import_file(owner.workspace_id, owner.id, first, "export.csv")
        assert (imp.status, imp.successful, imp.skipped, imp.errors) == ("completed", 3, 0, 0)

    assert login(client, "fresh@example.com").status_code == 303
    second = client.get("/leads/export.csv").get_data()
    assert second == first
