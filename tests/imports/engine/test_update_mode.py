"""Update mode on real SQLite and PostgreSQL: each choice (blank cells, tags), unchanged and invalid rows,
duplicates in the file, the recorded before-values, and exact undo (also with a later import between)."""
import json

import pytest
from sqlalchemy import select

from leadcrm.extensions import db
from leadcrm.imports.engine.process import process_import
from leadcrm.imports.results.undo import undo_import
from leadcrm.leads.export import export_lines
from leadcrm.models import Company, Lead, LeadChange, LeadImport, Tag
from tests.support.imports import create_import, get_import, issues, workspace

BASE = "\n".join([
    "first_name,last_name,email,phone,company,status,source,lead_score,deal_value,tags,notes",
    "Ann,Lee,ann@example.com,111,Acme,new,web,10,100.50,\"vip, hot\",first note",
    "Bob,Ray,bob@example.com,222,Globex,contacted,ads,20,,cold,",
    "Cy,Doe,cy@example.com,333,,qualified,web,,5,,keep",
]) + "\n"
UPDATE = {"existing_leads": "update", "blank_cells": "leave", "tag_mode": "add"}


@pytest.fixture(autouse=True)
def app_context(app):
    with app.app_context():
        yield


def run(text, ws, choices=None, mapping=None, defaults=None):
    import_id = create_import(text, ws, mapping=mapping, defaults=defaults)
    if choices:
        db.session.execute(db.update(LeadImport).filter_by(id=import_id).values(**choices))
        db.session.commit()
    result = process_import(import_id)
    assert result["status"] == "completed", get_import(import_id).error_message
    imp = get_import(import_id)
    assert_counts_add_up_with_updates(imp)
    return imp


def assert_counts_add_up_with_updates(imp):
    assert imp.processed == imp.successful + imp.skipped + imp.errors == imp.total_rows
    assert len(issues(imp.id)) == imp.skipped + imp.errors
    assert db.session.scalar(select(db.func.count(db.distinct(LeadChange.lead_id))).filter_by(import_id=imp.id)) == imp.updated


def lead(ws, email):
    db.session.expire_all()
    return db.session.scalar(select(Lead).filter_by(workspace_id=ws, email_key=email))


def values(ws, email):
    found = lead(ws, email)
    return {
        "first_name": found.first_name, "phone": found.phone, "status": found.status, "source": found.source,
        "lead_score": found.lead_score, "deal_value": None if found.deal_value is None else f"{found.deal_value:.2f}",
        "notes": found.notes, "company": found.company.name if found.company else None,
        "tags": sorted((tag.name for tag in found.tags), key=str.casefold),
    }


def export(ws) -> str:
    return "".join(export_lines(db.select(Lead).where(Lead.workspace_id == ws)))


def changes(import_id):
    db.session.expire_all()
    return sorted((c.line, c.field, c.before, c.after) for c in db.session.scalars(
        select(LeadChange).filter_by(import_id=import_id)))


def test_skip_mode_is_todays_behaviour(app):
    ws = workspace()
    run(BASE, ws)
    imp = run("email,phone\nann@example.com,999\n", ws)
    assert (imp.successful, imp.updated, imp.skipped) == (0, 0, 1)
    assert issues(imp.id)[0][1] == "duplicate" and lead(ws, "ann@example.com").phone == "111"


def test_update_leaving_blanks_touches_only_mapped_non_blank_cells(app):
    ws = workspace()
    run(BASE, ws)
    text = "email,phone,status,notes\nANN@example.com ,999,Qualified,\nbob@example.com,222,contacted,\nnew@example.com,1,,\n"
    imp = run(text, ws, UPDATE)
    assert (imp.successful, imp.updated, imp.created, imp.skipped) == (2, 1, 1, 1)
    assert values(ws, "ann@example.com") == {
        "first_name": "Ann", "phone": "999", "status": "qualified", "source": "web", "lead_score": 10,
        "deal_value": "100.50", "notes": "first note", "company": "Acme", "tags": ["hot", "vip"]}
    assert changes(imp.id) == [(2, "phone", "111", "999"), (2, "status", "new", "qualified")]
    (line, kind, reason, _), = issues(imp.id)
    assert (line, kind) == (3, "unchanged") and "already has these values" in reason


