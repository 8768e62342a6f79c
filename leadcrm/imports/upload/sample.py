"""The start of a stored CSV file as text and records: what the check (sniff.py) and the mapping page's
preview read, without reading the rest of the file."""
import codecs
import csv
import io
from pathlib import Path

from leadcrm.imports.rows import is_blank
from leadcrm.imports.upload import storage
from leadcrm.imports.upload.storage import codec

SAMPLE_BYTES = 64 * 1024
PREVIEW_ROWS = 5


def start_of(stored_name: str):
    """A local file with the start of the stored file, as much as read_start reads (a with block)."""
    return storage.local_file(stored_name, limit=SAMPLE_BYTES + 1)


def read_stored_start(stored_name: str) -> tuple[bytes, bool]:
    """read_start of a stored file."""
    with start_of(stored_name) as path:
        return read_start(path)


def read_start(path: Path) -> tuple[bytes, bool]:
    """The first SAMPLE_BYTES of the file, and whether there is more."""
    with open(path, "rb") as file:
        data = file.read(SAMPLE_BYTES + 1)
    return data[:SAMPLE_BYTES], len(data) > SAMPLE_BYTES


def decode_start(data: bytes, truncated: bool, encoding: str, errors: str = "strict") -> str:
    """Decode the sample; when the file goes on, keep only complete lines (the cut may split a character)."""
    text = codecs.getincrementaldecoder(codec(encoding))(errors).decode(data, final=not truncated)
    if truncated:
        text = text[: max(text.rfind("\n"), text.rfind("\r")) + 1]
    return text


def parse(text: str, truncated: bool, delimiter: str) -> list[list[str]]:
    """The CSV records of the sample; when the file goes on, the last one may be cut short, so it is dropped
    (but never the header: a first data row longer than the sample is the rows check's to report)."""
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return records[:-1] if truncated and len(records) > 1 else records


def data_rows(records: list[list[str]]) -> list[list[str]]:
    """The records after the header that hold a value, padded or cut to the header's width."""
    width = len(records[0]) if records else 0
    return [(record + [""] * width)[:width] for record in records[1:] if not is_blank(record)]
