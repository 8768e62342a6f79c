"""The import engine on real SQLite and PostgreSQL: each row rule with its counts and recorded issues,
duplicates, companies and tags, file quirks, cancel, failure, and two imports at once (real workers)."""
import subprocess
import sys
import threading
import time
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from leadcrm.extensions import db
from leadcrm.imports.engine import batches as batches_module
from leadcrm.imports.engine.prefetch import Prefetch
from leadcrm.imports.engine.process import process_import
from leadcrm.imports.engine.reader import records, scan
from leadcrm.imports.engine.writer import bulk_writer
from leadcrm.imports.jobs.control import cancel_import
from leadcrm.imports.jobs.enqueue import enqueue_job
from leadcrm.imports.rows import compile_row_rules
from leadcrm.imports.upload import storage
from leadcrm.models import Company, Lead, LeadImport, Tag, lead_tag
from tests.conftest import ROOT, recorded_sql
from tests.support.imports import (
    HEADER,
    assert_counts_add_up,
    create_import,
    get_import,
    issues,
    lead_count,
    leads,
    workspace,
)


@pytest.fixture(autouse=True)
def app_context(app):
    with app.app_context():
        yield


def run(text, **kwargs):
    ws = kwargs.pop("workspace_id", None) or workspace()
    import_id = create_import(text, ws, **kwargs)
    result = process_import(import_id)
    assert result["status"] == "completed", get_import(import_id).error_message
    imp = get_import(import_id)
    assert_counts_add_up(imp)
    return imp


def test_each_row_rule_with_counts_reasons_lines_and_values(app):
    text = "\n".join([
        HEADER,
        "Ann,Lee,ann@example.com,+1 555,Acme,Qualified,web,85.0,\"$1,234.50\",\"vip, Newsletter\",hello",  # 2
        "Bob,,not-an-email,,,,,,,,",                                   # 3 invalid email
        "Cy,,cy@example.com,,,pending,,,,,",                           # 4 unknown status
        "Di,,di@example.com,,,,,high,,,",                              # 5 score not whole
        "Ed,,ed@example.com,,,,,,TBD,,",                               # 6 deal not a number
        "Fay,,fay@example.com,,,,,,1.234,,",                           # 7 deal with 3 decimals
        ",,,,,,,,,,",                                                  # 8 no value in any mapped column
        "Gus,,,,,,,,,,",                                               # 9 no email: imported
        "Gus,,,,,,,,,,",                                               # 10 no email again: imported too
        "Hal,,hal@example.com,,,LOST,,12,\"12,500\",,",                # 11
    ]) + "\n"
    imp = run(text)
    assert (imp.total_rows, imp.processed, imp.successful, imp.skipped, imp.errors) == (9, 9, 4, 5, 0)
    recorded = {line: (kind, reason, values) for line, kind, reason, values in issues(imp.id)}
    assert sorted(recorded) == [3, 4, 5, 6, 7]
    assert all(kind == "invalid" for kind, _, _ in recorded.values())
    assert "'not-an-email'" in recorded[3][1] and "'email'" in recorded[3][1] and "valid email" in recorded[3][1]
    assert "'pending'" in recorded[4][1] and "'status'" in recorded[4][1] and "new, contacted" in recorded[4][1]
    assert "'high'" in recorded[5][1] and "'lead_score'" in recorded[5][1] and "whole number" in recorded[5][1]
    assert "'TBD'" in recorded[6][1] and "'deal_value'" in recorded[6][1] and "2 decimals" in recorded[6][1]
    assert "'1.234'" in recorded[7][1]
    assert recorded[3][2] == ["Bob", "", "not-an-email", "", "", "", "", "", "", "", ""]
    ann, gus1, gus2, hal = leads(imp.workspace_id)
    assert (ann.first_name, ann.last_name, ann.email, ann.status, ann.source) == ("Ann", "Lee", "ann@example.com", "qualified", "web")
    assert (ann.lead_score, ann.deal_value, ann.company.name, ann.notes) == (85, Decimal("1234.50"), "Acme", "hello")
    assert sorted(tag.name for tag in ann.tags) == ["Newsletter", "vip"]
    assert (gus1.email, gus1.email_key, gus1.status, gus2.first_name) == ("", None, "new", "Gus")
    assert (hal.status, hal.lead_score, hal.deal_value, hal.import_line) == ("lost", 12, Decimal("12500.00"), 11)


