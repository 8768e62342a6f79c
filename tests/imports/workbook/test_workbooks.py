"""Workbooks as the checks and the reader see them: each generated workbook and its one outcome."""
import datetime
import os
import shutil
import subprocess

import pytest

from leadcrm.imports.upload.sniff import Problem, Sniffed
from leadcrm.imports.workbook import check, reader
from leadcrm.imports.workbook.cells import number_text
from leadcrm.imports.workbook.formats import GENERAL, NumberFormat, kind_of_code, number_format
from tests.support.workbooks import encrypted, save, with_dimension, with_shared_strings, workbook, zip_bomb

HEADER = ["Name", "Email", "ZIP"]


def rows_of(path, sheet="Leads", header=HEADER):
    return list(reader.records(path, sheet, header))


@pytest.mark.parametrize("stored, number_format, text", [
    ("4155550100", GENERAL, "4155550100"), ("4155550100.0", GENERAL, "4155550100"), ("0.30000000000000004", GENERAL, "0.3"),
    ("1.2E-5", GENERAL, "0.000012"), ("1234.5", GENERAL, "1234.5"), ("1E+20", GENERAL, "100000000000000000000"),
    ("-7", GENERAL, "-7"), ("2134", NumberFormat(padded_to=5), "02134"), ("2134.0", NumberFormat(padded_to=5), "02134"),
    ("45296", NumberFormat("date"), "2024-01-05"), ("45296.54450231481", NumberFormat("datetime"), "2024-01-05T13:04:05"),
    ("45296.5", NumberFormat("date"), "2024-01-05"), ("0.3958333333333333", NumberFormat("time"), "09:30:00"),
    ("1.5", NumberFormat("elapsed"), "36:00:00"), ("1", NumberFormat("date"), "1900-01-01"),
])
def test_cells_read_as_a_person_saw_them(stored, number_format, text):
    assert number_text(stored, number_format) == text


def test_the_1904_date_system():
    assert number_text("43834", NumberFormat("date"), epoch_1904=True) == "2024-01-05"


@pytest.mark.parametrize("code, kind", [
    ("yyyy-mm-dd", "date"), ("d/m/yy", "date"), ("mmm", "date"), ("[$-409]mmmm d, yyyy", "date"), ("h:mm AM/PM", "time"),
    ("yyyy-mm-dd h:mm:ss", "datetime"), ("[h]:mm:ss", "elapsed"), ("0.00", None), ("General", None), ("@", None),
    ('"Day" 0', None), ("[Red]#,##0.00", None), ("0.00E+00", None), ("00000", None),
])
def test_which_format_codes_show_dates(code, kind):
    assert kind_of_code(code) == kind


def test_builtin_and_custom_formats():
    assert number_format(14, {}) == NumberFormat("date") and number_format(22, {}) == NumberFormat("datetime")
    assert number_format(2, {}) == GENERAL and number_format(164, {164: "00000"}) == NumberFormat(None, 5)


def test_one_sheet_with_shared_strings_goes_straight_to_mapping(tmp_path):
    path = with_shared_strings(save(workbook({"Leads": [HEADER, ["Ann", "ann@example.com", "02134"]]}), tmp_path / "a.xlsx"))
    assert b'<c r="A2" t="s">' in __import__("zipfile").ZipFile(path).read("xl/worksheets/sheet1.xml")
    assert check.check(path) == Sniffed("utf-8", ",", HEADER, [["Ann", "ann@example.com", "02134"]], sheet="Leads")


def test_a_wrong_stored_dimension_reads_every_row(tmp_path):
    rows = [HEADER] + [[f"P{i}", f"p{i}@example.com", i] for i in range(10)]
    path = with_dimension(save(workbook({"Leads": rows}), tmp_path / "a.xlsx"), "A1:B2")
    assert [(number, values[0]) for number, values, _ in rows_of(path)] == [(i + 2, f"P{i}") for i in range(10)]
    assert reader.count_records(path, "Leads", 3) == 10


def test_a_stray_far_cell_adds_no_row_and_no_columns(tmp_path):
    book = workbook({"Leads": [HEADER, ["Ann", "ann@example.com", 1]]})
    book["Leads"]["XFD1048576"] = "far"
    path = save(book, tmp_path / "far.xlsx")
    assert rows_of(path) == [(2, ["Ann", "ann@example.com", "1"], None)]
    assert reader.count_records(path, "Leads", 3) == 1


def test_several_sheets_get_the_picker_with_the_hidden_one_marked(tmp_path):
    path = save(workbook({"Notes": [["Text"], ["hello"]], "Leads": [HEADER, ["Ann", "a@example.com", 1], ["Bo", "", 2]],
                          "Empty": [], "Old": [HEADER, ["Cy", "c@example.com", 3]]}, hidden=("Old",)), tmp_path / "s.xlsx")
    choice = check.check(path)
    assert choice == check.SheetChoice([
        check.SheetSummary("Notes", False, 1, False, [["Text"], ["hello"]]),
        check.SheetSummary("Leads", False, 2, False, [HEADER, ["Ann", "a@example.com", "1"], ["Bo", "", "2"]]),
        check.SheetSummary("Old", True, 1, False, [HEADER, ["Cy", "c@example.com", "3"]]),
    ])
    assert check.check(path, "Old").sheet == "Old"


