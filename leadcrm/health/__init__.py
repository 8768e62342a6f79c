"""System Health for super admins and /healthz for load balancers."""
from .routes import bp

__all__ = ["bp"]
