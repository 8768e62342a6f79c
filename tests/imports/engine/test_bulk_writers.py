"""Each engine's bulk writer (engine/sqlite_writer.py, engine/postgres_writer.py) on its own database,
called as the batch writer calls it, one transaction per batch: leads whose email is taken are left
out and their lines not returned, tag links go only to the leads inserted, names are created once
with every id returned, owners are found per workspace, and issues are stored as given."""
import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from leadcrm.extensions import db
from leadcrm.imports.engine.batches import LEAD_COLUMNS, RowIssue
from leadcrm.imports.engine.bulk import Owner
from leadcrm.imports.engine.writer import bulk_writer
from leadcrm.keys import email_key
from leadcrm.models import Company, ImportRowIssue, Lead, Tag, lead_tag, utcnow
from tests.support.factories import make_import, make_lead

EMPTY_LEAD = {"first_name": "", "last_name": "", "email": "", "phone": "", "company_id": None, "status": "new",
              "source": "", "lead_score": None, "deal_value": None, "notes": ""}


def lead(line: int, email: str = "", **values) -> list:
    """One lead as a batch carries it: its LEAD_COLUMNS values, in order."""
    columns = {**EMPTY_LEAD, "import_line": line, "email": email, "email_key": email_key(email), **values}
    return [columns[name] for name in LEAD_COLUMNS]


@pytest.fixture
def setting(app, workspaces):
    """Two workspaces, a running import in the first, and a connection tuned by its engine's writer."""
    acme, globex = workspaces
    import_id = make_import(acme, status="running", finished_at=None)
    with db.engine.connect() as conn:
        bulk = bulk_writer(conn)
        bulk.tune(conn)
        conn.commit()  # as process_import does, with its claim
        yield conn, bulk, acme, globex, import_id


def in_one_transaction(conn, write):
    """As transactions.py does: begun explicitly (the writers use the driver's connection), then committed."""
    conn.begin()
    result = write()
    conn.commit()
    return result


def test_insert_leads_returns_the_lines_inserted_and_leaves_taken_emails_out(setting):
    conn, bulk, acme, globex, import_id = setting
    make_lead(acme, "taken@example.com", first_name="Existing")
    make_lead(globex, "elsewhere@example.com")  # another workspace's lead takes nothing here
    db.session.commit()
    tags = dict(in_one_transaction(conn, lambda: bulk.ensure_names(conn, "tag", acme, [("vip", "VIP"), ("new", "New")])))
    now = utcnow()
    leads = [
        *lead(2, "Ann@Example.com", first_name="Ann", status="qualified", lead_score=85, deal_value="1234.5"),
        *lead(3, "TAKEN@example.com", first_name="Refused"),
        *lead(4, first_name="No email"),
        *lead(5, first_name="No email either"),
        *lead(6, "elsewhere@example.com"),
    ]
    links = [(2, "vip"), (2, "new"), (3, "vip"), (4, "new")]
    inserted = in_one_transaction(conn, lambda: bulk.insert_leads(conn, acme, import_id, now, leads, (2, 6), links, tags))
    assert inserted == {2, 4, 5, 6}

    db.session.expire_all()
    by_line = {lead.import_line: lead for lead in db.session.scalars(select(Lead).filter_by(import_id=import_id))}
    assert sorted(by_line) == [2, 4, 5, 6]
    ann = by_line[2]
    assert (ann.first_name, ann.email, ann.email_key, ann.status, ann.lead_score, ann.deal_value) == (
        "Ann", "Ann@Example.com", "ann@example.com", "qualified", 85, Decimal("1234.50"))
    assert ann.workspace_id == acme and ann.created_at == now
    assert sorted(tag.name for tag in ann.tags) == ["New", "VIP"] and [t.name for t in by_line[4].tags] == ["New"]
    existing = db.session.scalar(select(Lead).filter_by(workspace_id=acme, email_key="taken@example.com"))
    assert (existing.first_name, existing.import_id, existing.tags) == ("Existing", None, []), "the refused row links nothing"
    assert db.session.scalar(select(db.func.count()).select_from(lead_tag)) == 3


def test_a_later_batch_writes_only_its_own_leads(setting):
    """On PostgreSQL the staging tables empty themselves at each commit: the next batch's transaction
    inserts its rows, never the earlier batch's again (rows without email would be duplicated)."""
    conn, bulk, acme, _, import_id = setting
    now = utcnow()
    first = [*lead(2, "a@example.com"), *lead(3)]
    second = [*lead(4, "A@example.com"), *lead(5), *lead(6, "b@example.com")]
    assert in_one_transaction(conn, lambda: bulk.insert_leads(conn, acme, import_id, now, first, (2, 3), [], {})) == {2, 3}
    assert in_one_transaction(conn, lambda: bulk.insert_leads(conn, acme, import_id, now, second, (4, 6), [], {})) == {5, 6}
    lines = db.session.scalars(select(Lead.import_line).filter_by(import_id=import_id).order_by(Lead.import_line)).all()
    assert lines == [2, 3, 5, 6]


