"""Mappings remembered per workspace and header, offered again while they still fit."""
import pytest

from leadcrm.extensions import db
from leadcrm.imports.mapping.fields import guess_mapping
from leadcrm.imports.mapping.saved import fits, header_digest, remember, suggest
from leadcrm.models import SavedMapping

CHOICES = {"existing_leads": "update", "blank_cells": "clear", "tag_mode": "add",
           "rules": {"status_values": {"won": "converted"}, "number_format": "comma"}}


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
    assert suggest(acme, header) == (guess_mapping(header), {}, False)
    chosen = {"Full name": "last_name", "Mail": "email", "Phone": ""}
    remember(acme, header, chosen, CHOICES)
    assert suggest(acme, header) == (chosen, CHOICES, True)
    assert suggest(globex, header) == (guess_mapping(header), {}, False)
    assert suggest(acme, header[:2])[2] is False

    changed = {**chosen, "Phone": "phone"}
    remember(acme, header, changed, CHOICES)
    assert suggest(acme, header) == (changed, CHOICES, True)
    assert db.session.scalar(db.select(db.func.count()).select_from(SavedMapping)) == 1


def test_a_saved_mapping_that_no_longer_fits_is_not_offered(app, workspaces):
    acme, _ = workspaces
    db.session.add(SavedMapping(workspace_id=acme, header_key=header_digest(["Email"]), mapping={"Email": "old_field"}))
    db.session.commit()
    assert suggest(acme, ["Email"]) == ({"Email": "email"}, {}, False)
