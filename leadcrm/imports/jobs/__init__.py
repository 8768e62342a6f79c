"""Step 5 and the import's life on the queue: start once, cancel, re-queue, recover abandoned imports."""
