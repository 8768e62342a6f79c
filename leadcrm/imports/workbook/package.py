"""The parts of an .xlsx / .xlsm package the reader needs: its worksheets (name, hidden, part), the
shared-strings table, the number format of each cell style, and the date system.

These parts are small and parsed whole with the standard library's XML parser (which expands no external
entities); the sheets and the shared strings, which can be hundreds of megabytes, are streamed
(sheet_xml.py, shared_strings.py). Element names are compared without their namespace, so Strict Open
XML and files written with prefixes (<x:sheet>) read alike.
"""
import posixpath
import zipfile
import zlib
from dataclasses import dataclass
from xml.etree import ElementTree

from leadcrm.imports.workbook.formats import GENERAL, NumberFormat, number_format

WORKBOOK = "xl/workbook.xml"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_STRICT_REL = "{http://purl.oclc.org/ooxml/officeDocument/relationships}id"


class Unreadable(Exception):
    """The workbook cannot be read; the message says why."""


@dataclass(frozen=True)
class SheetInfo:
    name: str
    hidden: bool
    part: str


@dataclass(frozen=True)
class Package:
    sheets: list[SheetInfo]
    shared_strings: str | None
    formats: list[NumberFormat]  # by cell style index (the s attribute of a cell)
    epoch_1904: bool

    def sheet(self, name: str) -> SheetInfo:
        for sheet in self.sheets:
            if sheet.name == name:
                return sheet
        raise Unreadable(f"it has no worksheet named “{name}”")


def read_package(archive: zipfile.ZipFile) -> Package:
    """The package's worksheets in workbook order (chart and macro sheets left out), and what reading
    their cells needs."""
    workbook = _xml(archive, WORKBOOK)
    targets, kinds = _relationships(archive, "xl/_rels/workbook.xml.rels")
    if not any(_name(element) == "sheets" for element in workbook):
        raise Unreadable(f"its part {WORKBOOK} lists no sheets, which every workbook Excel saves has")
    sheets = []
    for element in workbook.iter():
        if _name(element) == "sheet":
            target = element.get(_REL) or element.get(_STRICT_REL)
            if kinds.get(target) == "worksheet" and targets[target] in archive.NameToInfo:
                sheets.append(SheetInfo(element.get("name", ""), element.get("state", "visible") != "visible",
                                        targets[target]))
    properties = next((e for e in workbook.iter() if _name(e) == "workbookPr"), None)
    by_kind = {kinds[key]: targets[key] for key in targets}
    return Package(
        sheets=sheets,
        shared_strings=_existing(archive, by_kind.get("sharedStrings", "xl/sharedStrings.xml")),
        formats=_formats(archive, _existing(archive, by_kind.get("styles", "xl/styles.xml"))),
        epoch_1904=properties is not None and properties.get("date1904", "0").lower() in ("1", "true"),
    )


def _relationships(archive: zipfile.ZipFile, part: str) -> tuple[dict[str, str], dict[str, str]]:
    """Each relationship's target part (resolved against xl/) and kind (the last word of its type)."""
    targets, kinds = {}, {}
    if part not in archive.NameToInfo:
        return targets, kinds
    for element in _xml(archive, part).iter():
        if _name(element) == "Relationship":
            target = element.get("Target", "")
            targets[element.get("Id")] = (target.lstrip("/") if target.startswith("/")
                                          else posixpath.normpath(posixpath.join("xl", target)))
            kinds[element.get("Id")] = element.get("Type", "").rsplit("/", 1)[-1]
    return targets, kinds


def _formats(archive: zipfile.ZipFile, part: str | None) -> list[NumberFormat]:
    if part is None:
        return []
    styles = _xml(archive, part)
    custom = {int(e.get("numFmtId", "0")): e.get("formatCode", "") for e in styles.iter() if _name(e) == "numFmt"}
    cell_styles = next((e for e in styles.iter() if _name(e) == "cellXfs"), [])
    return [number_format(int(xf.get("numFmtId", "0")), custom) if _name(xf) == "xf" else GENERAL for xf in cell_styles]


def _existing(archive: zipfile.ZipFile, part: str) -> str | None:
    return part if part in archive.NameToInfo else None


def _xml(archive: zipfile.ZipFile, part: str) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(archive.read(part))
    except KeyError as error:
        raise Unreadable(f"its part {part} is missing") from error
    except ElementTree.ParseError as error:
        raise Unreadable(f"its part {part} is not valid XML: {error}") from error
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise Unreadable(f"its part {part} is damaged: {error}") from error


def _name(element: ElementTree.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]
