"""Workspace scoping: every read or write of workspace data goes through these."""
from flask import abort
from flask_login import current_user

from .extensions import db


def current_workspace_id() -> int:
    return current_user.workspace_id


def get_in_workspace_or_404(model, object_id: int):
    """The object if it belongs to the current user's workspace; 404 otherwise, never 403 (no leaking)."""
    obj = db.session.scalar(db.select(model).filter_by(id=object_id, workspace_id=current_workspace_id()))
    if obj is None:
        abort(404)
    return obj
