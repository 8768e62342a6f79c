"""The reader on workbooks written part by part, as programs other than Excel write them: each the rows
a person saw in Excel."""
import zipfile

import pytest

from leadcrm.imports.upload.sniff import Problem
from leadcrm.imports.workbook import check, reader, shared_strings
from tests.support.workbooks import package

HEADER = ["Name", "Email", "Note"]
HEADER_ROW = '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>'


def rows_of(path, header=HEADER):
    return [(number, values, problem and problem.code) for number, values, problem in reader.records(path, "Leads", header)]


def test_prefixed_elements_attributes_in_any_order_and_cells_without_a_reference(tmp_path):
    data = ('<x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="B1" t="s"><x:v>1</x:v></x:c>'
            '<x:c r="C1" t="s"><x:v>2</x:v></x:c></x:row>'
            "<x:row r='2'><x:c t='s' r='A2'><x:v>3</x:v></x:c><x:c t=\"inlineStr\" s=\"0\" r=\"B2\"><x:is><x:t>a@example.com</x:t>"
            '</x:is></x:c><x:c t="s"><x:v>4</x:v></x:c></x:row>'
            '<x:row><x:c><x:v>7</x:v></x:c></x:row>')
    path = package(tmp_path / "x.xlsx", data, ["Name", "Email", "Note", "Ann", "C by position"], prefix="x")
    assert rows_of(path) == [(2, ["Ann", "a@example.com", "C by position"], None), (3, ["7", "", ""], None)]
    assert reader.count_records(path, "Leads", 3) == 2


def test_shared_strings_rich_text_phonetic_guides_escapes_and_empty_items(tmp_path):
    items = ("<si><t>Name</t></si><si><t>Email</t></si><si><t>Note</t></si>"
             '<si><r><rPr><b/></rPr><t>Jo</t></r><r><t xml:space="preserve">sé </t></r></si>'
             "<si><t>東京</t><rPh sb=\"0\" eb=\"2\"><t>トウキョウ</t></rPh></si>"
             "<si><t>Smith &amp; Co_x000D_\n</t></si><si/><si><t>_x005F_x000D_ stays</t></si>")
    data = HEADER_ROW + ('<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2" t="s"><v>4</v></c><c r="C2" t="s"><v>5</v></c></row>'
                         '<row r="3"><c r="A3" t="s"><v>6</v></c></row>'
                         '<row r="4"><c r="A4" t="s"><v>7</v></c></row>')
    path = package(tmp_path / "s.xlsx", data, items)
    assert rows_of(path) == [(2, ["José ", "東京", "Smith & Co\r\n"], None), (4, ["_x000D_ stays", "", ""], None)]
    assert reader.count_records(path, "Leads", 3) == 2


@pytest.mark.parametrize("chunk", [1 << 18, 64])  # one chunk for all rows; about one chunk per row
def test_the_count_is_the_rows_read_whatever_their_first_cells_hold(tmp_path, monkeypatch, chunk):
    from leadcrm.imports.workbook import sheet_xml
    monkeypatch.setattr(sheet_xml, "_CHUNK", chunk)
    data = HEADER_ROW + ('<row r="2"><c r="A2" t="s"><v>3</v></c></row>'  # Ann
                         '<row r="3"><c r="A3" t="s"><v>4</v></c><c r="B3" t="s"><v>3</v></c></row>'  # " ", then a value
                         '<row r="4"><c r="A4" t="s"><v>5</v></c></row>'  # "" only: no row
                         '<row r="5" spans="1:3"><c r="A5" s="0"><v>42</v></c></row>'
                         '<row r="6"><c r="A6" s="0"/><c r="B6" t="s"><v>3</v></c></row>'
                         '<row r="7"><c r="A7" t="inlineStr"><is><t>  </t></is></c></row>'  # blank inline: no row
                         '<row r="8"><c r="A8" t="s"><v>6</v></c></row>'  # tab and space only: no row
                         '<row r="9"><c r="D9" t="s"><v>3</v></c></row>'  # beyond the header only: no row
                         '<row r="10"><c r="A10" t="s"><v>3</v></c></row>')
    path = package(tmp_path / "c.xlsx", data, [*HEADER, "Ann", " ", "", "\t "])
    assert [number for number, _values, _problem in rows_of(path)] == [2, 3, 5, 6, 10]
    assert reader.count_records(path, "Leads", 3) == 5


