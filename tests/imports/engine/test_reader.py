"""The reader (engine/reader.py) on real files: each record with the physical line it starts on, blank
records left out, a read problem for the lines the row rules cannot take, skipping what was imported,
and a counting pass that counts exactly the records the import meets."""
import codecs

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadcrm.imports.engine.reader import FIELD_SIZE_LIMIT, FileTraits, count_records, readable, records, scan
from leadcrm.imports.rows import Invalid

TOO_FEW = "Line {} has {} fields but the header has 3. Check for a missing or extra delimiter or an unclosed quote."
UNDECODABLE = Invalid("undecodable", None, "The line contains bytes that are not valid utf-8. "
                      "Save the file as UTF-8 (CSV UTF-8 in Excel) and import it again.")
NUL = Invalid("nul", None, "The line contains a NUL character, which cannot be stored. Remove it and import the row again.")


def field_count(line: int, fields: int) -> Invalid:
    return Invalid("field_count", None, TOO_FEW.format(line, fields))


@pytest.fixture
def write(tmp_path):
    def write(data: bytes | str, encoding: str = "utf-8"):
        path = tmp_path / "leads.csv"
        path.write_bytes(data.encode(encoding) if isinstance(data, str) else data)
        return path

    return write


def read(path, width=3, encoding="utf-8", delimiter=",", skip=0) -> list[tuple]:
    return list(records(path, encoding, delimiter, width, scan(path, encoding), skip=skip))


def count(path, encoding="utf-8", delimiter=",") -> int:
    return count_records(path, encoding, delimiter, lambda: None)


def test_records_start_on_their_physical_line_with_quoted_newlines_crlf_and_a_bom(write):
    path = write("\ufeffemail,name,notes\r\n"
                 'a@example.com,Ann,"two\r\nlines"\r\n'    # 2-3
                 "b@example.com,Bob,plain\r\n"               # 4
                 '"c@example.com","Cy ""C""","x\ny\nz"\n'   # 5-7 (bare LF inside quotes and at the end)
                 "d@example.com,Di,last")                    # 8, no line end
    assert read(path) == [
        (2, ["a@example.com", "Ann", "two\r\nlines"], None),
        (4, ["b@example.com", "Bob", "plain"], None),
        (5, ["c@example.com", 'Cy "C"', "x\ny\nz"], None),
        (8, ["d@example.com", "Di", "last"], None),
    ]
    assert count(path) == 4


def test_blank_records_are_not_rows_before_or_after_the_header(write):
    path = write("\n ,  \nemail,name,notes\n\na@example.com,,\n,,\n   \n\t, ,\nb@example.com,B,\n\n")
    assert read(path) == [(5, ["a@example.com", "", ""], None), (9, ["b@example.com", "B", ""], None)]
    assert count(path) == 2


def test_a_record_with_another_number_of_fields_is_a_problem_of_its_line(write):
    path = write("email,name,notes\na@example.com,Ann\nb@example.com,Bob,x,extra\nc@example.com,Cy,ok\nonly\n")
    assert read(path) == [
        (2, ["a@example.com", "Ann"], field_count(2, 2)),
        (3, ["b@example.com", "Bob", "x", "extra"], field_count(3, 4)),
        (4, ["c@example.com", "Cy", "ok"], None),
        (5, ["only"], field_count(5, 1)),
    ]
    assert count(path) == 4


def test_a_field_over_the_limit_is_a_csv_error_of_its_line_and_reading_goes_on(write):
    path = write(f'email,name,notes\na@example.com,A,"{"x" * (FIELD_SIZE_LIMIT + 1)}"\nb@example.com,B,ok\n')
    assert read(path) == [
        (2, [], Invalid("too_long", None,
                        f"Line 2 has a value longer than {FIELD_SIZE_LIMIT:,} characters. Check for an unclosed quote.")),
        (3, ["b@example.com", "B", "ok"], None),
    ]
    assert count(path) == 2


def test_undecodable_bytes_and_nul_are_problems_of_their_line_only(write):
    path = write(b"email,name,notes\na@example.com,Caf\xe9,x\nb@example.com,B\x00b,y\nc@example.com,C,z\n")
    assert scan(path, "utf-8") == FileTraits(undecodable=True, nul=True)
    assert read(path) == [
        (2, ["a@example.com", "Caf\udce9", "x"], UNDECODABLE),
        (3, ["b@example.com", "B\x00b", "y"], NUL),
        (4, ["c@example.com", "C", "z"], None),
    ]
    assert [readable(value) for value in ["Caf\udce9", "B\x00b"]] == ["Caf\ufffd", "Bb"]
    assert count(path) == 3


def test_a_clean_file_needs_no_per_record_checks(write):
    assert scan(write("email,name,notes\na@example.com,Zoë,✓\n"), "utf-8") == FileTraits(undecodable=False, nul=False)


def test_another_encoding_and_delimiter(write):
    path = write("email;name;notes\r\nz@example.com;Zoë;Café €5\r\n", encoding="cp1252")
    assert read(path, encoding="cp1252", delimiter=";") == [(2, ["z@example.com", "Zoë", "Café €5"], None)]
    assert scan(path, "cp1252") == FileTraits(undecodable=False, nul=False)
    assert count(path, "cp1252", ";") == 1


def test_utf16_is_read_with_its_own_codec(write):
    path = write(codecs.BOM_UTF16_LE + "email\tname\tnotes\r\nz@example.com\tZoë\t\r\n".encode("utf-16-le"))
    assert read(path, encoding="utf-16", delimiter="\t") == [(2, ["z@example.com", "Zoë", ""], None)]


def test_skip_leaves_out_the_records_already_imported_errors_included(write):
    path = write(f'email,name,notes\na@example.com,A,1\n\nshort\n"{"x" * (FIELD_SIZE_LIMIT + 1)}"\n'
                 "b@example.com,B,2\nc@example.com,C,3\n")
    everything = read(path)
    assert [line for line, _, _ in everything] == [2, 4, 5, 6, 7]
    for skip in range(len(everything) + 1):
        assert read(path, skip=skip) == everything[skip:], skip


def test_the_counting_pass_reports_progress_every_65536_records(write):
    path = write("email,name,notes\n" + "a,b,c\n" * (2 * 65_536 + 5))
    calls = []
    assert count_records(path, "utf-8", ",", lambda: calls.append(1)) == 2 * 65_536 + 5
    assert len(calls) == 2


# Characters that make CSV interesting: delimiters, quotes, line ends, spaces, NUL, non-ASCII.
CSV_TEXT = st.lists(st.sampled_from(list(',;"\n\r\t x\x00é\ufeff') + ["a,b,c\n", '"q\nq"', ",,\n"]), max_size=200)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=40), CSV_TEXT)
def test_the_count_is_the_number_of_records_the_import_reads(write, prefix, pieces):
    path = write(prefix + "".join(pieces).encode("utf-8"))
    assert count(path) == len(read(path))
