"""The importer's views, one module per step: upload, mapping, progress, outcome, history."""