def test_duplicates_in_file_and_in_workspace_with_case_and_spaces(app):
    acme, globex = workspace("Acme"), workspace("Globex")
    db.session.add(Lead(workspace_id=acme, first_name="Old", email="Old@Example.com", email_key="old@example.com"))
    db.session.add(Lead(workspace_id=globex, first_name="Other", email="new@example.com", email_key="new@example.com"))
    db.session.commit()
    text = "\n".join([
        "name,email,status",
        "A,old@example.com,",          # 2 exists in the workspace
        "B,  NEW@example.com ,",       # 3 new here (Globex's lead does not count)
        "C,new@example.com,",          # 4 duplicate of line 3
        "D,skip@example.com,bogus",    # 5 invalid: does not count as a first occurrence
        "E,Skip@Example.com,",         # 6 imported
        "F,OLD@example.com ,",         # 7 exists in the workspace
    ]) + "\n"
    imp = run(text, workspace_id=acme, mapping={"name": "first_name", "email": "email", "status": "status"})
    assert (imp.successful, imp.skipped, imp.errors) == (2, 4, 0)
    recorded = {line: (kind, reason) for line, kind, reason, _ in issues(imp.id)}
    assert recorded[2][0] == recorded[4][0] == recorded[7][0] == "duplicate"
    assert "already exists in this workspace" in recorded[2][1]
    assert "'new@example.com'" in recorded[4][1] and "line 3" in recorded[4][1]
    assert "already exists in this workspace" in recorded[7][1]
    assert recorded[5][0] == "invalid"
    assert sorted(lead.email_key for lead in leads(acme)) == ["new@example.com", "old@example.com", "skip@example.com"]
    assert lead_count(workspace_id=globex) == 1


def test_duplicates_across_batches_name_the_earlier_line(app):
    app.config["IMPORT_BATCH_SIZE"] = 2
    text = "email\nx@example.com\ny@example.com\nX@example.com\nz@example.com\n y@example.com\n"
    imp = run(text)
    assert (imp.successful, imp.skipped) == (3, 2)
    recorded = {line: reason for line, _, reason, _ in issues(imp.id)}
    assert "line 2" in recorded[4] and "line 3" in recorded[6]


def test_companies_and_tags_created_once_and_existing_spelling_kept(app):
    ws = workspace()
    db.session.add(Company(workspace_id=ws, name="ACME Inc", name_key="acme inc"))
    db.session.add(Tag(workspace_id=ws, name="VIP", name_key="vip"))
    db.session.commit()
    app.config["IMPORT_BATCH_SIZE"] = 2  # the same names again in later batches
    text = "\n".join([
        "company,tags,first_name",
        "acme inc,\"vip, Hot\",a",
        " Acme  Inc ,\"HOT,vip,vip\",b",
        "Globex,hot,c",
        "GLOBEX,\"new tag, , New Tag\",d",
        "globex,,e",
    ]) + "\n"
    imp = run(text, workspace_id=ws)
    assert imp.successful == 5
    companies = db.session.execute(select(Company.name).filter_by(workspace_id=ws).order_by(Company.name)).scalars().all()
    assert companies == ["ACME Inc", "Globex"]
    tags = db.session.execute(select(Tag.name).filter_by(workspace_id=ws).order_by(Tag.name_key)).scalars().all()
    assert tags == ["Hot", "new tag", "VIP"]
    by_name = {lead.first_name: lead for lead in leads(ws)}
    assert sorted(t.name for t in by_name["b"].tags) == ["Hot", "VIP"]
    assert [t.name for t in by_name["d"].tags] == ["new tag"]
    assert by_name["e"].company.name == "Globex" and by_name["e"].tags == []
    assert db.session.scalar(select(func.count()).select_from(lead_tag)) == 6


