"""The leads list, its filters and its CSV export."""
from .routes import bp

__all__ = ["bp"]
