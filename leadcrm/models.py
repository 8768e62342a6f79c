"""The database tables: workspaces, users and their login sessions, leads with their companies and tags, imports
and their row issues.

Keys used for uniqueness (email_key, name_key) are computed in Python by leadcrm.keys, so SQLite and
PostgreSQL decide alike (SQLite's lower() folds ASCII only); SavedMapping.header_key is a digest of the
column names (imports.mapping.saved).
"""
from datetime import datetime, timezone

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Index, Numeric, UniqueConstraint
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db
from .keys import name_key

LEAD_STATUSES = ("new", "contacted", "qualified", "converted", "lost")
IMPORT_STATUSES = ("uploaded", "queued", "running", "completed", "failed", "cancelled")
ACTIVE_IMPORT_STATUSES = ("queued", "running")
FINISHED_IMPORT_STATUSES = ("completed", "failed", "cancelled")
ISSUE_KINDS = ("duplicate", "invalid", "unchanged", "error")
# What an import does with a row whose email belongs to a lead of the workspace, and how it updates it.
EXISTING_LEADS = ("skip", "update")
BLANK_CELLS = ("leave", "clear")
TAG_MODES = ("add", "replace")
# Where an import was started: the wizard (by its user) or `flask import-leads` (by nobody in particular).
IMPORT_ORIGINS = ("web", "cli")