def test_update_clearing_blanks_clears_mapped_fields_but_never_the_status(app):
    ws = workspace()
    run(BASE, ws)
    text = "email,phone,company,status,lead_score,deal_value,notes,tags\nann@example.com,,,,,,,\n"
    imp = run(text, ws, {**UPDATE, "blank_cells": "clear"})
    assert values(ws, "ann@example.com") == {
        "first_name": "Ann", "phone": "", "status": "new", "source": "web", "lead_score": None, "deal_value": None,
        "notes": "", "company": None, "tags": ["hot", "vip"]}
    assert changes(imp.id) == [(2, "company", "Acme", None), (2, "deal_value", "100.50", None),
                               (2, "lead_score", 10, None), (2, "notes", "first note", ""), (2, "phone", "111", "")]


@pytest.mark.parametrize("tag_mode, blank_cells, tags_cell, expected", [
    ("add", "leave", "New, VIP", ["hot", "New", "vip"]),
    ("replace", "leave", "New, VIP", ["New", "vip"]),
    ("replace", "leave", "", ["hot", "vip"]),
    ("replace", "clear", "", []),
])
def test_tags_are_added_or_replaced(app, tag_mode, blank_cells, tags_cell, expected):
    ws = workspace()
    run(BASE, ws)
    imp = run(f"email,tags\nann@example.com,\"{tags_cell}\"\n", ws,
              {**UPDATE, "tag_mode": tag_mode, "blank_cells": blank_cells})
    assert values(ws, "ann@example.com")["tags"] == expected
    recorded = [(field, before, after) for _, field, before, after in changes(imp.id)]
    assert recorded == ([] if expected == ["hot", "vip"] else [("tags", ["hot", "vip"], expected)])


def test_values_for_every_row_apply_to_updated_leads_where_the_row_has_none(app):
    ws = workspace()
    run(BASE, ws)
    text = "email,source,status\nann@example.com,,\nbob@example.com,fair,lost\n"
    run(text, ws, UPDATE, defaults={"source": "Expo", "status": "contacted", "tags": ["expo"]})
    assert (values(ws, "ann@example.com")["source"], values(ws, "ann@example.com")["status"]) == ("Expo", "contacted")
    assert (values(ws, "bob@example.com")["source"], values(ws, "bob@example.com")["status"]) == ("fair", "lost")
    assert values(ws, "bob@example.com")["tags"] == ["cold", "expo"]


def test_a_changed_company_is_created_and_an_existing_one_matched_case_insensitively(app):
    ws = workspace()
    run(BASE, ws)
    run("email,company\nann@example.com,Initech\nbob@example.com,ACME\n", ws, UPDATE)
    assert values(ws, "ann@example.com")["company"] == "Initech"
    assert values(ws, "bob@example.com")["company"] == "Acme"
    assert sorted(db.session.scalars(select(Company.name).filter_by(workspace_id=ws))) == ["Acme", "Globex", "Initech"]


def test_an_invalid_row_changes_nothing_and_later_rows_with_the_same_email_are_duplicates(app):
    ws = workspace()
    run(BASE, ws)
    app.config["IMPORT_BATCH_SIZE"] = 2  # the repeat of line 3 comes in a later batch
    text = "email,phone,status\nann@example.com,999,bogus\nbob@example.com,555,\nx@example.com,1,\nbob@example.com,666,\n"
    imp = run(text, ws, UPDATE)
    assert lead(ws, "ann@example.com").phone == "111" and lead(ws, "bob@example.com").phone == "555"
    recorded = {line: (kind, reason) for line, kind, reason, _ in issues(imp.id)}
    assert recorded[2][0] == "invalid" and "'bogus'" in recorded[2][1]
    assert recorded[5][0] == "duplicate" and "line 3" in recorded[5][1]
    assert (imp.created, imp.updated, imp.skipped) == (1, 1, 2)


