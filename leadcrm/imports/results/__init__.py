"""What an import leaves: its progress figures, its error report, and undoing it."""
