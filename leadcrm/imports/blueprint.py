"""The imports blueprint; its views live in views/, one module per step of the wizard and the outcome."""
from flask import Blueprint

bp = Blueprint("imports", __name__, url_prefix="/imports")
