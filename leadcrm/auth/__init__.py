"""Accounts: sign up (a workspace and its owner), log in, log out."""
from .routes import bp

__all__ = ["bp"]