def test_insert_leads_binds_large_batches_in_slices(setting):
    conn, bulk, acme, _, import_id = setting
    count = 1024 + 4 + 2 + 1  # SQLite binds 1,024 rows a statement, then powers of two
    leads = [value for line in range(2, 2 + count) for value in lead(line, f"p{line}@example.com" if line % 3 else "")]
    links = [(line, "t") for line in range(2, 2 + count, 2)]
    tags = dict(in_one_transaction(conn, lambda: bulk.ensure_names(conn, "tag", acme, [("t", "T")])))
    inserted = in_one_transaction(
        conn, lambda: bulk.insert_leads(conn, acme, import_id, utcnow(), leads, (2, 1 + count), links, tags))
    assert inserted == set(range(2, 2 + count))
    assert db.session.scalar(select(db.func.count()).select_from(Lead).filter_by(import_id=import_id)) == count
    assert db.session.scalar(select(db.func.count()).select_from(lead_tag)) == len(links)


@pytest.mark.parametrize("model", [Company, Tag])
def test_ensure_names_creates_the_missing_ones_and_returns_every_id(setting, model):
    conn, bulk, acme, globex, _ = setting
    table = model.__table__.name
    db.session.add_all([model(workspace_id=acme, name="ACME Inc", name_key="acme inc"),
                        model(workspace_id=globex, name="Globex", name_key="globex")])
    db.session.commit()
    existing = db.session.scalar(select(model.id).filter_by(workspace_id=acme, name_key="acme inc"))
    names = [("acme inc", "Acme Inc"), ("globex", "GLOBEX"), ("østerbro", "Østerbro")]
    ids = dict(in_one_transaction(conn, lambda: bulk.ensure_names(conn, table, acme, names)))
    stored = {key: (id_, name) for id_, key, name in db.session.execute(
        select(model.id, model.name_key, model.name).filter_by(workspace_id=acme))}
    assert stored == {"acme inc": (existing, "ACME Inc"), "globex": (ids["globex"], "GLOBEX"),
                      "østerbro": (ids["østerbro"], "Østerbro")}, "the existing spelling is kept"
    assert ids == {key: id_ for key, (id_, _) in stored.items()}
    again = dict(in_one_transaction(conn, lambda: bulk.ensure_names(conn, table, acme, names)))
    assert again == ids
    assert db.session.scalar(select(db.func.count()).select_from(model)) == 4


def test_owners_are_the_workspaces_leads_with_those_keys(setting):
    conn, bulk, acme, globex, import_id = setting
    ann = make_lead(acme, "Ann@example.com", import_id=import_id, import_line=7)
    old = make_lead(acme, "old@example.com")
    make_lead(globex, "bob@example.com")
    db.session.commit()
    found = in_one_transaction(conn, lambda: bulk.owners(
        conn, acme, ["ann@example.com", "old@example.com", "bob@example.com", "nobody@example.com"]))
    assert sorted(found) == [
        Owner("ann@example.com", ann.id, import_id, 7), Owner("old@example.com", old.id, None, None)]
    assert in_one_transaction(conn, lambda: bulk.owners(conn, acme, [])) == []


def test_insert_issues_stores_each_issue_as_given(setting):
    conn, bulk, _, _, import_id = setting
    codes = [("duplicate", "existing_email", None), ("invalid", "invalid_status", "Lead Status"),
             ("error", "field_count", None)]
    issues = [RowIssue(line, *codes[line % 3], f"reason {line}",
                       json.dumps([f"v{line}", "Zoë, \"quoted\"", ""], ensure_ascii=False))
              for line in range(2, 2 + 1024 + 3)]
    in_one_transaction(conn, lambda: bulk.insert_issues(conn, import_id, issues))
    stored = db.session.execute(select(ImportRowIssue.line, ImportRowIssue.kind, ImportRowIssue.code,
                                       ImportRowIssue.column_name, ImportRowIssue.reason, ImportRowIssue.values)
                                .filter_by(import_id=import_id).order_by(ImportRowIssue.line)).all()
    assert [tuple(row) for row in stored] == [(*i[:5], json.loads(i.values)) for i in issues]
