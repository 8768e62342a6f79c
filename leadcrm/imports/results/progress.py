"""What the progress section shows besides the counters: percent done, speed, time left, elapsed time."""
from dataclasses import dataclass
from datetime import datetime

from leadcrm.models import LeadImport


@dataclass(frozen=True)
class Timing:
    percent: int | None
    rows_per_second: float | None
    seconds_left: float | None
    elapsed_seconds: float | None


def timing(imp: LeadImport, now: datetime, stale: bool = False) -> Timing:
    """Derive the timing figures from the import row alone (the poll must stay one read). The rate is
    measured up to the last heartbeat, which commits with the counters: measured up to now, it would fall
    (and the time left grow) whenever the worker stops. A stale import has no rate and no time left."""
    percent = None
    if imp.total_rows:
        percent = min(100, imp.processed * 100 // imp.total_rows)
    elif imp.is_finished:
        percent = 100
    rate = left = elapsed = None
    if imp.status == "running" and imp.started_at and imp.heartbeat_at and not stale:
        seconds = (imp.heartbeat_at - imp.started_at).total_seconds()
        if seconds > 0 and imp.processed:
            rate = imp.processed / seconds
            if imp.total_rows:
                since_beat = max(0.0, (now - imp.heartbeat_at).total_seconds())
                left = max(0.0, max(0, imp.total_rows - imp.processed) / rate - since_beat)
    if imp.is_finished and imp.finished_at:
        elapsed = (imp.finished_at - (imp.started_at or imp.queued_at or imp.created_at)).total_seconds()
    return Timing(percent, rate, left, elapsed)


def duration(seconds: float | None) -> str:
    """0.4 s, 12 s, 3 min 05 s, 1 h 02 min: precise enough to read at a glance (a small file takes under a
    second, which "0 s" would hide)."""
    if seconds is None:
        return ""
    if seconds < 0.05:
        return "under 0.1 s"
    if seconds < 0.95:
        return f"{seconds:.1f} s"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
