"""Group the file's records into batches of validated leads and row issues, ready to write.

Pure Python, no database: the engine runs it in a child process (prefetch.py) while the previous
batch is being written. A row's original values travel as one string (the JSON text an issue stores,
or joined for a row that is likely a lead): far cheaper to send to the writing process than a list of strings.
Duplicates that only the database can see (existing leads, rows of earlier batches, a concurrent
import) are left to the writer; duplicates inside the batch are decided here.
"""
from dataclasses import dataclass, field
from json.encoder import encode_basestring
from operator import itemgetter
from typing import Iterable, Iterator, NamedTuple

from leadcrm.imports.engine.reader import readable
from leadcrm.imports.reasons import kind_of
from leadcrm.imports.rows import Invalid, LeadRow


def values_json(values: list[str]) -> str:
    """json.dumps(values, ensure_ascii=False) for a list of strings, three times faster: it runs for
    every row with an email, and json.dumps builds an encoder object on each call."""
    return "[" + ", ".join(map(encode_basestring, values)) + "]"


# A lead in a batch: its line, then LeadRow's values but the company name and the tags, which travel
# once per batch (Batch.companies, Batch.links). The writer swaps each company key for the company's
# id, so the columns are named as the lead table's.
_TRAVEL_APART = ("company", "tags")
_STORED = [name for name in LeadRow._fields if name not in _TRAVEL_APART]
LEAD_COLUMNS = ("import_line", *("company_id" if name == "company_key" else name for name in _STORED))
LEAD_WIDTH = len(LEAD_COLUMNS)
COMPANY_AT = LEAD_COLUMNS.index("company_id")
_stored_values = itemgetter(*(LeadRow._fields.index(name) for name in _STORED))
# 5,000 rows of a typical lead file hold well under a million characters; rows with long notes end a
# batch earlier. Measured on 100,000 rows of 2 KB each: 296 MB at peak without this limit.
BATCH_TEXT_LIMIT = 2_000_000


class RowIssue(NamedTuple):
    """A skipped or error row, as import_row_issue stores it."""

    line: int
    kind: str  # reasons.REASONS[code].kind
    code: str
    column_name: str | None
    reason: str
    values: str  # the original values as JSON text

    @classmethod
    def of(cls, line: int, invalid: Invalid, values: str) -> "RowIssue":
        return cls(line, kind_of(invalid.code), invalid.code, invalid.column, invalid.reason, values)


class Repeat(NamedTuple):
    """A later row of the batch with the email of an earlier one."""

    line: int
    earlier: int
    email: str
    values: str


@dataclass(slots=True)
class Batch:
    records: int = 0                       # records consumed (the checkpoint advances by this)
    first_line: int = 0
    last_line: int = 0
    # The LEAD_COLUMNS of each lead one after the other (company key in place of its id): one flat list is
    # cheaper to send between processes than a tuple per lead, and the writers bind slices of it as they are.
    leads: list = field(default_factory=list)
    links: list[tuple[int, str]] = field(default_factory=list)  # (line, tag key)
    companies: dict[str, str] = field(default_factory=dict)  # key → name as first written
    tags: dict[str, str] = field(default_factory=dict)
    # The original values of each lead with an email, by line, joined by NUL (a record holding one is an
    # issue already): the database may still refuse it as a duplicate, and its issue then needs them
    # (keyed_values). Most are never refused: joining is a fifth of the cost of the JSON text.
    keyed: dict[int, str] = field(default_factory=dict)
    # In update mode, the lead fields each of those rows gives a value for (rows.compile_given_fields).
    given: dict[int, int] = field(default_factory=dict)
    repeats: list[Repeat] = field(default_factory=list)
    issues: list[RowIssue] = field(default_factory=list)


def keyed_values(batch: Batch, line: int) -> str:
    """The original values of a lead with an email, as the JSON text of its issue."""
    return values_json(batch.keyed[line].split("\0"))


def problem_issue(line: int, problem: Invalid, values: list[str], clean_values: bool) -> RowIssue:
    """The issue of a record the reader could not hand to the row rules (its values made storable when
    the file has undecodable bytes or NUL somewhere)."""
    return RowIssue.of(line, problem, values_json([readable(v) for v in values] if clean_values else values))


Record = tuple[int, list[str], Invalid | None]  # (line, values, what the reader found wrong with it)


def batches(records: Iterable[Record], apply, size: int, clean_values: bool, given=None) -> Iterator[Batch]:
    """Apply the row rules (rows.compile_row_rules) to each record and yield batches of `size` records,
    or fewer when their values pass BATCH_TEXT_LIMIT characters (groups()).

    clean_values: the file has undecodable bytes or NUL somewhere, so issue values are made storable.
    given: in update mode, rows.compile_given_fields's function, applied to the rows with an email.
    """
    for group in groups(records, size):
        yield batch_of(group, apply, clean_values, given)


def groups(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    """The records a batch at a time: `size` of them, or fewer when their values pass BATCH_TEXT_LIMIT
    characters (a batch holds its text about three times: as read, as cleaned, as sent), so that memory
    stays flat however wide the rows are. Either process may make a group into its batch (batch_of)."""
    group, text = [], 0
    for record in records:
        group.append(record)
        text += sum(map(len, record[1]))
        if len(group) == size or text >= BATCH_TEXT_LIMIT:
            yield group
            group, text = [], 0
    if group:
        yield group


def batch_of(group: list[Record], apply, clean_values: bool, given=None) -> Batch:
    """The batch of a group of records: their leads and issues, duplicates inside the group decided."""
    batch = Batch(records=len(group), first_line=group[0][0], last_line=group[-1][0])
    first_of = {}  # email key → line of its first lead in this batch
    for line, values, problem in group:
        if problem is not None:
            batch.issues.append(problem_issue(line, problem, values, clean_values))
            lead = None
        else:
            lead = apply(values)
            if type(lead) is Invalid:
                batch.issues.append(RowIssue.of(line, lead, values_json(values)))
                lead = None
        if lead is not None:
            key = lead.email_key
            if key is not None:
                earlier = first_of.get(key)
                if earlier is None:
                    first_of[key] = line
                    batch.keyed[line] = "\0".join(values)
                    if given is not None:
                        batch.given[line] = given(values)
                else:
                    batch.repeats.append(Repeat(line, earlier, lead.email, values_json(values)))
                    lead = None
            if lead is not None:
                batch.leads.append(line)
                batch.leads += _stored_values(lead)
                company_key = lead.company_key
                if company_key and company_key not in batch.companies:
                    batch.companies[company_key] = lead.company
                tags = lead.tags
                if tags:
                    batch_tags = batch.tags
                    for tag_key in tags:
                        batch.links.append((line, tag_key))
                        if tag_key not in batch_tags:
                            batch_tags[tag_key] = tags[tag_key]
    return batch
