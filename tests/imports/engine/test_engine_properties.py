"""Property: whatever the CSV text or bytes, the job completes and its counts add up."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadcrm.imports.engine.process import process_import
from tests.support.imports import (
    assert_counts_add_up,
    create_import,
    get_import,
    workspace,
)

HEADER = "first_name,email,status,lead_score,deal_value,company,tags,notes\n"
# Characters that make CSV interesting: delimiters, quotes, line ends, spaces, NUL, non-ASCII, '@'.
ALPHABET = st.sampled_from(list(',;"\'\n\r\t @.x-$1é中\x00\ufeff') + ["new", "lost", "a@b.io", "85", "1,234.50"])
TEXT = st.lists(ALPHABET, max_size=300).map("".join)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(autouse=True)
def app_context(app):
    with app.app_context():
        app.config["IMPORT_BATCH_SIZE"] = 3  # several batches even for small files
        yield


def check(data: bytes) -> None:
    import_id = create_import(data, workspace(), header=HEADER.strip().split(","))
    assert process_import(import_id)["status"] == "completed"
    assert_counts_add_up(get_import(import_id))


@SETTINGS
@given(TEXT)
def test_any_csv_text_completes_with_counts_that_add_up(app, body):
    check((HEADER + body).encode("utf-8"))


@SETTINGS
@given(st.binary(max_size=300))
def test_any_bytes_complete_with_counts_that_add_up(app, body):
    check(HEADER.encode() + body)
