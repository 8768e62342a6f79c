"""The importer, one subpackage per stage of the pipeline:

upload/ (1 store, 2 sniff) → mapping/ (3 map, 4 preview) → rows.py (the row rules, shared by the preview
and the worker) → jobs/ (5 start once; cancel, re-queue, recovery) → engine/ (6 the worker's job) →
results/ (7 progress, error report, undo). The views (wizard_routes, history_routes) and the CLI only
call the stages.
"""
from leadcrm.imports.routes import bp

__all__ = ["bp"]
