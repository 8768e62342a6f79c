"""How the pages write numbers and times (template filters)."""
from datetime import datetime

import pytest

from leadcrm.formatting import counted, local_time, number


@pytest.mark.parametrize("value, text", [(None, "…"), (0, "0"), (999, "999"), (300000, "300,000"),
                                         (1234567, "1,234,567")])
def test_number(value, text):
    assert number(value) == text


@pytest.mark.parametrize("args, text", [((1, "column"), "1 column"), ((30, "column"), "30 columns"),
                                        ((272364, "lead"), "272,364 leads"), ((0, "lead"), "0 leads"),
                                        ((1, "company", "companies"), "1 company"),
                                        ((2, "company", "companies"), "2 companies")])
def test_counted(args, text):
    assert counted(*args) == text


def test_local_time_is_utc_text_in_a_time_element_that_the_browser_rewrites():
    moment = datetime(2026, 12, 1, 13, 3, 59, 123456)
    assert local_time(moment) == '<time datetime="2026-12-01T13:03:59Z">2026-12-01 13:03 UTC</time>'
    assert local_time(moment, relative=True) == (
        '<time datetime="2026-12-01T13:03:59Z" data-relative>2026-12-01 13:03 UTC</time>')
    assert local_time(None) == ""
