"""sniff: the check of a file's start, on real files written to tmp_path."""
import codecs

import pytest

from leadcrm.imports.upload.labels import encoding_label
from leadcrm.imports.upload.sample import PREVIEW_ROWS, SAMPLE_BYTES
from leadcrm.imports.upload.sniff import Problem, Sniffed, guess_encoding, sniff
from tests.support.csvfiles import xlsx_bytes


@pytest.fixture
def write(tmp_path):
    def write(content: bytes | str, name="leads.csv"):
        path = tmp_path / name
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        return path

    return write


def test_plain_file(write):
    result = sniff(write("first_name,email\nAda,ada@example.com\nGrace,grace@example.com\n"))
    assert result == Sniffed("utf-8", ",", ["first_name", "email"], [["Ada", "ada@example.com"], ["Grace", "grace@example.com"]])


def test_bom_is_dropped_silently(write):
    result = sniff(write(codecs.BOM_UTF8 + b"email,name\r\na@example.com,A\r\n"))
    assert result.header == ["email", "name"]
    assert result.encoding == "utf-8"


def test_quoted_commas_quotes_and_newlines(write):
    result = sniff(write('name,notes\r\n"Doe, Jane","said ""hi""\r\nthen left"\r\nBob,plain\r\n'))
    assert result.rows == [["Doe, Jane", 'said "hi"\r\nthen left'], ["Bob", "plain"]]


def test_short_and_long_rows_take_the_header_width_and_blank_lines_are_skipped(write):
    result = sniff(write("a,b,c\n1\n\n,,\n1,2,3,4\n"))
    assert result.rows == [["1", "", ""], ["1", "2", "3"]]


def test_preview_holds_the_first_rows_only(write):
    result = sniff(write("n\n" + "".join(f"{i}x\n" for i in range(50))))
    assert len(result.rows) == PREVIEW_ROWS


@pytest.mark.parametrize("content", [b"", b"   \r\n\n", codecs.BOM_UTF8])
def test_empty_file(write, content):
    assert sniff(write(content)).message.startswith("The file is empty.")


@pytest.mark.parametrize(
    "content, expected",
    [
        (xlsx_bytes(), "This looks like an Excel workbook (.xlsx), not a CSV file. In Excel use File → Save As → CSV UTF-8"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "an Excel 97-2003 workbook (.xls)"),
        (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "This looks like a PNG image"),
        (b"\xff\xd8\xff\xe0\0\x10JFIF", "This looks like a JPEG image"),
        (b"GIF89a\x01\0\x01\0", "This looks like a GIF image"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "This looks like a PDF document"),
        (b"PK\x03\x04\x14\0\0\0leads.csv", "This looks like a ZIP archive"),
        (b"name,email\nA\0B,a@example.com\n", "binary data (NUL bytes)"),
    ],
)
def test_binary_files(write, content, expected):
    result = sniff(write(content))
    assert isinstance(result, Problem) and expected in result.message and not result.offer


def test_not_utf8_names_the_likely_encoding_and_offers_it(write):
    path = write("first_name,last_name,email,notes\nJosé,Müller,jose@example.com,Café crème – “quoted” €5\n"
                 "Renée,Brontë,r@example.com,naïve\n".encode("cp1252"))
    result = sniff(path)
    assert result.message.startswith("Invalid CSV format: the file is not UTF-8 (line 2")
    assert "windows-1252" in result.message and "José" in result.message
    assert result.offer == {"encoding": "cp1252"} and result.offer_label == "Import it as windows-1252"
    accepted = sniff(path, encoding="cp1252")
    assert accepted.encoding == "cp1252"
    assert accepted.rows[0][:2] == ["José", "Müller"] and accepted.rows[0][3] == "Café crème – “quoted” €5"


def test_a_european_excel_export_gets_one_offer_for_its_encoding_and_its_semicolons(write):
    path = write("Vorname;Nachname;E-Mail;Betrag\r\nJürgen;Müller;j@example.de;1.234,50\r\n".encode("cp1252"))
    result = sniff(path)
    assert result.offer == {"encoding": "cp1252", "delimiter": ";"}
    assert result.offer_label == "Import it as windows-1252 separated by semicolons"
    assert result.message == (
        "Invalid CSV format: the file is not UTF-8 (line 2 holds bytes that are not UTF-8). It is most likely "
        "windows-1252, separated by semicolons: line 2 would read “Jürgen;Müller;j@example.de;1.234,50”. "
        "Import it as windows-1252 separated by semicolons, or save it as CSV UTF-8 and upload it again.")
    accepted = sniff(path, **result.offer)
    assert (accepted.header, accepted.rows) == (["Vorname", "Nachname", "E-Mail", "Betrag"],
                                                [["Jürgen", "Müller", "j@example.de", "1.234,50"]])


