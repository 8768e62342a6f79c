"""Normalised keys that decide uniqueness, computed in Python so both database engines agree."""
import unicodedata


def name_key(name: str) -> str:
    """Company, tag and workspace names: trimmed, NFC, case-folded, inner whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def email_key(email: str) -> str | None:
    """Lower-cased trimmed NFC email, or None when there is none (leads without email never collide)."""
    email = email.strip()
    if not email.isascii():  # NFC changes nothing in ASCII, and the importer meets millions of those
        email = unicodedata.normalize("NFC", email)
    return email.lower() or None
