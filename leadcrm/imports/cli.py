"""`flask import-leads FILE --workspace NAME [--map "CSV column=field" …] [--json]`: the import engine in
the foreground, for scripts and benchmarks; the same stages as the web wizard (store, sniff, map, run).
It needs no queue, so it never connects to Redis (and so never starts the embedded server)."""
import codecs
import json
import shlex
import sys
import threading
import time
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import delete, select
from werkzeug.datastructures import FileStorage

from leadcrm.extensions import db
from leadcrm.imports import lifecycle
from leadcrm.imports.engine.process import process_import
from leadcrm.imports.mapping import scan
from leadcrm.imports.mapping.fields import guess_mapping, mapping_problems
from leadcrm.imports.upload import storage
from leadcrm.imports.upload.accept import accept
from leadcrm.imports.upload.inspect import inspect_stored
from leadcrm.imports.upload.sniff import Problem
from leadcrm.imports.workbook.check import SheetChoice
from leadcrm.keys import name_key
from leadcrm.models import LeadImport, Workspace

# --delimiter takes the character itself or its name (a tab is hard to type in a shell).
DELIMITER_NAMES = {"comma": ",", "semicolon": ";", "tab": "\t", "pipe": "|"}


def _encoding_option(_ctx, _param, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return codecs.lookup(value).name
    except LookupError:
        raise click.BadParameter(f"{value!r} is not an encoding Python knows: use e.g. utf-8, cp1252 "
                                 "(windows-1252), latin-1 or utf-16.") from None


def _delimiter_option(_ctx, _param, value: str | None) -> str | None:
    if value is None:
        return None
    delimiter = DELIMITER_NAMES.get(value.lower(), value)
    if len(delimiter) != 1:
        raise click.BadParameter(f"{value!r} is not one character: give the character (';', '|') or one of "
                                 f"{', '.join(DELIMITER_NAMES)}.")
    return delimiter


@click.command("import-leads")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--workspace", required=True, help="name of the workspace to import into")
@click.option("--map", "maps", multiple=True, metavar='"CSV column=field"',
              help="map a column to a lead field (repeatable); without it, columns are mapped by their names")
@click.option("--update", is_flag=True, help="update leads that exist already (same email) instead of skipping them")
@click.option("--clear-blanks", is_flag=True, help="with --update: a blank cell clears the lead's value")
@click.option("--replace-tags", is_flag=True, help="with --update: the file's tags replace the lead's")
@click.option("--encoding", callback=_encoding_option, metavar="NAME",
              help="the file's encoding, e.g. cp1252 (windows-1252) or utf-16; default: UTF-8")
@click.option("--delimiter", callback=_delimiter_option, metavar="CHAR",
              help="the character between values: ';', '|', or comma, semicolon, tab, pipe; default: a comma")
@click.option("--number-format", type=click.Choice(["point", "comma"]),
              help="how amounts are written: point (1,234.50) or comma (1.234,50); default: detected from the file")
@click.option("--sheet", help="the sheet of an Excel workbook to import (needed when it has several sheets with data)")
@click.option("--check", is_flag=True, help="check the whole file: print the figures the import would give, write nothing")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object with the final counts, no progress bar")
@with_appcontext
def import_leads_command(file: Path, workspace: str, maps: tuple[str, ...], update: bool, clear_blanks: bool,
                         replace_tags: bool, encoding: str | None, delimiter: str | None, number_format: str | None,
                         sheet: str | None, check: bool, as_json: bool):
    """Import a CSV file or an Excel workbook of leads into a workspace, in the foreground."""
    workspace_id = db.session.scalar(select(Workspace.id).filter_by(name_key=name_key(workspace)))
    if workspace_id is None:
        raise click.ClickException(f"There is no workspace named {workspace!r}. "
                                   "Create it with: flask create-user EMAIL --password … --workspace NAME")
    if (clear_blanks or replace_tags) and not update:
        raise click.BadParameter("--clear-blanks and --replace-tags go with --update.", param_hint="--update")
    choices = {"existing_leads": "update" if update else "skip", "blank_cells": "clear" if clear_blanks else "leave",
               "tag_mode": "replace" if replace_tags else "add"}
    import_id, run_id = _create_import(file, workspace_id, maps, choices, (encoding, delimiter), number_format, sheet,
                                       check)
    started = time.monotonic()
    progress = None if as_json or not sys.stderr.isatty() else _Progress(run_id)
    try:
        process_import(run_id)
    except Exception:
        pass  # the engine has marked the import failed with its message, shown below
    finally:
        if progress:
            progress.stop()
    imp = db.session.get(LeadImport, run_id)
    db.session.refresh(imp)
    figures = {"total": imp.total_rows or 0, "processed": imp.processed, "successful": imp.successful,
               "new": imp.created, "updated": imp.updated, "skipped": imp.skipped, "errors": imp.errors,
               "seconds": round(time.monotonic() - started, 3)}
    status, message = imp.status, imp.error_message
    if check:
        _forget(import_id)
    if as_json:
        click.echo(json.dumps(figures))
    else:
        what = "Check" if check else f"Import {import_id}"
        verb = "would be imported" if check else "imported"
        updated = f" ({figures['new']:,} new, {figures['updated']:,} updated)" if update else ""
        click.echo(f"{what} {status}: {figures['processed']:,} of {figures['total']:,} rows, "
                   f"{figures['successful']:,} {verb}{updated}, {figures['skipped']:,} skipped, "
                   f"{figures['errors']:,} errors, in {figures['seconds']:.1f} s.")
    if status != "completed":
        raise click.ClickException(message or f"The {'check' if check else 'import'} ended {status}.")


def _create_import(file: Path, workspace_id: int, maps: tuple[str, ...], choices: dict,
                   reading: tuple[str | None, str | None], number_format: str | None, sheet: str | None,
                   check: bool) -> tuple[int, int]:
    """Store the file as an upload, check it, map it and queue it (or its check), as the wizard would
    (without the queue: this process runs it). The import's id, and the id to run (the check's)."""
    with file.open("rb") as stream:
        pending = storage.save_upload(FileStorage(stream, filename=file.name), workspace_id)
    sniffed = inspect_stored(pending.stored_name, *reading, sheet=sheet)
    if isinstance(sniffed, (Problem, SheetChoice)):
        storage.discard(pending.stored_name)
        raise click.ClickException(_for_the_command_line(sniffed) if isinstance(sniffed, Problem) else
                                   "The workbook has several sheets with data: choose one with --sheet NAME ("
                                   + ", ".join(choice.name for choice in sniffed.sheets) + ").")
    try:
        mapping = _mapping(maps, sniffed.header) if maps else guess_mapping(sniffed.header)
        problems = mapping_problems(mapping)
        if problems:
            raise click.ClickException(" ".join(problems))
    except click.ClickException:  # a --map naming no column of the file, too
        storage.discard(pending.stored_name)
        raise
    imp = accept(pending, sniffed, created_by_id=None, origin="cli")
    # Other tools' status words read as statuses by themselves; the number format is the file's, as the
    # mapping page detects it, unless given.
    amounts = [column for column, field in mapping.items() if field in ("deal_value", "lead_score")]
    choices = {**choices, "rules": {"number_format": number_format or scan.number_format(imp, amounts) or "point"}}
    if check:
        run_id = lifecycle.start_check(db.session, imp.id, mapping, {}, choices).id
    else:
        lifecycle.start(db.session, imp.id, mapping, {}, choices)
        run_id = imp.id
    db.session.commit()
    return imp.id, run_id


def _for_the_command_line(problem: Problem) -> str:
    """The check's message, its offer (a button on the upload page) worded as the options that accept it."""
    if not problem.offer:
        return problem.message
    flags = " ".join(f"--{name} {_option_value(name, value)}" for name, value in problem.offer.items())
    return problem.worded(f"Run again with {flags}")


def _option_value(name: str, value: str) -> str:
    """As typed in a shell: quoted where it must be; a tab by its name."""
    return "tab" if name == "delimiter" and value == "\t" else shlex.quote(value)


def _forget(import_id: int) -> None:
    """A check from the command line leaves nothing behind: its upload, its import and their results go."""
    stored_name = db.session.scalar(select(LeadImport.stored_name).filter_by(id=import_id))
    storage.discard(stored_name)
    db.session.execute(delete(LeadImport).where(LeadImport.id == import_id))  # its check and results cascade
    db.session.commit()


def _mapping(maps: tuple[str, ...], header: list[str]) -> dict[str, str]:
    """--map "E-mail=email" … → {column: field}; the columns not named are not imported."""
    mapping = {column: "" for column in header}
    for item in maps:
        column, sep, field = item.rpartition("=")
        if not sep or column not in mapping:
            raise click.BadParameter(f"{item!r} should be \"CSV column=field\" with a column of the file's header "
                                     f"({', '.join(header)}).", param_hint="--map")
        mapping[column] = field.strip()
    return mapping


class _Progress:
    """A status line on the terminal, refreshed from the import row (committed after each batch)."""

    def __init__(self, import_id: int):
        self.import_id, self.engine = import_id, db.engine
        self.done = threading.Event()
        self.started = time.monotonic()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        with self.engine.connect() as conn:
            while not self.done.wait(0.5):
                total, processed = conn.execute(
                    select(LeadImport.total_rows, LeadImport.processed).filter_by(id=self.import_id)).one()
                conn.rollback()
                self._show(total, processed)
        click.echo(err=True)

    def _show(self, total: int | None, processed: int) -> None:
        elapsed = time.monotonic() - self.started
        rate = processed / elapsed if elapsed else 0
        if not total:
            line = "Counting rows…"
        else:
            left = (total - processed) / rate if rate else 0
            width = 30
            filled = int(width * processed / total)
            line = (f"[{'#' * filled}{'-' * (width - filled)}] {processed:,}/{total:,} rows  "
                    f"{rate:,.0f} rows/s  {left:.0f} s left")
        click.echo(f"\r{line:<90}", nl=False, err=True)

    def stop(self) -> None:
        self.done.set()
        self.thread.join()
