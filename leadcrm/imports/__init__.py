"""The importer, in pipeline order: storage, sniff, fields/mapping, rows, preview, enqueue, engine, recovery."""
from .routes import bp

__all__ = ["bp"]