@pytest.mark.parametrize(
    "text, encoding, guess",
    [
        ("Vorname;E-Mail;Firma\r\nJosé;jose@example.com;Café Müller\r\nJürgen;j@example.de;Groß & Co\r\n", "cp1252", "cp1252"),
        ("nom\nFrançois à Noël\n", "latin-1", "cp1252"),
        ("name,email\nЖанна Иванова,z@example.com\nПётр Смирнов,p@example.com\n", "cp1251", "cp1251"),
        ("name,city\nΓιώργος Παπαδόπουλος,Αθήνα\nΜαρία,Θεσσαλονίκη\n", "cp1253", "cp1253"),
    ],
)
def test_guess_encoding(text, encoding, guess):
    assert guess_encoding(text.encode(encoding), truncated=False) == guess


def test_an_offered_encoding_that_does_not_fit_either(write):
    # 0x81 is not a cp1252 character.
    result = sniff(write(b"name\nA\x81B\n"), encoding="cp1252")
    assert result.message.startswith("The file is not windows-1252 either (line 2")
    assert not result.offer


def test_utf16_from_excel_unicode_text(write):
    path = write("name\temail\nZoë\tz@example.com\n".encode("utf-16"))
    result = sniff(path)
    assert "not UTF-8 but UTF-16" in result.message and result.offer == {"encoding": "utf-16"}
    problem = sniff(path, encoding="utf-16")
    assert problem.offer == {"delimiter": "\t"}
    accepted = sniff(path, encoding="utf-16", delimiter="\t")
    assert accepted.header == ["name", "email"] and accepted.rows == [["Zoë", "z@example.com"]]


@pytest.mark.parametrize("delimiter, name", [(";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars (|)")])
def test_other_delimiters_are_detected_and_offered(write, delimiter, name):
    path = write(f"first_name{delimiter}email{delimiter}notes\nAda{delimiter}ada@example.com{delimiter}1,5\n")
    result = sniff(path)
    assert result.message == (
        f"Invalid CSV format: the file is separated by {name}, not commas. "
        f"Import it separated by {name}, or save it as comma-separated CSV UTF-8 and upload it again."
    )
    assert result.offer == {"delimiter": delimiter}
    accepted = sniff(path, delimiter=delimiter)
    assert accepted.delimiter == delimiter and accepted.rows == [["Ada", "ada@example.com", "1,5"]]


def test_a_single_column_file_is_fine(write):
    assert sniff(write("email\na@example.com\n")).header == ["email"]


@pytest.mark.parametrize(
    "content, shown",
    [("ada@example.com,Ada,Lovelace\nbob@example.com,Bob,B\n", "ada@example.com"), ("1,2,3\n4,5,6\n", "1"),
     ("+1 555 0100,12.5\n+1 555 0101,3\n", "+1 555 0100")],
)
def test_no_header_row(write, content, shown):
    result = sniff(write(content))
    assert result.message.startswith(f"The file has no header row: the first row looks like data (“{shown}”)")


def test_first_line_empty(write):
    assert sniff(write("\nname,email\nA,a@example.com\n")).message.startswith("The first line of the file is empty.")


def test_only_a_header(write):
    assert sniff(write("name,email\n\n")).message.startswith("The file has a header row but no rows of leads")


@pytest.mark.parametrize(
    "header, expected",
    [("name,,email", "Column 2 has no name"), ("name, ,email,", "Columns 2 and 4 have no name"),
     ("Email,name,Email", "The column name “Email” is used twice (columns 1 and 3)")],
)
def test_blank_and_duplicate_column_names(write, header, expected):
    assert sniff(write(f"{header}\n1,2,3,4\n")).message.startswith(expected)


def test_first_line_longer_than_the_sample(write):
    result = sniff(write("x" * (SAMPLE_BYTES + 10) + "\nrow\n"))
    assert result.message.startswith("The first line is longer than 64 KiB")


def test_first_row_never_ends_in_the_sample(write):
    result = sniff(write('name,notes\nAda,"an unclosed quote\n' + "more text\n" * 20000))
    assert "does not end within the first 64 KiB" in result.message


def test_large_file_reads_its_start_only(write):
    # Cut in the middle of a multibyte character and of a quoted field: only complete records are kept.
    line = 'Zoë,"two\nlines",x\n'
    path = write("name,notes,c\n" + line * (3 * SAMPLE_BYTES // len(line)))
    result = sniff(path)
    assert result.rows == [["Zoë", "two\nlines", "x"]] * PREVIEW_ROWS


@pytest.mark.parametrize(
    "encoding, label", [("cp1252", "windows-1252"), ("utf_16", "UTF-16"), ("latin_1", "ISO-8859-1"), ("utf-8", "UTF-8")]
)
def test_encoding_labels(encoding, label):
    assert encoding_label(encoding) == label


def test_a_first_data_row_longer_than_the_sample_is_named_not_taken_for_an_empty_header(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("First Name,Email,Notes\nAnn,ann@example.com," + "x" * 200_000 + "\n")
    problem = sniff(path)
    assert isinstance(problem, Problem)
    assert problem.message.startswith("The first row after the header does not end within the first 64 KiB")
