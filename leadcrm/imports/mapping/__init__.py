"""Steps 3-4: the lead fields, the mapping of CSV columns to them (guessed or remembered), and the preview."""
