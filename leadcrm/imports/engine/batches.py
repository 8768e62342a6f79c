"""Group the file's records into batches of validated leads and row issues, ready to write.

Pure Python, no database: the engine runs it in a child process (prefetch.py) while the previous
batch is being written. A row's original values travel as the JSON text they are stored as: one
string per row is far cheaper to send to the writing process than a list of strings.
Duplicates that only the database can see (existing leads, rows of earlier batches, a concurrent
import) are left to the writer; duplicates inside the batch are decided here.
"""
from dataclasses import dataclass, field
from json.encoder import encode_basestring
from typing import Iterable, Iterator

from leadcrm.imports.engine.reader import readable
from leadcrm.imports.rows import Invalid


def values_json(values: list[str]) -> str:
    """json.dumps(values, ensure_ascii=False) for a list of strings, three times faster: it runs for
    every row with an email, and json.dumps builds an encoder object on each call."""
    return "[" + ", ".join(map(encode_basestring, values)) + "]"


# Columns of a lead in a batch, in the order the writers insert them; the writer swaps the company
# key (and the tag keys of the links) for the ids it resolved for the batch.
LEAD_COLUMNS = ("import_line", "first_name", "last_name", "email", "email_key", "phone", "company_key",
                "status", "source", "lead_score", "deal_value", "notes")
LEAD_WIDTH = len(LEAD_COLUMNS)
# 5,000 rows of a typical lead file hold well under a million characters; rows with long notes end a
# batch earlier. Measured on 100,000 rows of 2 KB each: 296 MB at peak without this limit.
BATCH_TEXT_LIMIT = 2_000_000


@dataclass(slots=True)
class Batch:
    records: int = 0                       # records consumed (the checkpoint advances by this)
    first_line: int = 0
    last_line: int = 0
    # The LEAD_COLUMNS of each lead one after the other (deal_value as text): one flat list is cheaper to
    # send between processes than a tuple per lead, and the writers bind slices of it as they are.
    leads: list = field(default_factory=list)
    links: list[tuple[int, str]] = field(default_factory=list)  # (line, tag key)
    companies: dict[str, str] = field(default_factory=dict)  # key → name as first written
    tags: dict[str, str] = field(default_factory=dict)
    # Leads with an email, so that the database may find them duplicates: line → (email, key, values).
    keyed: dict[int, tuple[str, str, str]] = field(default_factory=dict)
    # Later rows of this batch with the email of an earlier one: (line, earlier line, email, values).
    repeats: list[tuple[int, int, str, str]] = field(default_factory=list)
    issues: list[tuple[int, str, str, str]] = field(default_factory=list)  # (line, kind, reason, values)


def batches(records: Iterable[tuple[int, list[str], str | None]], apply, size: int,
            clean_values: bool) -> Iterator[Batch]:
    """Apply the row rules (rows.compile_row_tuples) to each record and yield batches of `size` records,
    or fewer when their values pass BATCH_TEXT_LIMIT characters (a batch holds its text about three
    times: as read, as cleaned, as JSON), so that memory stays flat however wide the rows are.

    clean_values: the file has undecodable bytes or NUL somewhere, so issue values are made storable.
    """
    batch = Batch()
    first_of = {}  # email key → line of its first lead in this batch
    text = 0
    for line, values, problem in records:
        if not batch.records:
            batch.first_line = line
        batch.records += 1
        batch.last_line = line
        text += sum(map(len, values))
        if problem is not None:
            batch.issues.append((line, "error", problem, values_json([readable(v) for v in values] if clean_values else values)))
            lead = None
        else:
            lead = apply(values)
            if type(lead) is Invalid:
                batch.issues.append((line, "invalid", lead.reason, values_json(values)))
                lead = None
        if lead is not None:
            first, last, email, key, phone, company, company_key, status, source, score, deal, tags, notes = lead
            if key is not None:
                earlier = first_of.get(key)
                if earlier is None:
                    first_of[key] = line
                    batch.keyed[line] = (email, key, values_json(values))
                else:
                    batch.repeats.append((line, earlier, email, values_json(values)))
                    lead = None
            if lead is not None:
                batch.leads += (line, first, last, email, key, phone, company_key or None, status, source,
                                score, deal, notes)
                if company_key and company_key not in batch.companies:
                    batch.companies[company_key] = company
                if tags:
                    batch_tags = batch.tags
                    for tag_key in tags:
                        batch.links.append((line, tag_key))
                        if tag_key not in batch_tags:
                            batch_tags[tag_key] = tags[tag_key]
        if batch.records == size or text >= BATCH_TEXT_LIMIT:
            yield batch
            batch = Batch()
            first_of = {}
            text = 0
    if batch.records:
        yield batch
