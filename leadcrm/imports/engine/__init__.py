"""Step 6: the worker's job: stream the file, apply the row rules, write batches, checkpoint, count."""
