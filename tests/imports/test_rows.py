"""The row rules (rows.py), one by one, and the proof that the email fast path answers as email-validator."""
from decimal import Decimal

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import example, given, settings
from hypothesis import strategies as st

from leadcrm.imports.rows import (
    Invalid,
    LeadRow,
    compile_row_rules,
    email_problem,
    split_tags,
)

HEADER = ["First", "Last", "E-mail", "Phone", "Company", "Status", "Source", "Score", "Value", "Tags", "Notes"]
MAPPING = dict(zip(HEADER, ["first_name", "last_name", "email", "phone", "company", "status", "source",
                            "lead_score", "deal_value", "tags", "notes"]))


def row(**values):
    record = dict.fromkeys(HEADER, "")
    record.update(values)
    return [record[column] for column in HEADER]


apply = compile_row_rules(HEADER, MAPPING)


def test_a_full_row_is_trimmed_and_typed():
    lead = apply(row(First=" Ann ", Last="Lee", **{"E-mail": " Ann@Example.COM "}, Phone=" +1 555 ",
                     Company="  Acme   Inc ", Status=" Qualified", Source=" web ", Score="85.0",
                     Value="$1,234.5", Tags="vip, Newsletter,,VIP", Notes=" line 1\nline 2 "))
    assert lead == LeadRow(
        first_name="Ann", last_name="Lee", email="Ann@Example.COM", email_key="ann@example.com", phone="+1 555",
        company="Acme Inc", company_key="acme inc", status="qualified", source="web", lead_score=85,
        deal_value="1234.5", tags={"vip": "vip", "newsletter": "Newsletter"}, notes="line 1\nline 2",
    )


def test_empty_and_unmapped_fields_get_their_defaults():
    rules = compile_row_rules(HEADER, {"First": "first_name"}, {"source": "fair", "status": "Lost", "tags": ["a", "b"]})
    lead = rules(row(First="Ann"))
    assert (lead.status, lead.source, lead.tags, lead.email_key, lead.lead_score, lead.deal_value) == (
        "lost", "fair", {"a": "a", "b": "b"}, None, None, None)
    assert apply(row(First="Ann")).status == "new"


def test_a_bad_default_status_is_refused():
    with pytest.raises(ValueError, match="not one of"):
        compile_row_rules(HEADER, MAPPING, {"status": "won"})


@pytest.mark.parametrize("values, words", [
    ({"E-mail": "ann@"}, ["Email 'ann@'", "'E-mail'", "not a valid email"]),
    ({"E-mail": "ann@localhost"}, ["'ann@localhost'"]),
    ({"Status": "maybe"}, ["Status 'maybe'", "'Status'", "new, contacted, qualified, converted, lost",
                           "Choose how to read it on the mapping page"]),
    ({"Score": "high"}, ["Score 'high'", "'Score'", "whole number"]),
    ({"Score": "85.5"}, ["'85.5'"]),
    ({"Value": "TBD"}, ["Deal Value 'TBD'", "'Value'", "non-negative amount", "2 decimals"]),
    ({"Value": "-5"}, ["'-5'"]),
    ({"Value": "1.234"}, ["'1.234'"]),
    ({"Value": "12,50"}, ["'12,50'"]),
    ({"Value": "1e5"}, ["'1e5'"]),
    ({"Value": "1234567890123"}, ["'1234567890123'"]),
])
def test_invalid_values_name_the_column_the_value_and_what_was_expected(values, words):
    result = apply(row(First="Ann", **values))
    assert isinstance(result, Invalid)
    for word in words:
        assert word in result.reason


def test_a_row_without_any_mapped_value_is_invalid():
    assert apply(row(Notes="   ")) == Invalid("no_value", None, "The row has no value in any mapped column.")
    assert isinstance(compile_row_rules(HEADER, {"Notes": "notes"})(row(First="not mapped")), Invalid)


@pytest.mark.parametrize("text, value", [
    ("85", 85), ("85.0", 85), ("+7", 7), ("-3", -3), ("0", 0), ("85.", 85),
])
def test_whole_scores(text, value):
    assert apply(row(Score=text)).lead_score == value


@pytest.mark.parametrize("text, value", [
    ("1234.5", "1234.50"), ("$1,234.50", "1234.50"), ("€ 12,500", "12500.00"), ("£0.99", "0.99"),
    ("1,234,567", "1234567.00"), (".5", "0.50"), ("12.", "12.00"), ("999999999999.99", "999999999999.99"),
])
def test_deal_values(text, value):
    assert Decimal(apply(row(Value=text)).deal_value) == Decimal(value)


def test_tags_are_split_trimmed_and_unique_case_insensitively():
    assert split_tags(" vip ,Newsletter, ,VIP,  big   deal ") == {"vip": "vip", "newsletter": "Newsletter",
                                                                   "big deal": "big deal"}
    assert apply(row(First="a", Tags=" , ,")).tags is None


def test_long_names_are_cut_to_the_column_sizes():
    lead = apply(row(Company="ß" * 300, Tags="t" * 150))
    assert len(lead.company) == 255 and len(lead.company_key) == 255
    assert [len(key) for key in lead.tags] == [100]


def validator_accepts(email: str) -> bool:
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


ATOM = st.text(alphabet="abcXYZ019_+-=!#~.", min_size=0, max_size=70)
LABEL = st.text(alphabet="abcXYZ019-", min_size=0, max_size=70)
UNICODE_LABEL = st.text(alphabet="aé-ü0ßЖ中.xn", min_size=0, max_size=20)
TLD = st.sampled_from(["com", "io", "TEST", "test", "local", "LocalHost", "onion", "arpa", "invalid", "c0m", "x",
                       "example", "co.uk", "a" * 30, "xn--p1ai", "museum", ""])
LOCAL = st.one_of(ATOM, st.text(alphabet="aé.ü_\"\\ @", max_size=12), st.just(""))


@st.composite
def odd_addresses(draw):
    labels = draw(st.lists(st.one_of(LABEL, UNICODE_LABEL), min_size=0, max_size=4))
    domain = ".".join(labels + [draw(TLD)])
    return draw(LOCAL) + draw(st.sampled_from(["@", "@", "@", "", "@@"])) + domain


# Near the fast path's edges: dots and hyphens anywhere, labels around 63 characters, any letters TLD.
PLAUSIBLE = st.from_regex(r"[A-Za-z0-9_+\-.]{1,70}@([A-Za-z0-9\-]{1,66}\.){1,4}[A-Za-z]{1,26}", fullmatch=True)


@st.composite
def plausible_addresses(draw):
    email = draw(PLAUSIBLE)
    if draw(st.booleans()):
        email = email.rpartition(".")[0] + "." + draw(TLD)
    return email


def addresses():
    return st.one_of(odd_addresses(), plausible_addresses())


@settings(max_examples=3000, deadline=None)
@given(addresses())
@example("a@b.TEST")
@example("a@ab--cd.com")
@example("a@xn--zz.com")
@example("a@" + "b" * 64 + ".com")
@example("a" * 65 + "@example.com")
@example("a@b.c0m")
@example("a@-b.com")
@example("x@1.example")
@example(("a" * 64 + "@") + ("b" * 63 + ".") * 3 + "com")
def test_the_email_fast_path_agrees_with_email_validator(email):
    assert (email_problem(email) is None) == validator_accepts(email)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=40))
def test_any_text_as_email_agrees_with_email_validator(text):
    email = text.strip()
    assert (email_problem(email) is None) == validator_accepts(email)
