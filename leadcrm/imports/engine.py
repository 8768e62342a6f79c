"""Step 6: process_import(import_id): stream the file, apply the row rules, write batches, checkpoint, count."""


def process_import(import_id: int) -> dict:
    raise NotImplementedError
