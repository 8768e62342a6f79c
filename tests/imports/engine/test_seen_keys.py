"""The compact table of email keys a check holds: the first line of each key, across growth."""
from leadcrm.imports.engine.seen_keys import EXISTING, SeenKeys


def test_a_key_keeps_the_line_it_was_first_met_on():
    seen = SeenKeys()
    assert seen.first_line("ann@example.com", 2) == 2
    assert seen.first_line("bob@example.com", 3) == 3
    assert seen.first_line("ann@example.com", 9) == 2
    assert seen.first_line("ann@example.com ", 10) == 10  # another key
    assert len(seen) == 3


def test_keys_put_in_as_existing_stay_existing():
    seen = SeenKeys()
    seen.first_line("old@example.com", EXISTING)
    assert seen.first_line("old@example.com", 5) == EXISTING


def test_growing_far_past_the_expected_size_keeps_every_key_and_line():
    seen = SeenKeys(expected=10)
    keys = [f"lead{number}@example.com" for number in range(50_000)]
    for line, key in enumerate(keys, 2):
        assert seen.first_line(key, line) == line
    assert len(seen) == len(keys)
    assert [seen.first_line(key, 0) for key in keys] == list(range(2, len(keys) + 2))
