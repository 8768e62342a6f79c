"""The lead-field catalogue: the automatic mapping of headers."""
import pytest

from leadcrm.imports.mapping.fields import guess_mapping

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
