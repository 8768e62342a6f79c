"""A check that skips existing leads (the default choice) decides every row in the parsing process, so
that only the rows' issues travel to the process that stores them.

The import leaves the duplicates of earlier batches and of the workspace's leads to the database (the
unique index and import_seen_email). A check writes no lead: it holds the email keys it has met in
SeenKeys instead, the workspace's keys put in first, and decides a row as decisions.decide does for the
import: an email a lead of the workspace holds is existing_email, the email of an earlier new lead of
the file is repeated_email naming that lead's line. A check that updates existing leads needs their
values, and a check of a small file in the request must not read every key of the workspace first: they
go through batches.py and check_writer.CheckWriter, batch by batch, like the import.
"""
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from sqlalchemy import Connection, func, select

from leadcrm.imports.engine.batches import BATCH_TEXT_LIMIT, RowIssue, problem_issue, values_json
from leadcrm.imports.engine.decisions import reason
from leadcrm.imports.engine.seen_keys import EXISTING, SeenKeys
from leadcrm.imports.rows import Invalid
from leadcrm.models import Lead


@dataclass(slots=True)
class CheckedBatch:
    records: int = 0  # records consumed (the checkpoint advances by this)
    new: int = 0      # rows the import would create a lead for
    issues: list[RowIssue] = field(default_factory=list)


def workspace_keys(conn: Connection, workspace_id: int, rows: int) -> SeenKeys:
    """The email keys of the workspace's leads, with room for a file of `rows` rows."""
    has_key = (Lead.workspace_id == workspace_id) & Lead.email_key.is_not(None)
    existing = conn.scalar(select(func.count()).where(has_key))
    seen = SeenKeys(existing + rows)
    first_line = seen.first_line
    for key in conn.execute(select(Lead.email_key).where(has_key).execution_options(yield_per=20_000)).scalars():
        first_line(key, EXISTING)
    conn.commit()
    return seen


def checked_batches(records: Iterable[tuple[int, list[str], Invalid | None]], apply, size: int, clean_values: bool,
                    seen: SeenKeys, skip: int) -> Iterator[CheckedBatch]:
    """Decide each record (from the file's first) as the import would, in batches of `size` records.
    The first `skip` records were decided by an earlier attempt: their emails are only met again."""
    first_line = seen.first_line
    batch, text = CheckedBatch(), 0
    for number, (line, values, problem) in enumerate(records, 1):
        lead = apply(values) if problem is None else None
        if number <= skip:
            if type(lead) is not Invalid and lead is not None and lead.email_key is not None:
                first_line(lead.email_key, line)
            continue
        batch.records += 1
        issue = None
        if problem is not None:
            issue = problem_issue(line, problem, values, clean_values)
        elif type(lead) is Invalid:
            issue = RowIssue.of(line, lead, values_json(values))
        else:
            earlier = line if lead.email_key is None else first_line(lead.email_key, line)
            if earlier == line:
                batch.new += 1
            else:
                code = "existing_email" if earlier == EXISTING else "repeated_email"
                issue = RowIssue(line, "duplicate", code, None, reason(code, lead.email, earlier), values_json(values))
        if issue is not None:
            batch.issues.append(issue)
            text += len(issue.values)
        if batch.records == size or text >= BATCH_TEXT_LIMIT:  # the issues' values held stay bounded, as in batches.py
            yield batch
            batch, text = CheckedBatch(), 0
    if batch.records:
        yield batch
