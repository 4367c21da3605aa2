"""The one way a view refuses a request it cannot read: raise :class:`InvalidRequest`.

Parsers of request parameters (``apis.core.decorators.query_period``, ``int_param``, …) and the checks
of the views raise it; the ``api`` decorator answers it with the original's plain-text 400 and the message
as the body, so that no function has to return "a value or an answer".
"""


class InvalidRequest(Exception):
    """A request refused with 400 and ``message`` (plain text, as the original words it)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
