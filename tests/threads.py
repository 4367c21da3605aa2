"""Database work on a thread of its own, i.e. on a fresh connection, as a second runner would do it."""

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def in_thread(function: Callable[[], Any]) -> Any:
    """Run ``function`` on a new thread (and so a new connection); return its result."""
    result: list[Any] = []

    def target() -> None:
        try:
            result.append(function())
        finally:
            connection.close()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    assert result, "the database work on the other thread failed"
    return result[0]
