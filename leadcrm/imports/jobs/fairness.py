"""A fair share of the workers between workspaces: at most IMPORTS_PER_WORKSPACE imports of a workspace
run at once (the claim enforces it), and a free worker takes the queued import of the workspace that has
the fewest running (among equals, the one served longest ago), the longest queued first. So a workspace that queued ten files holds at most its share
of the workers, and another workspace's import starts as soon as a worker is free."""
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from leadcrm.extensions import db
from leadcrm.imports import lifecycle
from leadcrm.models import LeadImport


@dataclass(frozen=True)
class Queued:
    id: int
    workspace_id: int
    attempt: int
    rq_job_id: str | None


def limit() -> int:
    return current_app.config["IMPORTS_PER_WORKSPACE"]


def running_per_workspace(workspace_id: int | None = None) -> dict[int, int]:
    """Running imports per workspace (of one workspace, when given)."""
    query = select(LeadImport.workspace_id, func.count()).where(LeadImport.status == lifecycle.RUNNING)
    if workspace_id is not None:
        query = query.where(LeadImport.workspace_id == workspace_id)
    return dict(db.session.execute(query.group_by(LeadImport.workspace_id)).all())


def queued() -> list[Queued]:
    """The queued imports, longest queued first."""
    rows = db.session.execute(select(LeadImport.id, LeadImport.workspace_id, LeadImport.attempt, LeadImport.rq_job_id)
                              .where(LeadImport.status == lifecycle.QUEUED)
                              .order_by(LeadImport.queued_at, LeadImport.id)).all()
    return [Queued(*row) for row in rows]


def fair_order() -> list[int]:
    """The queued imports a free worker may start, in the order it should try them: the workspace with the
    fewest running imports first; among equals, the one whose last import started longest ago (so one
    worker alternates between workspaces too); then the longest queued. Workspaces at their limit are left out."""
    running, cap = running_per_workspace(), limit()
    candidates = [imp for imp in queued() if running.get(imp.workspace_id, 0) < cap]
    served = last_started({imp.workspace_id for imp in candidates})
    db.session.commit()  # end the read before the claim writes (SQLite)
    never = datetime.min
    return [imp.id for imp in sorted(candidates, key=lambda imp: (
        running.get(imp.workspace_id, 0), served.get(imp.workspace_id) or never))]


def last_started(workspace_ids: set[int]) -> dict[int, datetime]:
    """When each workspace's latest import started."""
    if not workspace_ids:
        return {}
    return dict(db.session.execute(select(LeadImport.workspace_id, func.max(LeadImport.started_at))
                                   .where(LeadImport.workspace_id.in_(workspace_ids))
                                   .group_by(LeadImport.workspace_id)).all())


def waiting_for(imp: LeadImport) -> int | None:
    """How many imports of its workspace a queued import waits for (its workspace is at its limit); None
    when it is not waiting for them."""
    if imp.status != lifecycle.QUEUED:
        return None
    return waiting_in(imp.workspace_id).get(imp.id)


def waiting_in(workspace_id: int) -> dict[int, int]:
    """{queued import id: imports of the workspace running} while the workspace is at its limit; else {}."""
    running = running_per_workspace(workspace_id).get(workspace_id, 0)
    if running < limit():
        return {}
    ids = db.session.scalars(select(LeadImport.id).filter_by(workspace_id=workspace_id, status=lifecycle.QUEUED))
    return {import_id: running for import_id in ids}