def utcnow() -> datetime:
    """Naive UTC, stored the same way on both engines."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Workspace(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(120), nullable=False)
    name_key = db.Column(db.String(120), nullable=False, unique=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.name_key = name_key(self.name)


class User(UserMixin, db.Model):
    id = db.Column(db.Integer, primary_key=True)
    workspace_id = db.Column(db.ForeignKey("workspace.id", ondelete="CASCADE"), nullable=False, index=True)
    email = db.Column(db.String(320), nullable=False, unique=True)
    password_hash = db.Column(db.String(255), nullable=False)
    is_super_admin = db.Column(db.Boolean, nullable=False, default=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    workspace = db.relationship(Workspace)

    # The UserSession this request is logged in with, set by leadcrm.auth.sessions (not a column).
    login_session = None

    def get_id(self) -> str:
        """Flask-Login's id in the signed cookie: this login's server-side session id, never the user id."""
        return self.login_session.id

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


class UserSession(db.Model):
    """One login: the signed session cookie holds its random id; deleting the row ends the session."""

    __tablename__ = "user_session"
    id = db.Column(db.String(64), primary_key=True)
    user_id = db.Column(db.ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    # Written at most once a minute (leadcrm.auth.sessions), not on every request.
    last_seen_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    # Joined: the user loader reads a session and its user in one query on every request.
    user = db.relationship(User, lazy="joined", innerjoin=True)


class Company(db.Model):
    __table_args__ = (UniqueConstraint("workspace_id", "name_key"),)
    id = db.Column(db.Integer, primary_key=True)
    workspace_id = db.Column(db.ForeignKey("workspace.id", ondelete="CASCADE"), nullable=False)
    name = db.Column(db.String(255), nullable=False)
    name_key = db.Column(db.String(255), nullable=False)


class Tag(db.Model):
    __table_args__ = (UniqueConstraint("workspace_id", "name_key"),)
    id = db.Column(db.Integer, primary_key=True)
    workspace_id = db.Column(db.ForeignKey("workspace.id", ondelete="CASCADE"), nullable=False)
    name = db.Column(db.String(100), nullable=False)
    name_key = db.Column(db.String(100), nullable=False)


lead_tag = db.Table(
    "lead_tag",
    db.Column("lead_id", db.ForeignKey("lead.id", ondelete="CASCADE"), primary_key=True),
    db.Column("tag_id", db.ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Lead(db.Model):
    __table_args__ = (
        # One lead per email in a workspace; leads without email (NULL key) are not constrained.
        UniqueConstraint("workspace_id", "email_key"),
        CheckConstraint(_in("status", LEAD_STATUSES), name="status"),
        CheckConstraint("deal_value >= 0", name="deal_value"),
        Index("ix_lead_workspace_created", "workspace_id", "id"),
        Index("ix_lead_import_line", "import_id", "import_line"),
    )
    id = db.Column(db.Integer, primary_key=True)
    workspace_id = db.Column(db.ForeignKey("workspace.id", ondelete="CASCADE"), nullable=False)
    first_name = db.Column(db.Text, nullable=False, default="")
    last_name = db.Column(db.Text, nullable=False, default="")
    email = db.Column(db.Text, nullable=False, default="")
    email_key = db.Column(db.Text)
    phone = db.Column(db.Text, nullable=False, default="")
    company_id = db.Column(db.ForeignKey("company.id", ondelete="SET NULL"), index=True)
    status = db.Column(db.String(20), nullable=False, default="new")
    source = db.Column(db.Text, nullable=False, default="")
    lead_score = db.Column(db.Integer)
    deal_value = db.Column(Numeric(14, 2, asdecimal=True))
    notes = db.Column(db.Text, nullable=False, default="")
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    import_id = db.Column(db.ForeignKey("lead_import.id", ondelete="SET NULL"))
    # The physical line of the CSV record the lead came from: ties the lead to its row on a resumed import.
    import_line = db.Column(db.Integer)

    company = db.relationship(Company)
    tags = db.relationship(Tag, secondary=lead_tag, order_by=Tag.name_key)


class LeadImport(db.Model):
    """One upload and its way through the pipeline; the source of truth for the import's state."""

    __tablename__ = "lead_import"
    __table_args__ = (
        CheckConstraint(_in("status", IMPORT_STATUSES), name="status"),
        CheckConstraint(_in("existing_leads", EXISTING_LEADS), name="existing_leads"),
        CheckConstraint(_in("blank_cells", BLANK_CELLS), name="blank_cells"),
        CheckConstraint(_in("tag_mode", TAG_MODES), name="tag_mode"),
        CheckConstraint(_in("origin", IMPORT_ORIGINS), name="origin"),
        Index("ix_lead_import_workspace_created", "workspace_id", "id"),
        Index("ix_lead_import_status", "status"),
        Index("ix_lead_import_check_of", "check_of_id"),
    )
    id = db.Column(db.Integer, primary_key=True)
    workspace_id = db.Column(db.ForeignKey("workspace.id", ondelete="CASCADE"), nullable=False)
    created_by_id = db.Column(db.ForeignKey("user.id", ondelete="SET NULL"))
    origin = db.Column(db.String(10), nullable=False, default="web")
    status = db.Column(db.String(20), nullable=False, default="uploaded")
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    # 1 upload and 2 sniff
    original_filename = db.Column(db.String(255), nullable=False)
    stored_name = db.Column(db.String(64), nullable=False)
    size_bytes = db.Column(db.BigInteger, nullable=False)
    encoding = db.Column(db.String(40), nullable=False, default="utf-8")
    delimiter = db.Column(db.String(1), nullable=False, default=",")
    header = db.Column(db.JSON, nullable=False, default=list)
    sheet = db.Column(db.String(255))  # the workbook sheet imported; None for a CSV file

    # 3 mapping: {"CSV column": "field"}; defaults: {"source": str, "status": str, "tags": [str]}. Kept while
    # the import waits for its start (the mapping page shows them again), frozen when it starts.
    mapping = db.Column(db.JSON)
    defaults = db.Column(db.JSON)
    # How the file's values read: {"status_values": {status key: reading}, "number_format": "point"|"comma"}.
    rules = db.Column(db.JSON)
    # What the mapping page found in the whole file, per column (mapping/scan.py).
    scanned_values = db.Column(db.JSON)
    existing_leads = db.Column(db.String(10), nullable=False, default="skip")
    blank_cells = db.Column(db.String(10), nullable=False, default="leave")
    tag_mode = db.Column(db.String(10), nullable=False, default="add")
    # A check of the whole file is an import of its own that writes no lead, of the import it checks.
    check_of_id = db.Column(db.ForeignKey("lead_import.id", ondelete="CASCADE"))

    # 5 queue and 6 engine
    queued_at = db.Column(db.DateTime)
    started_at = db.Column(db.DateTime)
    finished_at = db.Column(db.DateTime)
    heartbeat_at = db.Column(db.DateTime)
    attempt = db.Column(db.Integer, nullable=False, default=0)
    rq_job_id = db.Column(db.String(100))
    cancel_requested = db.Column(db.Boolean, nullable=False, default=False)
    error_message = db.Column(db.Text)
    undone_at = db.Column(db.DateTime)

    total_rows = db.Column(db.Integer)
    # Checkpoint: the file's rows (blank records excluded) whose outcome is committed; a resumed attempt skips them.
    checkpoint_rows = db.Column(db.Integer, nullable=False, default=0)
    processed = db.Column(db.Integer, nullable=False, default=0)
    successful = db.Column(db.Integer, nullable=False, default=0)  # new leads + updated leads
    updated = db.Column(db.Integer, nullable=False, default=0)
    skipped = db.Column(db.Integer, nullable=False, default=0)
    errors = db.Column(db.Integer, nullable=False, default=0)

    workspace = db.relationship(Workspace)
    created_by = db.relationship(User)
    check_of = db.relationship("LeadImport", remote_side=[id])

    @property
    def choices(self) -> dict:
        """What the import does with existing leads and how its values read, as the mapping form gives them."""
        return {"existing_leads": self.existing_leads, "blank_cells": self.blank_cells, "tag_mode": self.tag_mode,
                "rules": self.rules}

    @property
    def created(self) -> int:
        return self.successful - self.updated

    @property
    def started_by(self) -> str:
        """Who to name as its author: the user's email, "command line", or "deleted user"."""
        if self.created_by is not None:
            return self.created_by.email
        return "command line" if self.origin == "cli" else "deleted user"

    @property
    def is_check(self) -> bool:
        return self.check_of_id is not None

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_IMPORT_STATUSES

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_IMPORT_STATUSES


