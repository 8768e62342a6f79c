"""The leads list's filters and search, read from the query string; shared by the list and the export.

Query parameters: q, source, status, tag (a tag id) and import_id.
"""
from dataclasses import asdict, dataclass

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import aliased
from werkzeug.datastructures import MultiDict

from ..keys import name_key
from ..models import LEAD_STATUSES, Company, Lead, lead_tag


@dataclass(frozen=True)
class LeadFilters:
    q: str = ""
    source: str = ""
    status: str = ""
    tag: int | None = None
    import_id: int | None = None

    @classmethod
    def from_args(cls, args: MultiDict) -> "LeadFilters":
        """Unknown or malformed values are dropped rather than refused: a filter link must never fail."""
        status = args.get("status", "")
        return cls(
            q=" ".join(args.get("q", "").split()),
            source=args.get("source", ""),
            status=status if status in LEAD_STATUSES else "",
            tag=args.get("tag", type=int),
            import_id=args.get("import_id", type=int),
        )

    def query_args(self) -> dict:
        """The filters as url_for arguments, empty ones left out."""
        return {key: value for key, value in asdict(self).items() if value not in ("", None)}

    def apply(self, query: Select) -> Select:
        """Narrow a select over Lead (already scoped to the workspace) to the leads these filters keep."""
        if self.source:
            query = query.where(Lead.source == self.source)
        if self.status:
            query = query.where(Lead.status == self.status)
        if self.import_id is not None:
            query = query.where(Lead.import_id == self.import_id)
        if self.tag is not None:
            query = query.where(Lead.id.in_(select(lead_tag.c.lead_id).where(lead_tag.c.tag_id == self.tag)))
        if self.q:
            query = query.where(_search(self.q))
        return query


def _search(term: str):
    """Name, email or company contains the term, case-insensitively on both engines.

    Email and company compare with their keys (lower-cased / case-folded in Python when written); names
    with lower(), which folds every letter on both engines (extensions.py gives SQLite Python's).
    """
    lowered = term.lower()
    full_name = Lead.first_name + " " + Lead.last_name
    # An alias, so the export's own join to Company does not swallow this subquery's FROM.
    company = aliased(Company)
    company_matches = exists().where(
        company.id == Lead.company_id, company.name_key.contains(name_key(term), autoescape=True)
    )
    return or_(
        func.lower(full_name).contains(lowered, autoescape=True),
        Lead.email_key.contains(lowered, autoescape=True),
        company_matches,
    )
