"""Creating workspaces and users, shared by the sign-up page and the create-user command."""
from ..extensions import db
from ..keys import name_key
from ..models import User, Workspace


class AccountError(ValueError):
    """A user-facing reason why an account cannot be created."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(email: str, password: str, workspace_name: str, *, super_admin=False, new_workspace=False) -> User:
    """Create a user in the named workspace (created if missing); refuse a taken email."""
    email = normalise_email(email)
    if db.session.scalar(db.select(User.id).filter_by(email=email)) is not None:
        raise AccountError(f"The email {email} is already registered. Log in instead, or use another email.")
    workspace = db.session.scalar(db.select(Workspace).filter_by(name_key=name_key(workspace_name)))
    if workspace is not None and new_workspace:
        raise AccountError(f"A workspace named {workspace_name!r} already exists. Choose another name.")
    if workspace is None:
        workspace = Workspace(name=workspace_name.strip())
        db.session.add(workspace)
    user = User(email=email, workspace=workspace, is_super_admin=super_admin)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user
