"""The error report neutralises spreadsheet formulas (OWASP CSV injection) and is served as a download."""

from flask import url_for

from tests.support.csvfiles import FORMULA_PREFIXES, downloaded, formula_csv
from tests.support.wizard import import_file, import_row, parse

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def test_error_report_neutralises_formulas(app, auth_client, run_worker):
    import_id = import_file(auth_client, "formulas.csv", formula_csv().encode())
    result = run_worker()
    assert result.returncode == 0, result.stderr[-3000:]
    row = import_row(app, import_id)
    assert (row.status, row.skipped) == ("completed", len(FORMULA_PREFIXES))

    with app.test_request_context():
        show = url_for("imports.show", import_id=import_id)
    report_url = parse(auth_client.get(show)).link(r"error report")
    response = auth_client.get(report_url)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="import-{import_id}-issues.csv"'
    assert response.mimetype == "text/csv"
    rows = downloaded(response)
    header, body = rows[0], rows[1:]
    assert len(body) == len(FORMULA_PREFIXES)
    cells = [cell for r in body for cell in r]
    assert [c for c in cells if c.startswith(DANGEROUS)] == []
    first_names = sorted(r[header.index("First Name")] for r in body)
    assert first_names == sorted("'" + value for value in FORMULA_PREFIXES)