class ImportRowIssue(db.Model):
    """A skipped or error row of an import: where it is, why (a code and the column, to group by; the
    message, to read), and its original values."""

    __tablename__ = "import_row_issue"
    __table_args__ = (
        UniqueConstraint("import_id", "line"),
        CheckConstraint(_in("kind", ISSUE_KINDS), name="kind"),
        Index("ix_import_row_issue_import_kind", "import_id", "kind", "line"),
        Index("ix_import_row_issue_group", "import_id", "code", "column_name", "line"),
    )
    id = db.Column(db.Integer, primary_key=True)
    import_id = db.Column(db.ForeignKey("lead_import.id", ondelete="CASCADE"), nullable=False)
    line = db.Column(db.Integer, nullable=False)
    kind = db.Column(db.String(20), nullable=False)
    code = db.Column(db.String(40), nullable=False)
    column_name = db.Column(db.Text)
    reason = db.Column(db.Text, nullable=False)
    values = db.Column(db.JSON, nullable=False)


class LeadChange(db.Model):
    """A value an import changed on an existing lead: before and after, for the list of changes and an
    exact undo. Written in the same transaction as the change and the import's checkpoint."""

    __tablename__ = "lead_change"
    __table_args__ = (
        UniqueConstraint("import_id", "lead_id", "field"),
        Index("ix_lead_change_lead_field", "lead_id", "field", "id"),
        Index("ix_lead_change_import_field", "import_id", "field", "id"),
    )
    id = db.Column(db.Integer, primary_key=True)
    import_id = db.Column(db.ForeignKey("lead_import.id", ondelete="CASCADE"), nullable=False)
    lead_id = db.Column(db.ForeignKey("lead.id", ondelete="CASCADE"), nullable=False)
    line = db.Column(db.Integer, nullable=False)
    field = db.Column(db.String(20), nullable=False)
    # JSON values as the lead field holds them: text, a whole number, an amount as "1234.50", a company
    # name (or null), a sorted list of tag names.
    before = db.Column(db.JSON)
    after = db.Column(db.JSON)
    # Set by undo: "restored", or "kept" when something changed the field again since.
    undo = db.Column(db.String(10))

    lead = db.relationship(Lead)


class ImportSeenEmail(db.Model):
    """An email an import has decided that the lead table cannot tell it: an existing lead it matched
    (update mode), or any row of a check (which writes no lead). Later rows with it are duplicates."""

    __tablename__ = "import_seen_email"
    import_id = db.Column(db.ForeignKey("lead_import.id", ondelete="CASCADE"), primary_key=True)
    email_key = db.Column(db.Text, primary_key=True)
    line = db.Column(db.Integer, nullable=False)


class SavedMapping(db.Model):
    """The mapping last used in a workspace for a file with this header, offered again next time."""

    __table_args__ = (UniqueConstraint("workspace_id", "header_key"),)
    id = db.Column(db.Integer, primary_key=True)
    workspace_id = db.Column(db.ForeignKey("workspace.id", ondelete="CASCADE"), nullable=False)
    header_key = db.Column(db.String(64), nullable=False)
    mapping = db.Column(db.JSON, nullable=False)
    # The choices made with it: {"existing_leads", "blank_cells", "tag_mode"}.
    choices = db.Column(db.JSON)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)


class StoredUpload(db.Model):
    """An upload kept in the database (UPLOAD_STORAGE=database), so a worker on any machine can read it;
    its bytes are its chunks, in order."""

    __tablename__ = "stored_upload"
    name = db.Column(db.String(64), primary_key=True)
    pending = db.Column(db.Boolean, nullable=False, default=True)  # not yet an import's file
    size_bytes = db.Column(db.BigInteger, nullable=False, default=0)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)


class StoredUploadChunk(db.Model):
    """CHUNK_BYTES of an upload (the last one shorter): written as the upload arrives, read one at a time."""

    __tablename__ = "stored_upload_chunk"
    name = db.Column(db.ForeignKey("stored_upload.name", ondelete="CASCADE"), primary_key=True)
    seq = db.Column(db.Integer, primary_key=True)
    data = db.Column(db.LargeBinary, nullable=False)