def test_defaults_apply_to_unmapped_fields(app):
    imp = run("email\na@example.com\n", mapping={"email": "email"},
              defaults={"source": "fair", "status": "contacted", "tags": ["event", "Event"]})
    lead, = leads(imp.workspace_id)
    assert (lead.source, lead.status, [t.name for t in lead.tags]) == ("fair", "contacted", ["event"])


def test_bom_crlf_quoted_newlines_and_blank_lines(app):
    text = ("\ufeffemail,notes\r\n"
            "a@example.com,\"line one\r\nline two\"\r\n"
            "\r\n"
            "b@example.com,plain\r\n"
            "   \r\n"
            "c@,\"x\ny\"\r\n")
    imp = run(text.encode("utf-8"))
    assert (imp.total_rows, imp.successful, imp.skipped) == (3, 2, 1)
    a, b = leads(imp.workspace_id)
    assert a.notes == "line one\r\nline two" and a.import_line == 2
    assert b.import_line == 5
    assert [line for line, *_ in issues(imp.id)] == [7]


def test_unreadable_rows_are_errors_and_the_rest_imports(app):
    big = "x" * (1024 * 1024 + 10)
    data = b"\n".join([
        b"email,first_name,notes",
        b"a@example.com,Ann,ok",                    # 2
        b"b@example.com,Bob",                       # 3 too few fields
        b"c@example.com,Caf\xe9,latin-1 byte",      # 4 undecodable
        b"d@example.com,D,\"" + big.encode() + b"\"",  # 5 field over the limit
        b"e@example.com,Eve,ok",                    # 6
        b"f@example.com,F\x00,nul",                 # 7 NUL
        b"g@example.com,G,ok,extra",                # 8 too many fields
    ]) + b"\n"
    imp = run(data)
    assert (imp.total_rows, imp.successful, imp.skipped, imp.errors) == (7, 2, 0, 5)
    recorded = {line: (kind, reason, values) for line, kind, reason, values in issues(imp.id)}
    assert sorted(recorded) == [3, 4, 5, 7, 8]
    assert all(kind == "error" for kind, _, _ in recorded.values())
    assert recorded[3][1] == ("Line 3 has 2 fields but the header has 3. "
                              "Check for a missing or extra delimiter or an unclosed quote.")
    assert "not valid utf-8" in recorded[4][1] and recorded[4][2] == ["c@example.com", "Caf\ufffd", "latin-1 byte"]
    assert "longer than 1,048,576 characters" in recorded[5][1]
    assert "NUL" in recorded[7][1]
    assert "has 4 fields" in recorded[8][1]
    assert [lead.first_name for lead in leads(imp.workspace_id)] == ["Ann", "Eve"]


def test_other_delimiter_and_encoding(app):
    data = "email;first_name\nz@example.com;Zoë\n".encode("cp1252")
    imp = run(data, encoding="cp1252", delimiter=";")
    assert imp.successful == 1 and leads(imp.workspace_id)[0].first_name == "Zoë"


def test_only_a_header_completes_with_zero_rows(app):
    imp = run("email,first_name\n\n")
    assert (imp.total_rows, imp.processed, imp.status) == (0, 0, "completed")


def test_a_second_run_of_a_finished_import_is_a_no_op(app):
    imp = run("email\na@example.com\n")
    assert process_import(imp.id)["status"] == "not claimed"
    assert lead_count(workspace_id=imp.workspace_id) == 1