def test_merged_cells_give_their_top_left_value_and_empty_rows_are_not_rows(tmp_path):
    path = save(workbook({"Leads": [HEADER, ["Ann", "a@example.com", 1], [], [None, None, None], ["Merged", None, 2]]},
                         merged={"Leads": ["A5:B5"]}), tmp_path / "m.xlsx")
    assert rows_of(path) == [(2, ["Ann", "a@example.com", "1"], None), (5, ["Merged", "", "2"], None)]


def test_an_error_cell_makes_its_row_invalid_naming_the_cell(tmp_path):
    book = workbook({"Leads": [HEADER, ["Ann", "a@example.com", "#N/A"]]})
    book["Leads"]["C2"].data_type = "e"
    [(number, values, problem)] = rows_of(save(book, tmp_path / "e.xlsx"))
    assert (number, values, problem.code, problem.column) == (2, ["Ann", "a@example.com", "#N/A"], "cell_error", "ZIP")
    assert problem.reason == ("Cell C2 holds the error #N/A instead of a value. Fix the formula or type the value in "
                              "Excel, then import the row again.")


def test_a_formula_without_a_saved_result_says_to_save_the_file_in_excel(tmp_path):
    path = save(workbook({"Leads": [HEADER, ["Ann", "a@example.com", "=1+1"]]}), tmp_path / "f.xlsx")
    [(number, values, problem)] = rows_of(path)
    assert (number, values, problem.code) == (2, ["Ann", "a@example.com", ""], "no_saved_result")
    assert problem.reason == ("Cell C2 holds a formula (=1+1) with no saved result: the file was never calculated. "
                              "Open and save the file in Excel, then import it again.")


def test_dates_and_zero_padded_numbers(tmp_path):
    path = save(workbook({"Leads": [["Name", "Met", "At", "ZIP"],
                                    ["Ann", datetime.date(2024, 1, 5), datetime.datetime(2024, 1, 5, 9, 30), 2134]]},
                         formats={"Leads!D2": "00000"}), tmp_path / "d.xlsx")
    assert rows_of(path, header=["Name", "Met", "At", "ZIP"]) == [
        (2, ["Ann", "2024-01-05", "2024-01-05T09:30:00", "02134"], None)]


@pytest.mark.parametrize("make, message", [
    (lambda p: encrypted(save(workbook({"Leads": [HEADER, ["Ann", "a@example.com", 1]]}), p)),
     "The workbook is protected with a password, so it cannot be read."),
    (lambda p: zip_bomb(p), "The workbook would unpack to 64 MB (xl/worksheets/sheet1.xml is packed"),
    (lambda p: p.write_bytes(b"PK\x03\x04 not really a zip") and p, "The file is not a real Excel workbook"),
    (lambda p: save(workbook({"Leads": [], "Other": []}), p), "The workbook has no sheet with data"),
    (lambda p: save(workbook({"Leads": [["Name", None, "Name"], ["a", "b", "c"]]}), p),
     "Sheet “Leads”, row 1: Column 2 has no name in the header row."),
    (lambda p: save(workbook({"Leads": [["Name", "Email", "Name"], ["a", "b", "c"]]}), p),
     "Sheet “Leads”, row 1: The column name “Name” is used twice (columns 1 and 3)."),
    (lambda p: save(workbook({"Leads": [["ann@example.com", "Ann"], ["b@example.com", "Bo"]]}), p),
     "Sheet “Leads”, row 1: The file has no header row"),
    (lambda p: save(workbook({"Leads": [HEADER]}), p), "The sheet “Leads” has a header row but no rows of leads below it."),
])
def test_each_problem_gets_its_message(tmp_path, make, message):
    path = tmp_path / "bad.xlsx"
    make(path)
    result = check.check(path)
    assert isinstance(result, Problem) and result.message.startswith(message), result


def test_rows_beyond_excel_last_row_fail_the_count(tmp_path):
    book = workbook({"Leads": [HEADER]})
    path = save(book, tmp_path / "big.xlsx")
    parts = __import__("zipfile").ZipFile(path)
    data = {n: parts.read(n) for n in parts.namelist()}
    data["xl/worksheets/sheet1.xml"] = data["xl/worksheets/sheet1.xml"].replace(
        b"</sheetData>", b'<row r="1048577"><c r="A1048577" t="inlineStr"><is><t>x</t></is></c></row></sheetData>')
    with __import__("zipfile").ZipFile(path, "w") as out:
        for name, part in data.items():
            out.writestr(name, part)
    with pytest.raises(reader.TooManyRows, match="beyond row 1,048,576"):
        reader.count_records(path, "Leads", 3)


def test_a_workbook_saved_by_libreoffice(tmp_path):
    if shutil.which("soffice") is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but LibreOffice is not installed (apt-get install libreoffice-calc).")
        pytest.skip("LibreOffice (libreoffice-calc) is not installed")
    source = tmp_path / "leads.csv"
    source.write_text("Name,Email,ZIP\nAnn,ann@example.com,4155550100\nBo,bo@example.com,12.5\n")
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to", "xlsx",
                    "--outdir", str(tmp_path), str(source)], check=True, capture_output=True, timeout=120)
    result = check.check(tmp_path / "leads.xlsx")
    assert result == Sniffed("utf-8", ",", HEADER, [["Ann", "ann@example.com", "4155550100"], ["Bo", "bo@example.com", "12.5"]],
                             sheet="leads")
