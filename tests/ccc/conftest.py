"""Fixtures of the ccc tests."""

from collections.abc import Iterator

import pytest

from tests.ccc.harness import ServiceCenter


@pytest.fixture
def server(tmp_path) -> Iterator[ServiceCenter]:
    """``apis serve`` on a database of its own with the demo registry, started; stopped after the test."""
    center = ServiceCenter(tmp_path)
    center.start()
    yield center
    center.stop()