@pytest.mark.parametrize("recent_blocks", [512, 2])  # every block in memory; most read back from the file
def test_a_large_table_is_read_in_any_order_from_its_blocks(tmp_path, monkeypatch, recent_blocks):
    monkeypatch.setattr(shared_strings, "_CHUNK", 4096)  # items cut across many chunks
    monkeypatch.setattr(shared_strings, "RECENT_BLOCKS", recent_blocks)
    count = 40 * shared_strings.BLOCK * 8
    texts = [f"Ørsted {i} 東京" if i < count // 2 and i % 3 == 0 else f"text {i}" for i in range(count)]  # UTF-8, then ASCII blocks
    path = package(tmp_path / "big.xlsx", "", texts)
    with zipfile.ZipFile(path) as archive:
        strings = shared_strings.SharedStrings(archive, "xl/sharedStrings.xml")
        order = [count - 1, 0, 5, count // 2, 1, count - 2] + list(range(0, count, 7))[::-1]
        assert [strings[i] for i in order] == [texts[i] for i in order]
        with pytest.raises(shared_strings.MissingString):
            strings[count]
        strings.close()


def test_a_second_pass_reads_the_table_as_new_blocks_not_as_texts_met_again(tmp_path, monkeypatch):
    monkeypatch.setattr(shared_strings, "RECENT_BLOCKS", 2)
    texts = [f"email{i}@example.com" for i in range(shared_strings.BLOCK * 8)]
    path = package(tmp_path / "t.xlsx", "", texts)
    with zipfile.ZipFile(path) as archive:
        strings = shared_strings.SharedStrings(archive, "xl/sharedStrings.xml")
        assert strings[len(texts) - 1] == texts[-1]  # a first pass (the count) parsed the whole table
        strings.rewind()
        assert [strings[i] for i in range(len(texts))] == texts
        repeated, _recent = strings.caches
        assert repeated == {}  # each text met once: none kept by itself
        strings.close()


def test_numbers_dates_booleans_and_formula_results_by_type_and_style(tmp_path):
    data = ('<row r="1"><c r="A1" t="inlineStr"><is><t>Date</t></is></c><c r="B1" t="inlineStr"><is><t>Flag</t></is></c>'
            '<c r="C1" t="inlineStr"><is><t>Text</t></is></c><c r="D1" t="inlineStr"><is><t>ZIP</t></is></c>'
            '<c r="E1" t="inlineStr"><is><t>When</t></is></c></row>'
            '<row r="2"><c r="A2" s="1"><v>45296</v></c><c r="B2" t="b"><v>1</v></c>'
            '<c r="C2" t="str"><f>A2&amp;"x"</f><v>a &amp; b</v></c><c r="D2" s="2"><v>2134</v></c>'
            '<c r="E2" t="d" s="3"><v>2024-01-05T09:30:00</v></c></row>'
            '<row r="3"><c r="A3" s="3"><v>45296.5</v></c><c r="B3" t="b"><v>0</v></c><c r="C3"><v>1.2E-5</v></c>'
            '<c r="D3" s="9"><v>7</v></c></row>')
    path = package(tmp_path / "n.xlsx", data, cell_formats=(0, 14, 164, 22), custom_formats={164: "00000"})
    header = ["Date", "Flag", "Text", "ZIP", "When"]
    assert rows_of(path, header) == [(2, ["2024-01-05", "TRUE", "a & b", "02134", "2024-01-05T09:30:00"], None),
                                     (3, ["2024-01-05T12:00:00", "FALSE", "0.000012", "7", ""], None)]


def test_the_1904_date_system(tmp_path):
    data = ('<row r="1"><c r="A1" t="inlineStr"><is><t>Met</t></is></c></row>'
            '<row r="2"><c r="A2" s="1"><v>43834</v></c></row>')
    path = package(tmp_path / "mac.xlsx", data, cell_formats=(0, 14), date1904=True)
    assert rows_of(path, ["Met"]) == [(2, ["2024-01-05"], None)]


def test_a_cell_naming_a_missing_shared_string_is_a_clear_problem(tmp_path):
    data = HEADER_ROW + '<row r="2"><c r="A2" t="s"><v>99</v></c></row>'
    path = package(tmp_path / "missing.xlsx", data, ["Name", "Email", "Note"])
    result = check.check(path)
    assert result == Problem("The workbook cannot be read (a cell names shared string 99, and the workbook holds 3): "
                             "it is damaged or not a real Excel file. Open it in Excel and use File → Save As → Excel "
                             "Workbook (.xlsx), then upload that file.")


def test_a_damaged_sheet_part_is_a_clear_problem(tmp_path):
    path = package(tmp_path / "ok.xlsx", HEADER_ROW + '<row r="2"><c r="A2" t="s"><v>0</v></c></row>', ["Name", "Email", "Note"])
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        member = archive.getinfo("xl/worksheets/sheet1.xml")
    at = member.header_offset + 30 + len(member.filename) + 2  # inside the packed sheet
    data[at:at + 8] = b"\xff" * 8
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(bytes(data))
    result = check.check(damaged)
    assert isinstance(result, Problem) and result.message.startswith("The workbook cannot be read (its sheet is damaged")
