"""The figures the progress section shows besides the counters (results/progress.py), from the import row
alone: percent done, rows per second, time left, time taken; and how a duration reads."""
from datetime import datetime, timedelta

import pytest

from leadcrm.imports.results.progress import Timing, duration, timing
from leadcrm.models import LeadImport

NOW = datetime(2026, 3, 1, 12, 0, 0)


def an_import(status, **values) -> LeadImport:
    return LeadImport(status=status, **{"processed": 0, "total_rows": None, **values})


def test_a_running_import_with_its_total_known():
    imp = an_import("running", total_rows=1000, processed=250, started_at=NOW - timedelta(seconds=10), heartbeat_at=NOW)
    assert timing(imp, NOW) == Timing(percent=25, rows_per_second=25.0, seconds_left=30.0, elapsed_seconds=None)


def test_the_rate_is_that_of_the_last_heartbeat_and_the_time_left_counts_down_from_it():
    imp = an_import("running", total_rows=1000, processed=250, started_at=NOW - timedelta(seconds=14),
                    heartbeat_at=NOW - timedelta(seconds=4))
    assert timing(imp, NOW) == Timing(percent=25, rows_per_second=25.0, seconds_left=26.0, elapsed_seconds=None)


def test_a_stale_import_has_no_rate_and_no_time_left():
    imp = an_import("running", total_rows=1000, processed=250, started_at=NOW - timedelta(seconds=90),
                    heartbeat_at=NOW - timedelta(seconds=80))
    assert timing(imp, NOW, stale=True) == Timing(percent=25, rows_per_second=None, seconds_left=None,
                                                  elapsed_seconds=None)


def test_a_running_import_still_counting_its_rows():
    imp = an_import("running", processed=0, started_at=NOW - timedelta(seconds=3))
    assert timing(imp, NOW) == Timing(None, None, None, None)


def test_a_queued_import_has_no_speed_yet():
    assert timing(an_import("queued", total_rows=10, processed=4), NOW) == Timing(40, None, None, None)


@pytest.mark.parametrize("status", ["completed", "failed", "cancelled"])
def test_a_finished_import_took_the_time_from_its_start(status):
    imp = an_import(status, total_rows=10, processed=4, queued_at=NOW - timedelta(minutes=5),
                    started_at=NOW - timedelta(seconds=65), finished_at=NOW - timedelta(seconds=5))
    assert timing(imp, NOW) == Timing(40, None, None, 60.0)


def test_a_finished_import_without_rows_is_done_and_one_never_started_took_the_time_from_its_queueing():
    imp = an_import("cancelled", queued_at=NOW - timedelta(seconds=8), finished_at=NOW)
    assert timing(imp, NOW) == Timing(100, None, None, 8.0)


def test_more_rows_processed_than_counted_shows_100_percent():
    assert timing(an_import("completed", total_rows=3, processed=4), NOW).percent == 100


@pytest.mark.parametrize("seconds, text", [
    (None, ""), (0, "under 0.1 s"), (0.04, "under 0.1 s"), (0.42, "0.4 s"), (0.96, "1 s"), (12.4, "12 s"), (59.6, "1 min 00 s"), (185, "3 min 05 s"), (3720, "1 h 02 min"),
    (90_000, "25 h 00 min"),
])
def test_duration(seconds, text):
    assert duration(seconds) == text
