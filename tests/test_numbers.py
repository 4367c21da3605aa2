"""``apis.core.numbers.ascii_int``: integers from client text, bounded before conversion."""

import pytest

from apis.core.numbers import ascii_int


@pytest.mark.parametrize(("raw", "value"), [("1", 1), ("042", 42), ("500", 500), ("0", None), ("501", None)])
def test_values_within_the_bounds_are_converted(raw, value):
    assert ascii_int(raw, 1, 500) == value


@pytest.mark.parametrize("raw", ["", "²", "١٢", "１２", "-1", "+1", " 1", "1.0", "1e3", "9" * 5000, "0" * 4])
def test_anything_but_a_short_run_of_ascii_digits_is_refused(raw):
    assert ascii_int(raw, 1, 500) is None
