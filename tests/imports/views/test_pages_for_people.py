"""The pages as a person reads them (issue 15): figures explained, counts with thousands separators, the
mapping page of a wide file, mapping problems next to the dropdowns, the current page in the sidebar, times
for the browser to show in local time."""
import re

import pytest

from tests.imports.views.test_wizard import text, upload
from tests.support.csvfiles import WIDE_HEADER, WIDE_KNOWN, wide_csv
from tests.support.factories import make_import

HX = {"HX-Request": "true"}


@pytest.fixture
def wide(auth_client):
    """An upload of a 30-column file, 8 of its columns known to the importer."""
    response = upload(auth_client, wide_csv(5), "wide.csv")
    return int(re.fullmatch(r"/imports/(\d+)/mapping", response.headers["Location"]).group(1))


def selects_in(html: str) -> list[str]:
    return re.findall(r'<select[^>]*id="(col_\d+)"', html)


def test_a_wide_files_mapping_page_counts_the_columns_and_collapses_those_not_imported(auth_client, wide):
    html = auth_client.get(f"/imports/{wide}/mapping").get_data(as_text=True)
    assert "30 columns · UTF-8" in html
    assert re.search(r'<p id="columns-count" data-columns-count>\s*<strong>8 of 30 columns</strong> will be imported</p>',
                     html)
    shown, collapsed = html.split('<details class="unmapped-columns">')
    assert selects_in(shown) == [f"col_{i}" for i in range(len(WIDE_KNOWN))]
    assert selects_in(collapsed) == [f"col_{i}" for i in range(len(WIDE_KNOWN), len(WIDE_HEADER))]
    assert "<summary>22 columns not imported (“Do not import”): show them to choose a field</summary>" in collapsed
    # Start Import and the check sit in the bar that stays at the bottom of the window.
    bar = html[html.index('<div class="action-bar"'):]
    assert 'value="Start Import"' in bar and 'value="Check the whole file"' in bar
    assert bar.index("columns-count") < bar.index("Start Import")


def test_with_no_column_mapped_the_columns_are_shown_open(auth_client):
    response = upload(auth_client, "Colour,Size\nred,10\n", "unknown.csv")
    html = auth_client.get(response.headers["Location"]).get_data(as_text=True)
    assert '<details class="unmapped-columns" open>' in html
    assert "<strong>0 of 2 columns</strong> will be imported" in html


def test_a_one_column_file_reads_1_column(auth_client):
    response = upload(auth_client, "Email\nada@example.com\n", "one.csv")
    html = auth_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 column · UTF-8" in html and "The first 1 row of the file." in html
    assert "<strong>1 of 1 column</strong> will be imported" in html


def test_two_columns_on_one_field_are_named_next_to_both_dropdowns_as_the_user_chooses(auth_client, wide):
    data = {f"col_{i}": "" for i in range(30)} | {"col_0": "first_name", "col_1": "email", "col_2": "email"}
    body = text(auth_client.post(f"/imports/{wide}/sample", data=data, headers=HX))
    problems = dict(re.findall(r'<span id="(col_\d+)-problem" class="error column-problem" data-column-problem '
                               r'hx-swap-oob="true">([^<]*)</span>', body))
    assert problems == {f"col_{i}": "" for i in range(30)} | {
        "col_1": "Email is also chosen for 'Email'. Keep it on one column: set the others to 'Do not import'.",
        "col_2": "Email is also chosen for 'Last Name'. Keep it on one column: set the others to 'Do not import'.",
    }
    assert re.search(r'<p id="columns-count" data-columns-count hx-swap-oob="true">\s*<strong>3 of 30 columns</strong>',
                     body)
    # The sample row still says it as a whole.
    assert "Email is chosen for more than one column ('Last Name' and 'Email')." in body


def test_a_refused_start_shows_the_problems_next_to_the_dropdowns(auth_client, wide):
    data = {f"col_{i}": "" for i in range(30)} | {"col_1": "email", "col_2": "email", "start": "Start Import"}
    html = text(auth_client.post(f"/imports/{wide}/mapping", data=data))
    row = re.search(r'<select[^>]*id="col_2".*?</td>', html, re.S).group(0)
    assert ('<span id="col_2-problem" class="error column-problem" data-column-problem>Email is also chosen for '
            "'Last Name'. Keep it on one column: set the others to 'Do not import'.</span>") in row


