"""The automatic mapping of headers, and mappings remembered per workspace and header."""
import pytest

from leadcrm.extensions import db
from leadcrm.imports.mapping.fields import guess_mapping
from leadcrm.imports.mapping.saved import fits, header_digest, remember, suggest
from leadcrm.models import SavedMapping

SPEC_NAMES = {
    "first_name": "first_name", "last_name": "last_name", "email": "email", "phone": "phone",
    "company": "company", "status": "status", "source": "source", "lead_score": "lead_score",
    "deal_value": "deal_value", "tags": "tags", "notes": "notes",
}
COMMON_SPELLINGS = {
    "First Name": "first_name", "firstname": "first_name", "Given name": "first_name",
    "E-mail": "email", "Email Address": "email", "Surname": "last_name",
    "Company Name": "company", "Organization": "company", "Phone Number": "phone", "Mobile": "phone",
    "Lead Status": "status", "Lead Source": "source", "Score": "lead_score", "Lead Score": "lead_score",
    "Deal Value": "deal_value", "Amount": "deal_value", "Labels": "tags", "Comments": "notes",
    "LAST_NAME": "last_name", "e.mail": "email", " Email ": "email", "deal-value": "deal_value",
}


@pytest.mark.parametrize("column, field", [*SPEC_NAMES.items(), *COMMON_SPELLINGS.items()])
def test_guess_one_column(column, field):
    assert guess_mapping([column]) == {column: field}


@pytest.mark.parametrize("column", ["Favourite colour", "id", "Created At", "<script>", ""])
def test_unknown_columns_are_not_imported(column):
    assert guess_mapping([column]) == {column: ""}


def test_the_spec_header_maps_exactly():
    assert guess_mapping(list(SPEC_NAMES)) == SPEC_NAMES


def test_a_field_goes_to_the_first_column_that_suggests_it():
    assert guess_mapping(["Email", "E-mail", "Mobile", "Phone"]) == {
        "Email": "email", "E-mail": "", "Mobile": "phone", "Phone": "",
    }


def test_header_digest_depends_on_names_and_order():
    assert header_digest(["a", "b"]) == header_digest(["a", "b"])
    assert len({header_digest(["a", "b"]), header_digest(["b", "a"]), header_digest(["a,b"])}) == 3
    assert len(header_digest(["a"])) == 64


@pytest.mark.parametrize(
    "mapping, ok",
    [({"a": "email", "b": ""}, True), ({"a": "email"}, False), ({"a": "email", "b": "", "c": ""}, False),
     ({"a": "email", "b": "gone_field"}, False)],
)
def test_fits(mapping, ok):
    assert fits(mapping, ["a", "b"]) is ok


def test_remembered_mapping_per_workspace_and_header(app, workspaces):
    acme, globex = workspaces
    header = ["Full name", "Mail", "Phone"]
    assert suggest(acme, header) == (guess_mapping(header), False)
    chosen = {"Full name": "last_name", "Mail": "email", "Phone": ""}
    remember(acme, header, chosen)
    assert suggest(acme, header) == (chosen, True)
    assert suggest(globex, header) == (guess_mapping(header), False)
    assert suggest(acme, header[:2])[1] is False

    changed = {**chosen, "Phone": "phone"}
    remember(acme, header, changed)
    assert suggest(acme, header) == (changed, True)
    assert db.session.scalar(db.select(db.func.count()).select_from(SavedMapping)) == 1


def test_a_saved_mapping_that_no_longer_fits_is_not_offered(app, workspaces):
    acme, _ = workspaces
    db.session.add(SavedMapping(workspace_id=acme, header_key=header_digest(["Email"]), mapping={"Email": "old_field"}))
    db.session.commit()
    assert suggest(acme, ["Email"]) == ({"Email": "email"}, False)
