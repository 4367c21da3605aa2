"""``apis.core.numbers``: integers, declared lengths and ports from client text, bounded before conversion."""

import pytest

from apis.core.numbers import ascii_int, declares_more_than, host_port


@pytest.mark.parametrize(("raw", "value"), [("1", 1), ("042", 42), ("500", 500), ("0", None), ("501", None)])
def test_values_within_the_bounds_are_converted(raw, value):
    assert ascii_int(raw, 1, 500) == value


@pytest.mark.parametrize("raw", ["", "²", "١٢", "１２", "-1", "+1", " 1", "1.0", "1e3", "9" * 5000, "0" * 4])
def test_anything_but_a_short_run_of_ascii_digits_is_refused(raw):
    assert ascii_int(raw, 1, 500) is None


@pytest.mark.parametrize(
    ("declared", "more"),
    [("100", False), ("0101", True), ("101", True), ("9" * 5000, True), ("0" * 5000, False), ("", False)],
)
def test_a_declared_length_over_the_limit_is_found_however_many_digits_it_has(declared, more):
    assert declares_more_than(declared, 100) is more


@pytest.mark.parametrize("declared", ["²²²", "-1", "+101", " 101", "1e9", "١٠١"])
def test_anything_but_ascii_digits_declares_no_length(declared):
    assert declares_more_than(declared, 100) is False


@pytest.mark.parametrize(
    ("text", "lowest", "address"),
    [
        ("127.0.0.1:8888", 1, ("127.0.0.1", 8888)),
        ("[::1]:65535", 1, ("[::1]", 65535)),
        ("0.0.0.0:0", 0, ("0.0.0.0", 0)),
        ("0.0.0.0:0", 1, None),
        ("h:65536", 1, None),
        ("h:²", 1, None),
        ("h:٨٨", 1, None),
        ("h:" + "9" * 5000, 1, None),
        (":8888", 1, None),
        ("8888", 1, None),
    ],
)
def test_host_and_port_are_read_with_an_ascii_port_in_range(text, lowest, address):
    assert host_port(text, lowest) == address
