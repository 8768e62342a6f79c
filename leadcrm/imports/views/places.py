"""Where a row of an import is, said the way its person finds it in the file they uploaded."""
from leadcrm.imports.blueprint import bp


@bp.app_template_global()
def place(imp, line: int) -> str:
    """ "Leads, row 42" for a workbook (its Excel row number), "line 42" for a CSV file."""
    return f"{imp.sheet}, row {line:,}" if imp.sheet else f"line {line:,}"
