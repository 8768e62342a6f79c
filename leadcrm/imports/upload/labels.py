"""The names people know encodings and delimiters by, for the check's messages and the pages."""
import codecs
import re

DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "vertical bars (|)"}


def delimiter_name(delimiter: str) -> str:
    """commas, semicolons, tabs …; an unusual delimiter as itself."""
    return DELIMITER_NAMES.get(delimiter, repr(delimiter))


def encoding_label(encoding: str) -> str:
    """The name people know an encoding by: windows-1252, UTF-16, ISO-8859-1."""
    name = codecs.lookup(encoding).name
    if re.fullmatch(r"cp125\d", name):
        return "windows-" + name[2:]
    return name.upper().replace("ISO8859", "ISO-8859") if name.startswith(("utf", "iso")) else name
