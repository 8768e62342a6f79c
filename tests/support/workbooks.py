"""Workbooks made in the tests: written by openpyxl, then reshaped the way other programs leave them
(a shared-strings table as Excel writes it, a wrong stored dimension)."""
import io
import re
import zipfile
from pathlib import Path

import openpyxl

_INLINE = re.compile(r'<c ([^>]*?)t="inlineStr"([^>]*)><is><t(?: [^>]*)?>(.*?)</t></is></c>', re.S)
SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SST_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def workbook(sheets: dict[str, list[list]], hidden: tuple[str, ...] = (), formats: dict[str, str] | None = None,
             merged: dict[str, list[str]] | None = None) -> openpyxl.Workbook:
    """A workbook with these sheets and rows; formats: {"Sheet!B2": "00000"}; merged: {"Sheet": ["A3:B3"]}."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        if name in hidden:
            sheet.sheet_state = "hidden"
        for cells in (merged or {}).get(name, []):
            sheet.merge_cells(cells)
    for where, number_format in (formats or {}).items():
        name, cell = where.split("!")
        book[name][cell].number_format = number_format
    return book


def save(book: openpyxl.Workbook, path: Path) -> Path:
    book.save(path)
    return path


def with_shared_strings(path: Path) -> Path:
    """Rewrite the workbook so that its text cells index a shared-strings table, as Excel saves them."""
    strings: dict[str, int] = {}

    def shared(match: re.Match) -> str:
        index = strings.setdefault(match.group(3), len(strings))
        return f'<c {match.group(1)}t="s"{match.group(2)}><v>{index}</v></c>'

    def rewrite(name: str, data: bytes) -> bytes:
        if name.startswith("xl/worksheets/"):
            return _INLINE.sub(shared, data.decode()).encode()
        return data

    parts = _rewrite(path, rewrite)
    table = "".join(f"<si><t>{text}</t></si>" for text in strings)
    parts["xl/sharedStrings.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{len(strings)}" '
        f'uniqueCount="{len(strings)}">{table}</sst>').encode()
    if b"sharedStrings" not in parts["[Content_Types].xml"]:
        parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
            b"</Types>", f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SST_TYPE}"/></Types>'.encode())
        parts["xl/_rels/workbook.xml.rels"] = parts["xl/_rels/workbook.xml.rels"].replace(
            b"</Relationships>",
            f'<Relationship Id="rIdSharedStrings" Type="{SST_REL}" Target="sharedStrings.xml"/></Relationships>'.encode())
    _write(path, parts)
    return path


def with_dimension(path: Path, ref: str) -> Path:
    """Store a (wrong) dimension in every sheet, as some programs leave it."""
    def rewrite(name: str, data: bytes) -> bytes:
        if name.startswith("xl/worksheets/"):
            return re.sub(rb'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>'.encode(), data)
        return data

    _write(path, _rewrite(path, rewrite))
    return path


def _rewrite(path: Path, rewrite) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: rewrite(name, archive.read(name)) for name in archive.namelist()}


def _write(path: Path, parts: dict[str, bytes]) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    path.write_bytes(buffer.getvalue())


def encrypted(path: Path, password: str = "secret") -> Path:
    """The workbook protected with a password, as Excel saves it: an OLE file around the encrypted zip."""
    import msoffcrypto

    plain = path.read_bytes()
    with open(path, "wb") as out:
        msoffcrypto.OfficeFile(io.BytesIO(plain)).encrypt(password, out)
    return path


def zip_bomb(path: Path, unpacked_mb: int = 64) -> Path:
    """A zip that looks like a workbook and holds a sheet that unpacks a thousand times its size."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (unpacked_mb * 1024 * 1024))
    return path


WORKBOOK_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                 'relationships"><Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="http://schemas.'
                 'openxmlformats.org/officeDocument/2006/relationships/worksheet"/><Relationship Id="rId2" Target="'
                 'sharedStrings.xml" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                 'sharedStrings"/><Relationship Id="rId3" Target="styles.xml" Type="http://schemas.openxmlformats.org/'
                 'officeDocument/2006/relationships/styles"/></Relationships>')


def package(path: Path, sheet_data: str, strings: list[str] | str = (), cell_formats: tuple[int, ...] = (0,),
            custom_formats: dict[int, str] | None = None, prefix: str = "", date1904: bool = False) -> Path:
    """A workbook written part by part, the way programs other than Excel write them: the <sheetData> rows
    as given (with `prefix` on every element name when the document uses one, <x:row>), the shared strings
    (a list of plain texts, or the items' XML as written), the cell styles' number format ids."""
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    tag = f"{prefix}:" if prefix else ""
    declare = f'xmlns:{prefix}="{ns}"' if prefix else f'xmlns="{ns}"'
    items = strings if isinstance(strings, str) else "".join(f"<{tag}si><{tag}t>{text}</{tag}t></{tag}si>" for text in strings)
    numbers = "".join(f'<numFmt numFmtId="{i}" formatCode="{code}"/>' for i, code in (custom_formats or {}).items())
    parts = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        "xl/workbook.xml": f'<{tag}workbook {declare} xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
                           f'relationships"><{tag}workbookPr date1904="{int(date1904)}"/><{tag}sheets><{tag}sheet name="Leads" '
                           f'sheetId="1" r:id="rId1"/></{tag}sheets></{tag}workbook>',
        "xl/_rels/workbook.xml.rels": WORKBOOK_RELS,
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0"?><{tag}worksheet {declare}><{tag}dimension ref="A1"/>'
                                    f'<{tag}sheetData>{sheet_data}</{tag}sheetData></{tag}worksheet>',
        "xl/sharedStrings.xml": f'<{tag}sst {declare}>{items}</{tag}sst>',
        "xl/styles.xml": f'<styleSheet xmlns="{ns}"><numFmts>{numbers}</numFmts><cellXfs>'
                         + "".join(f'<xf numFmtId="{i}"/>' for i in cell_formats) + "</cellXfs></styleSheet>",
    }
    _write(path, {name: data.encode() for name, data in parts.items()})
    return path
