#!/usr/bin/env python3
"""The physical floor of a lead import into the product's own schema (all its indexes, unique
constraints and foreign keys): the rows are parsed, de-duplicated and given their company/tag ids
BEFORE the clock starts, so what is timed is only the database writing them:
PostgreSQL: COPY company, tag, lead (explicit ids), lead_tag in one transaction.
SQLite: executemany of the same rows in one transaction.

    schema_floor.py FILE.csv DATABASE_URL   (the schema already made by `flask db upgrade`)
Prints one JSON object: rows in the file, leads and links loaded, seconds, rows/s (file rows / s),
and the PostgreSQL phases on stderr. Adapted from shared/bench/schema_floor.py to this schema (lead_import's columns of update mode and
checks); bench_import.py runs it beside each import of the same file.
"""
import csv
import io
import json
import sqlite3
import sys
import time
import unicodedata


def key(text):
    return unicodedata.normalize("NFC", " ".join(text.split())).casefold()


def prepare(path):
    companies, tags, leads, links, seen = {}, {}, [], [], set()
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        n = 0
        for first, last, email, phone, company, status, source, score, deal, tag_text, notes in reader:
            n += 1
            ek = email.strip().lower() or None
            if ek:
                if ek in seen:
                    continue
                seen.add(ek)
            status = status.strip().lower() or "new"
            if status not in ("new", "contacted", "qualified", "converted", "lost"):
                status = "new"
            cid = None
            if company.strip():
                cid = companies.setdefault(key(company)[:255], (len(companies) + 1, " ".join(company.split())[:255]))[0]
            lid = len(leads) + 1
            score = score.strip()
            score = int(score) if score.lstrip("-").isdigit() and abs(int(score)) < 2_000_000_000 else None
            deal = deal.strip().lstrip("$€£").replace(",", "").strip()
            try:
                deal = f"{float(deal):.2f}" if deal else None
                if deal is not None and float(deal) < 0:
                    deal = None
            except ValueError:
                deal = None
            leads.append((lid, first.strip(), last.strip(), email.strip(), ek, phone.strip(), cid, status,
                          source.strip(), score, deal, notes.strip(), n + 1))
            for t in {key(t)[:100]: t for t in tag_text.split(",") if t.strip()}:
                tid = tags.setdefault(t, (len(tags) + 1, t))[0]
                links.append((lid, tid))
    return n, companies, tags, leads, links


def pg(url, n, companies, tags, leads, links):
    import psycopg
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        ws = cur.execute("INSERT INTO workspace (name, name_key, created_at) VALUES ('Floor', 'floor', now()) RETURNING id").fetchone()[0]
        imp = cur.execute(
            "INSERT INTO lead_import (workspace_id, status, created_at, original_filename, stored_name, size_bytes,"
            " encoding, delimiter, header, attempt, cancel_requested, checkpoint_rows, processed, successful, skipped, errors,"
            " existing_leads, blank_cells, tag_mode, updated, origin)"
            " VALUES (%s, 'running', now(), 'f.csv', 'x', 0, 'utf-8', ',', '[]', 1, false, 0, 0, 0, 0, 0, 'skip', 'leave',"
            " 'add', 0, 'cli') RETURNING id",
            (ws,)).fetchone()[0]
        conn.commit()
        t = time.perf_counter()
        with cur.copy("COPY company (id, workspace_id, name_key, name) FROM STDIN") as cp:
            for k, (i, name) in companies.items():
                cp.write_row((i, ws, k, name))
        with cur.copy("COPY tag (id, workspace_id, name_key, name) FROM STDIN") as cp:
            for k, (i, name) in tags.items():
                cp.write_row((i, ws, k, name))
        phases = {"names": time.perf_counter() - t}
        with cur.copy("COPY lead (id, workspace_id, import_id, created_at, first_name, last_name, email, email_key,"
                      " phone, company_id, status, source, lead_score, deal_value, notes, import_line) FROM STDIN") as cp:
            now = "2026-12-01 00:00:00"
            for lid, first, last, email, ek, phone, cid, status, source, score, deal, notes, line in leads:
                cp.write_row((lid, ws, imp, now, first, last, email, ek, phone, cid, status, source, score, deal, notes, line))
        phases["leads"] = time.perf_counter() - t - sum(phases.values())
        with cur.copy("COPY lead_tag (lead_id, tag_id) FROM STDIN") as cp:
            for row in links:
                cp.write_row(row)
        phases["links"] = time.perf_counter() - t - sum(phases.values())
        conn.commit()
        phases["commit"] = time.perf_counter() - t - sum(phases.values())
        print(json.dumps({k: round(v, 2) for k, v in phases.items()}), file=sys.stderr)
        return time.perf_counter() - t


def sqlite(url, n, companies, tags, leads, links):
    conn = sqlite3.connect(url.removeprefix("sqlite:///"))
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_mode = WAL")
    ws = conn.execute("INSERT INTO workspace (name, name_key, created_at) VALUES ('Floor', 'floor', '2026-12-01') RETURNING id").fetchone()[0]
    imp = conn.execute(
        "INSERT INTO lead_import (workspace_id, status, created_at, original_filename, stored_name, size_bytes,"
        " encoding, delimiter, header, attempt, cancel_requested, checkpoint_rows, processed, successful, skipped, errors,"
        " existing_leads, blank_cells, tag_mode, updated, origin)"
        " VALUES (?, 'running', '2026-12-01', 'f.csv', 'x', 0, 'utf-8', ',', '[]', 1, 0, 0, 0, 0, 0, 0, 'skip', 'leave',"
        " 'add', 0, 'cli') RETURNING id",
        (ws,)).fetchone()[0]
    conn.commit()
    t = time.perf_counter()
    conn.executemany("INSERT INTO company (id, workspace_id, name_key, name) VALUES (?, ?, ?, ?)",
                     ((i, ws, k, name) for k, (i, name) in companies.items()))
    conn.executemany("INSERT INTO tag (id, workspace_id, name_key, name) VALUES (?, ?, ?, ?)",
                     ((i, ws, k, name) for k, (i, name) in tags.items()))
    conn.executemany("INSERT INTO lead (id, workspace_id, import_id, created_at, first_name, last_name, email, email_key,"
                     " phone, company_id, status, source, lead_score, deal_value, notes, import_line)"
                     " VALUES (?, ?, ?, '2026-12-01 00:00:00', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     ((lid, ws, imp, *rest) for lid, *rest in leads))
    conn.executemany("INSERT INTO lead_tag (lead_id, tag_id) VALUES (?, ?)", links)
    conn.commit()
    return time.perf_counter() - t


if __name__ == "__main__":
    path, url = sys.argv[1], sys.argv[2]
    n, companies, tags, leads, links = prepare(path)
    seconds = (pg if url.startswith("postgresql") else sqlite)(url, n, companies, tags, leads, links)
    print(json.dumps({"rows": n, "leads": len(leads), "links": len(links), "companies": len(companies),
                      "seconds": round(seconds, 2), "rows_per_s": round(n / seconds)}))
