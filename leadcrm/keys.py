"""Normalised keys that decide uniqueness, computed in Python so both database engines agree."""
import unicodedata


def name_key(name: str) -> str:
    """Company, tag and workspace names: trimmed, NFC, case-folded, inner whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def email_key(email: str) -> str | None:
    """Lower-cased trimmed email, or None when there is none (leads without email never collide)."""
    email = unicodedata.normalize("NFC", email.strip()).lower()
    return email or None
