"""How the pages write numbers and times: template filters registered in create_app."""
from datetime import datetime

from markupsafe import Markup


def number(value) -> str:
    """A count with thousands separators (300,000), as the rate and the CLI write it; None as "…"."""
    if value is None:
        return "…"
    return f"{value:,}"


def counted(value: int, singular: str, plural: str | None = None) -> str:
    """1 column, 30 columns, 1,200 leads: the count with the word it counts."""
    return f"{number(value)} {singular if value == 1 else plural or singular + 's'}"


def local_time(moment: datetime | None, relative: bool = False) -> Markup:
    """A <time> of a naive UTC datetime, UTC text as the fallback; static/local-time.js rewrites it in the
    viewer's time zone (and as "3 min ago" when relative) since only the browser knows that zone."""
    if moment is None:
        return Markup("")
    utc = moment.replace(microsecond=0).isoformat() + "Z"
    text = moment.strftime("%Y-%m-%d %H:%M") + " UTC"
    kind = ' data-relative' if relative else ""
    return Markup(f'<time datetime="{utc}"{kind}>{text}</time>')
