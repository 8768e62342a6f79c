"""The values real files contain (value_rules.py): other CRMs' status words, amounts and scores in either
number format, tags split at semicolons, and the quote the error report writes read back."""
import pytest

from leadcrm.imports.results.report import neutralise
from leadcrm.imports.rows import Invalid, compile_row_rules
from leadcrm.imports.value_rules import (
    SKIP_ROW,
    USE_DEFAULT,
    deal_value_text,
    number_format_votes,
    split_tags,
    status_key,
    status_reading,
    unquoted,
    whole_number,
)

HEADER = ["Email", "Status", "Amount", "Score", "Tags", "Phone", "Name"]
MAPPING = dict(zip(HEADER, ["email", "status", "deal_value", "lead_score", "tags", "phone", "first_name"]))


def row(**values):
    return [values.get(column, "") for column in HEADER]


@pytest.mark.parametrize("word, status", [
    ("Won", "converted"), ("Closed Won", "converted"), ("closed-won", "converted"), ("CLOSED_WON", "converted"),
    ("Working", "contacted"), ("In progress", "contacted"), ("IN_PROGRESS", "contacted"),
    ("Attempted to Contact", "contacted"), ("Working - Contacted", "contacted"),
    ("Unqualified", "lost"), ("Disqualified", "lost"), ("Closed Lost", "lost"), ("junk", "lost"),
    ("Closed - Not Converted", "lost"), ("Open", "new"), ("Not Contacted", "new"), ("Open - Not Contacted", "new"),
    ("MQL", "qualified"), ("SQL", "qualified"), ("Sales Qualified", "qualified"), ("Qualified", "qualified"),
    (" LOST ", "lost"),
])
def test_other_crms_status_words_read_as_a_status(word, status):
    assert status_reading(word.strip(), {}) == status
    assert compile_row_rules(HEADER, MAPPING)(row(Status=word)).status == status


def test_a_status_word_nobody_knows_is_invalid_and_says_where_to_choose():
    result = compile_row_rules(HEADER, MAPPING)(row(Status="Maybe later"))
    assert result == Invalid("invalid_status", "Status", "Status 'Maybe later' in column 'Status' is not one of new, "
                             "contacted, qualified, converted, lost, nor a status word the importer knows. "
                             "Choose how to read it on the mapping page.")


def test_the_mapping_pages_readings_win_over_the_synonyms():
    rules = {"status_values": {status_key("Won"): "qualified", status_key("Maybe later"): USE_DEFAULT,
                               status_key("Junk"): SKIP_ROW}}
    apply = compile_row_rules(HEADER, MAPPING, {"status": "contacted"}, rules)
    assert apply(row(Status="won")).status == "qualified"
    assert apply(row(Status="MAYBE-LATER")).status == "contacted"
    assert apply(row(Status="junk")) == Invalid("invalid_status", "Status",
                                                "Status 'junk' in column 'Status' is set to skip its rows on the mapping page.")


@pytest.mark.parametrize("text, point, comma", [
    ("1234.5", "1234.5", None), ("$1,234.50", "1234.50", None), ("€ 12,500", "12500", None),
    ("1.234,50", None, "1234.50"), ("1 234,50", None, "1234.50"), ("1\u00a0234,50 €", None, "1234.50"),
    ("12,5", None, "12.5"), ("€ 1.234", None, "1234"), ("1,234", "1234", None), ("0,99", None, "0.99"),
    ("1.234.567,89", None, "1234567.89"), ("1,234,567.89", "1234567.89", None), ("-5", None, None),
    ("12.345,678", None, None), ("1e5", None, None), ("1 234.50", "1234.50", None),
])
def test_amounts_in_either_number_format(text, point, comma):
    assert deal_value_text(text, "point") == point
    assert deal_value_text(text, "comma") == comma


def test_an_ambiguous_amount_follows_the_chosen_format_never_a_guess():
    # "1,234" in a decimal-comma file is one and 234 thousandths: more decimals than an amount has.
    assert compile_row_rules(HEADER, MAPPING, None, {"number_format": "comma"})(row(Amount="1,234")).code == \
        "invalid_deal_value"
    assert compile_row_rules(HEADER, MAPPING, None, {"number_format": "point"})(row(Amount="1,234")).deal_value == "1234"


@pytest.mark.parametrize("text, point, comma", [
    ("85", 85, 85), ("85.0", 85, None), ("85,0", None, 85), ("+7", 7, 7), ("-3", -3, -3), ("3000000000", None, None),
])
def test_whole_scores_in_either_number_format(text, point, comma):
    assert (whole_number(text, "point"), whole_number(text, "comma")) == (point, comma)


@pytest.mark.parametrize("text, vote", [
    ("1.234,50", "comma"), ("12,5", "comma"), ("1.234.567", "comma"), ("1,234.50", "point"), ("12.5", "point"),
    ("1,234,567", "point"), ("1,234", None), ("1.234", None), ("1234", None), ("€ 1.234,50", "comma"),
])
def test_the_values_that_tell_the_number_format(text, vote):
    assert number_format_votes(text) == vote


def test_tags_split_at_commas_and_semicolons():
    assert split_tags("vip;spain") == {"vip": "vip", "spain": "spain"}
    assert split_tags(" vip ; Newsletter,,VIP; ") == {"vip": "vip", "newsletter": "Newsletter"}
    assert compile_row_rules(HEADER, MAPPING)(row(Tags="hot;cold, warm")).tags == {"hot": "hot", "cold": "cold",
                                                                                    "warm": "warm"}


@pytest.mark.parametrize("value", ["+1 (589) 878-1179", "=SUM(A1)", "-5 degrees", "@handle", "\tx", "\rx"])
def test_what_the_error_report_writes_reads_back_as_the_original(value):
    assert neutralise(value) == "'" + value
    assert unquoted(neutralise(value)) == value


@pytest.mark.parametrize("value", ["'90s", "O'Brien", "'", "''", "plain"])
def test_other_quotes_are_values(value):
    assert unquoted(value) == value


def test_a_phone_from_the_report_imports_without_its_quote():
    lead = compile_row_rules(HEADER, MAPPING)(row(Email="a@example.com", Phone="'+1 (589) 878-1179", Name="O'Brien"))
    assert (lead.phone, lead.first_name) == ("+1 (589) 878-1179", "O'Brien")
