"""The mapping page's preview (mapping/preview.py) on stored files: the first rows as wide as the header,
blank records left out, each column's examples, and the sample row as the import will save it."""
import io

import pytest

from leadcrm.imports.mapping.fields import FIELDS
from leadcrm.imports.mapping.preview import SampleRow, examples, first_rows, sample_row
from leadcrm.imports.upload import storage
from leadcrm.imports.upload.sample import PREVIEW_ROWS, SAMPLE_BYTES
from leadcrm.models import LeadImport

HEADER = ["First", "E-mail", "Amount", "Labels", "Score", "Org"]
MAPPING = {"First": "first_name", "E-mail": "email", "Amount": "deal_value", "Labels": "tags", "Score": "lead_score",
           "Org": "company"}


def stored(data: bytes, encoding: str = "utf-8", delimiter: str = ",") -> LeadImport:
    """An import of the file as the upload step leaves it (not saved: the preview reads only these)."""
    stored_name = storage.new_name()
    storage.store().save(io.BytesIO(data), stored_name)
    return LeadImport(stored_name=stored_name, encoding=encoding, delimiter=delimiter)


def shown(sample: SampleRow) -> dict[str, str]:
    assert [label for label, _ in sample.values] == list(FIELDS.values()), "every lead field, in the catalogue's order"
    return dict(sample.values)


def test_first_rows_are_as_wide_as_the_header_without_blank_records(upload_app):
    imp = stored(b"a,b,c\n\n,,\n1\n  , \n1,2,3,4\n\"x\ny\",,z\n" + b"4,5,6\n" * 10)
    assert first_rows(imp) == [["1", "", ""], ["1", "2", "3"], ["x\ny", "", "z"], ["4", "5", "6"], ["4", "5", "6"]]
    assert len(first_rows(imp, count=2)) == 2 and PREVIEW_ROWS == 5


def test_first_rows_read_the_imports_encoding_and_delimiter_from_the_start_only(upload_app):
    row = "Zoë;zoe@example.com;Café €5\r\n"
    imp = stored(("name;email;notes\r\n" + row * (2 * SAMPLE_BYTES // len(row))).encode("cp1252"), "cp1252", ";")
    assert first_rows(imp) == [["Zoë", "zoe@example.com", "Café €5"]] * PREVIEW_ROWS


def test_undecodable_bytes_show_as_replacement_characters(upload_app):
    assert first_rows(stored(b"name,notes\nCaf\xe9,x\n")) == [["Caf\ufffd", "x"]]


def test_examples_are_each_columns_values_that_are_not_blank():
    rows = [["Ada", " ", "1"], ["", "ada@example.com", "2"], ["Grace", "", "3"]]
    assert examples(["name", "email", "n"], rows) == [["Ada", "Grace"], ["ada@example.com"], ["1", "2", "3"]]


def test_the_sample_row_is_the_first_row_as_it_will_be_saved():
    rows = [["Ada", " ADA@Example.com ", "$1,234.5", "vip, Beta,VIP", "85.0", "  Analytical   Engines "],
            ["Bob", "bob@", "", "", "", ""]]
    sample = sample_row(HEADER, rows, MAPPING, {"source": "Fair", "status": "contacted", "tags": ["imported"]})
    assert sample.invalid == ""
    assert shown(sample) == {
        "First Name": "Ada", "Last Name": "", "Email": "ADA@Example.com", "Phone": "", "Company": "Analytical Engines",
        "Status": "contacted", "Source": "Fair", "Score": "85", "Deal Value": "1234.50",
        "Tags": "imported, vip, Beta", "Notes": "",
    }


@pytest.mark.parametrize("amount, deal_value", [
    ("12,500", "12500.00"), ("1234.5", "1234.50"), (".5", "0.50"), ("£0.99", "0.99"), ("7", "7.00"), ("", ""),
])
def test_the_deal_value_shows_with_two_decimals_as_the_column_holds_it(amount, deal_value):
    sample = sample_row(HEADER, [["Ada", "", amount, "", "", ""]], MAPPING, {})
    assert shown(sample)["Deal Value"] == deal_value


def test_an_invalid_first_row_says_why_it_would_not_be_imported():
    sample = sample_row(HEADER, [["Bob", "bob@", "", "", "", ""], ["Ada", "ada@example.com", "", "", "", ""]],
                        MAPPING, {})
    assert sample.values == []
    assert sample.invalid.startswith("Email 'bob@' in column 'E-mail' is not a valid email address: ")


def test_a_row_with_no_mapped_value_is_invalid_and_a_file_without_rows_has_no_sample():
    assert sample_row(HEADER, [["", "", "", "", "", "unmapped"]], {"First": "first_name"}, {}) == SampleRow(
        values=[], invalid="The row has no value in any mapped column.")
    assert sample_row(HEADER, [], MAPPING, {}) is None


def test_the_sample_row_comes_from_the_first_record_that_is_not_blank(upload_app):
    imp = stored(b"First,E-mail,Amount,Labels,Score,Org\n,,,,,\n   ,,,\nAda,ada@example.com,3,,,\n")
    assert shown(sample_row(HEADER, first_rows(imp), MAPPING, {}))["First Name"] == "Ada"
