"""The importer, one subpackage per stage of the pipeline:

upload/ (1 store, 2 sniff, accept) → mapping/ (3 map, 4 preview) → rows.py (the row rules, shared by the
preview and the worker) → jobs/ (5 start once; cancel, re-queue, recovery) → engine/ (6 the worker's
job) → results/ (7 progress, error report, undo). lifecycle.py holds the import's states and is the
only writer of its status. The views (views/) and the CLI (cli.py) only call the stages.
"""
from leadcrm.imports.blueprint import bp
from leadcrm.imports.views import history, mapping, outcome, places, progress, upload  # noqa: F401  (register the views on bp)

__all__ = ["bp"]
