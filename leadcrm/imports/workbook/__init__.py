"""Excel workbooks (.xlsx, .xlsm): checked before mapping, read as the text cells a CSV would give."""