def test_typed_values_post_as_the_user_types_and_every_post_replaces_the_one_under_way(auth_client, wide):
    html = auth_client.get(f"/imports/{wide}/mapping").get_data(as_text=True)
    for name in ("source", "tags"):
        control = re.search(rf'<input[^>]*id="{name}"[^>]*>', html).group(0)
        assert 'hx-trigger="input changed delay:300ms"' in control and 'hx-sync="closest form:replace"' in control
    select = re.search(r'<select[^>]*id="status"[^>]*>', html).group(0)
    assert 'hx-trigger="change"' in select and 'hx-sync="closest form:replace"' in select


def test_each_figure_says_what_it_means_and_counts_have_thousands_separators(app, auth_client, user):
    with app.app_context():
        import_id = make_import(user["workspace_id"], user["id"], total_rows=300000, processed=300000,
                                successful=272383, skipped=27000, errors=617)
    html = auth_client.get(f"/imports/{import_id}/progress", headers=HX).get_data(as_text=True)
    figures = {name: (value, hint) for name, value, hint in
               re.findall(r'<dd data-stat="(\w+)">([^<]*)</dd>\s*<dd class="hint">([^<]*)</dd>', html)}
    assert figures == {
        "total": ("300,000", "data rows in the file"),
        "processed": ("300,000", "rows read so far"),
        "successful": ("272,383", "leads created or updated"),
        "skipped": ("27,000", "duplicates or invalid data"),
        "errors": ("617", "rows that could not be processed, e.g. a broken CSV record"),
    }
    assert "<p>100% done</p>" in html and ">100%</progress>" in html and "100 %" not in html
    row = auth_client.get(f"/imports/{import_id}/row", headers=HX).get_data(as_text=True)
    assert re.findall(r'data-stat="\w+">([^<]*)<', row) == ["300,000", "300,000", "272,383", "27,000", "617"]


def test_an_import_under_a_second_says_how_long_it_took(app, auth_client, user):
    from datetime import timedelta

    from leadcrm.models import utcnow
    now = utcnow()
    with app.app_context():
        import_id = make_import(user["workspace_id"], user["id"], started_at=now - timedelta(seconds=0.4),
                                queued_at=now - timedelta(seconds=1), finished_at=now)
    html = auth_client.get(f"/imports/{import_id}/progress", headers=HX).get_data(as_text=True)
    assert "Took 0.4 s." in html


def test_times_are_utc_in_time_elements_for_the_script_to_show_in_local_time(app, auth_client, user):
    with app.app_context():
        import_id = make_import(user["workspace_id"], user["id"])
        from leadcrm.extensions import db
        from leadcrm.models import LeadImport
        created = db.session.get(LeadImport, import_id).created_at
    stamp = f'<time datetime="{created.replace(microsecond=0).isoformat()}Z" data-relative>' \
            f'{created:%Y-%m-%d %H:%M} UTC</time>'
    assert stamp in auth_client.get("/imports/").get_data(as_text=True)
    page = auth_client.get(f"/imports/{import_id}").get_data(as_text=True)
    assert stamp in page
    assert '<script src="/static/app.js" defer></script>' in page


@pytest.mark.parametrize("path, current", [("/leads/", "Leads"), ("/imports/", "Import Leads"),
                                           ("/imports/new", "Import Leads")])
def test_the_sidebar_marks_the_current_section(auth_client, path, current):
    html = auth_client.get(path).get_data(as_text=True)
    nav = html[html.index('<nav class="sidebar"'):html.index("</nav>")]
    assert re.findall(r'aria-current="page">([^<]+)</a>', nav) == [current]
    assert '<button type="button" class="menu-toggle" aria-expanded="false" aria-controls="nav-menu">Menu</button>' in nav


def test_the_confirmation_of_an_undo_counts_in_words(app, auth_client, user):
    from leadcrm.extensions import db
    from tests.support.factories import make_lead
    with app.app_context():
        import_id = make_import(user["workspace_id"], user["id"])
        make_lead(user["workspace_id"], "ada@example.com", import_id=import_id)
        db.session.commit()
    html = auth_client.get(f"/imports/{import_id}/undo").get_data(as_text=True)
    assert "This deletes the 1 lead this import created" in html and ">Delete 1 lead</button>" in html