def test_undo_of_an_update_import_gives_back_the_workspace_exactly(app):
    ws = workspace()
    run(BASE, ws)
    before = export(ws)
    text = "email,first_name,phone,company,tags,deal_value\nann@example.com,Anna,999,Initech,new,7\nz@example.com,Zed,,,,\n"
    imp = run(text, ws, {**UPDATE, "tag_mode": "replace"})
    assert export(ws) != before
    undone = undo_import(imp)
    assert (undone.deleted, undone.restored, undone.kept) == (1, 5, 0)
    assert export(ws) == before
    names = sorted(db.session.scalars(select(Tag.name).filter_by(workspace_id=ws)))
    assert names == ["cold", "hot", "vip"]  # the tag "new" went with the last lead using it
    assert sorted(db.session.scalars(select(Company.name).filter_by(workspace_id=ws))) == ["Acme", "Globex"]


def test_undo_leaves_what_a_later_import_changed_then_undoing_both_in_reverse_restores_all(app):
    ws = workspace()
    run(BASE, ws)
    original = export(ws)
    first = run("email,phone,status\nann@example.com,999,qualified\n", ws, UPDATE)
    second = run("email,phone\nann@example.com,555\n", ws, UPDATE)
    undone = undo_import(get_import(first.id))
    assert (undone.restored, undone.kept) == (1, 1)  # the status goes back; the phone belongs to the later import
    assert (lead(ws, "ann@example.com").phone, lead(ws, "ann@example.com").status) == ("555", "new")
    kept = db.session.scalar(select(LeadChange).filter_by(import_id=first.id, field="phone"))
    assert kept.undo == "kept"
    undo_import(get_import(second.id))
    assert lead(ws, "ann@example.com").phone == "999"  # what the first import wrote
    assert export(ws) != original  # the first undo has left the phone


def test_undoing_the_later_import_first_then_the_earlier_restores_the_original(app):
    ws = workspace()
    run(BASE, ws)
    original = export(ws)
    first = run("email,phone,status\nann@example.com,999,qualified\n", ws, UPDATE)
    second = run("email,phone,tags\nann@example.com,555,extra\n", ws, UPDATE)
    undo_import(get_import(second.id))
    undone = undo_import(get_import(first.id))
    assert (undone.restored, undone.kept) == (2, 0)
    assert export(ws) == original


def test_an_interrupted_undo_run_again_ends_in_the_same_state(app, monkeypatch):
    from leadcrm.imports.results import undo as undo_module

    ws = workspace()
    rows = [f"P{n},p{n}@example.com,{n}" for n in range(30)]
    run("first_name,email,phone\n" + "\n".join(rows) + "\n", ws)
    before = export(ws)
    imp = run("email,phone\n" + "\n".join(f"p{n}@example.com,x{n}" for n in range(30)) + "\nnew@example.com,1\n",
              ws, UPDATE)
    monkeypatch.setattr(undo_module, "BATCH", 7)
    undone = undo_module.Undone()
    assert undo_module._restore_batch(get_import(imp.id), undone) and undone.restored == 7  # then "the request dies"
    assert get_import(imp.id).undone_at is None
    again = undo_import(get_import(imp.id))
    assert (again.restored, again.deleted, again.kept) == (23, 1, 0)
    assert export(ws) == before


def test_the_before_values_are_stored_as_json_values(app):
    ws = workspace()
    run(BASE, ws)
    imp = run("email,lead_score,deal_value,tags\nbob@example.com,21,12,\"b, a\"\n", ws, UPDATE)
    stored = {c.field: (c.before, c.after) for c in db.session.scalars(select(LeadChange).filter_by(import_id=imp.id))}
    assert stored == {"lead_score": (20, 21), "deal_value": (None, "12.00"), "tags": (["cold"], ["a", "b", "cold"])}
    assert json.dumps(stored["tags"][1]) == '["a", "b", "cold"]'