def test_cancel_stops_at_a_batch_boundary(app, tmp_path):
    # SQLite has one writer: the cancel gets in between two of the import's transactions. Addresses with
    # an international domain take email-validator's slow path, so the writer waits for the parser
    # between transactions, as it does on real files with many unusual addresses.
    rows = "".join(f"p{i},p{i}@bücher-{i % 7}.de\n" for i in range(60_000))
    import_id = create_import("first_name,email\n" + rows, workspace())
    done = {}

    def work():
        with app.app_context():
            done["result"] = process_import(import_id)

    thread = threading.Thread(target=work)
    thread.start()
    deadline = time.monotonic() + 60
    while get_import(import_id).processed == 0 and time.monotonic() < deadline and thread.is_alive():
        time.sleep(0.01)
    assert cancel_import(import_id)
    thread.join(60)
    imp = get_import(import_id)
    assert done["result"]["status"] == imp.status == "cancelled"
    assert 0 < imp.processed < 60_000 and imp.finished_at is not None
    assert imp.processed == imp.successful == lead_count(import_id=import_id)


def test_cancel_requested_before_the_worker_starts(app):
    import_id = create_import("email\na@example.com\n", workspace())
    db.session.execute(update(LeadImport).filter_by(id=import_id).values(status="running", cancel_requested=True))
    db.session.commit()
    # A running import with no heartbeat counts as abandoned: the worker claims it and stops at once.
    assert process_import(import_id)["status"] == "cancelled"
    assert lead_count(import_id=import_id) == 0


def test_a_failing_job_ends_failed_with_a_message(app, run_worker):
    import_id = create_import("email\na@example.com\n", workspace())
    storage.discard(get_import(import_id).stored_name)
    assert enqueue_job(import_id)
    result = run_worker()
    assert result.returncode == 0, result.stderr
    imp = get_import(import_id)
    assert imp.status == "failed" and imp.finished_at is not None
    assert "no longer on the server" in imp.error_message and "Upload the file again" in imp.error_message


