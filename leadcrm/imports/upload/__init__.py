"""Steps 1-2: save the upload under a random name, and check its start (encoding, delimiter, header)."""
