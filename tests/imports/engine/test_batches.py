"""The batches the parser process sends: a row's values as the JSON text json.dumps would store."""
import json

from hypothesis import given
from hypothesis import strategies as st

from leadcrm.imports.engine.batches import BATCH_TEXT_LIMIT, LEAD_COLUMNS, LEAD_WIDTH, batches, keyed_values, values_json
from leadcrm.imports.rows import Invalid, compile_row_rules


@given(st.lists(st.text()))
def test_values_json_is_what_json_dumps_writes(values):
    assert values_json(values) == json.dumps(values, ensure_ascii=False)


def test_a_batch_holds_its_leads_flat_and_the_values_of_its_issues_as_json():
    header = ["email", "first_name", "status"]
    apply = compile_row_rules(header, {"email": "email", "first_name": "first_name", "status": "status"})
    records = [
        (2, ["ann@example.com", "Ann", "new"], None),
        (3, ["ANN@example.com ", "Ann again", ""], None),  # the same email, later in the batch
        (4, ["not-an-email", 'Bob "B"', "new"], None),
        (6, ["", "No email", "lost"], None),
        (7, ["x", "y"], Invalid("field_count", None, "Line 7 has 2 fields but the header has 3.")),
    ]
    (batch,) = batches(iter(records), apply, 10, clean_values=False)
    assert batch.records == 5 and (batch.first_line, batch.last_line) == (2, 7)
    assert len(batch.leads) == 2 * LEAD_WIDTH
    first = dict(zip(LEAD_COLUMNS, batch.leads[:LEAD_WIDTH]))
    second = dict(zip(LEAD_COLUMNS, batch.leads[LEAD_WIDTH:]))
    assert (first["import_line"], first["email_key"], first["status"]) == (2, "ann@example.com", "new")
    assert (second["import_line"], second["email_key"], second["status"]) == (6, None, "lost")
    assert list(batch.keyed) == [2] and keyed_values(batch, 2) == '["ann@example.com", "Ann", "new"]'
    assert batch.repeats == [(3, 2, "ANN@example.com", '["ANN@example.com ", "Ann again", ""]')]
    assert [(issue.line, issue.kind, issue.code) for issue in batch.issues] == [
        (4, "invalid", "invalid_email"), (7, "error", "field_count")]
    assert json.loads(batch.issues[0].values) == ["not-an-email", 'Bob "B"', "new"]
    assert json.loads(batch.issues[1].values) == ["x", "y"]


def test_wide_rows_end_a_batch_before_its_row_count_so_memory_stays_flat():
    header = ["email", "notes"]
    apply = compile_row_rules(header, {"email": "email", "notes": "notes"})
    note = "n" * 100_000
    records = [(line, [f"p{line}@example.com", note], None) for line in range(2, 102)]
    sizes = [batch.records for batch in batches(iter(records), apply, 5000, clean_values=False)]
    assert sum(sizes) == 100
    per_batch = -(-BATCH_TEXT_LIMIT // (len(note) + len("p10@example.com")))
    assert 1 < len(sizes) and max(sizes) <= per_batch