def test_two_imports_into_one_workspace_at_once(app, subprocess_env, tmp_path):
    app.config["IMPORT_BATCH_SIZE"] = 200
    ws = workspace()
    shared = [f"s{i}@example.com" for i in range(3000)]
    first = "email,first_name\n" + "".join(f"{e},one\n" for e in shared + [f"a{i}@example.com" for i in range(2000)])
    second = "email,first_name\n" + "".join(f"{e.upper()},two\n" for e in reversed(shared)) + ",no email\n" * 50
    ids = [create_import(first, ws), create_import(second, ws)]
    for import_id in ids:
        assert enqueue_job(import_id)
    env = {**subprocess_env, "IMPORT_BATCH_SIZE": "200"}
    workers = [subprocess.Popen([sys.executable, "worker.py", "--burst"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for worker in workers:
        _, err = worker.communicate(timeout=300)
        assert worker.returncode == 0, err
    one, two = (get_import(i) for i in ids)
    assert one.status == two.status == "completed"
    for imp in (one, two):
        assert_counts_add_up(imp)
    assert one.successful + two.successful == 3000 + 2000 + 50
    assert lead_count(workspace_id=ws) == 5050
    keys = db.session.execute(select(Lead.email_key).filter_by(workspace_id=ws).where(Lead.email_key.isnot(None))).scalars().all()
    assert len(keys) == len(set(keys)) == 5000
    assert one.skipped + two.skipped == 3000


@pytest.mark.parametrize("text_limit", [None, 2_000], ids=["default-text-limit", "2000-characters"])
def test_batches_cut_short_by_wide_rows_import_every_row_exactly_once(app, monkeypatch, text_limit):
    """Rows with long notes end batches early (memory stays flat): each such batch is still written
    once, rows without email included, and the counts add up. On PostgreSQL short batches once shared
    a transaction and their staged rows were inserted twice, so the commits are counted: with the limit
    lowered the engine really cuts 300 rows into dozens of batches; with the default they fit in one."""
    if text_limit:
        monkeypatch.setattr(batches_module, "BATCH_TEXT_LIMIT", text_limit)  # the parser is forked: it sees it
    # Every batch made by the child: a batch the writer makes itself is committed before (one more commit).
    monkeypatch.setattr(Prefetch, "waiting", lambda _prefetch: False)
    rows = "".join(f"{'' if i % 2 else f'w{i}@example.com'},Name {i},{'note ' * 60}\n" for i in range(300))
    import_id = create_import("email,first_name,notes\n" + rows, workspace())
    sizes = batch_sizes(get_import(import_id), app.config["IMPORT_BATCH_SIZE"])
    with recorded_sql(db.engine) as statements:
        assert process_import(import_id)["status"] == "completed"
    imp = get_import(import_id)
    assert (imp.total_rows, imp.processed, imp.successful, imp.skipped, imp.errors) == (300, 300, 300, 0, 0)
    assert lead_count(import_id=imp.id) == 300
    lines = db.session.execute(select(Lead.import_line).filter_by(import_id=import_id)).scalars().all()
    assert sorted(lines) == list(range(2, 302))
    # Each commit of rows carries the checkpoint: one fenced UPDATE per transaction of batches.
    commits = [s for s in statements if s.startswith("UPDATE lead_import") and "checkpoint_rows=" in s]
    with db.engine.connect() as conn:
        per_commit = bulk_writer(conn).BATCHES_PER_COMMIT
    if text_limit:
        assert len(sizes) >= 40 and max(sizes) <= 7, sizes  # about 330 characters a row
    else:
        assert sizes == [300]
    assert len(commits) == -(-len(sizes) // per_commit), (sizes, per_commit)


@pytest.mark.parametrize("parent_makes", ["none", "every", "alternate"])
def test_the_same_import_whichever_process_makes_each_batch(app, monkeypatch, parent_makes):
    """When the parent waits for the parser child, the child hands it the next records as read and the
    parent makes their batch: duplicates across and inside batches, issues and tags come out the same.
    The child's decision is what is set here (in the child: it is forked after the patch)."""
    app.config["IMPORT_BATCH_SIZE"] = 2
    asked = iter(range(1_000))
    waiting = {"none": lambda _p: False, "every": lambda _p: True, "alternate": lambda _p: next(asked) % 2 == 0}
    monkeypatch.setattr(Prefetch, "waiting", waiting[parent_makes])
    text = ("first_name,email,status,tags,company\n"
            "Ann,ann@example.com,new,vip,Acme\n"
            "Bob,ANN@example.com,,,\n"           # 3: Ann's email, same batch
            "Cy,cy@example.com,pending,,\n"      # 4: unknown status
            "Di,di@example.com,,\"vip, beta\",acme\n"
            "Ed,ann@example.com ,,,\n"           # 6: Ann's email, a later batch
            "Fay,,,beta,Globex\n"
            "Gus,gus@example.com,lost,,\n")
    imp = run(text, mapping={"first_name": "first_name", "email": "email", "status": "status", "tags": "tags",
                             "company": "company"})
    assert (imp.total_rows, imp.successful, imp.skipped, imp.errors) == (7, 4, 3, 0)
    found = [(lead.import_line, lead.first_name, lead.company.name if lead.company else None,
              sorted(tag.name for tag in lead.tags)) for lead in leads(imp.workspace_id)]
    assert found == [(2, "Ann", "Acme", ["vip"]), (5, "Di", "Acme", ["beta", "vip"]), (7, "Fay", "Globex", ["beta"]),
                     (8, "Gus", None, [])]
    recorded = [(line, kind, values) for line, kind, _reason, values in issues(imp.id)]
    assert recorded == [(3, "duplicate", ["Bob", "ANN@example.com", "", "", ""]),
                        (4, "invalid", ["Cy", "cy@example.com", "pending", "", ""]),
                        (6, "duplicate", ["Ed", "ann@example.com ", "", "", ""])]


def batch_sizes(imp: LeadImport, size: int) -> list[int]:
    """The records of each batch the engine's parser makes of the import's file, in this process."""
    with storage.local_file(imp.stored_name) as path:
        read = records(path, imp.encoding, imp.delimiter, len(imp.header), scan(path, imp.encoding))
        return [batch.records for batch in batches_module.batches(read, compile_row_rules(imp.header, imp.mapping),
                                                                  size, False)]
