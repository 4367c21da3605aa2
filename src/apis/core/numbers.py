"""Integers from client text, checked before they are converted."""


def ascii_int(raw: str, low: int, high: int) -> int | None:
    """``raw`` as an integer from ``low`` to ``high`` (``0 <= low``), or ``None``.

    Only ASCII digits: ``²`` or ``١`` are digits to ``str.isdigit`` but no number ``int`` takes; and never
    more digits than ``high`` has, so a 5,000-digit value costs nothing (``int`` refuses 4,300 anyway)."""
    if not (raw.isascii() and raw.isdigit() and len(raw) <= len(str(high))):
        return None
    value = int(raw)
    return value if low <= value <= high else None


def declares_more_than(declared: str, limit: int) -> bool:
    """Whether a declared length (``Content-Length``) is more than ``limit`` bytes. Only ASCII digits
    declare a length (anything else declares nothing); a run of more digits than ``limit`` has is more,
    however long, without converting it."""
    if not (declared.isascii() and declared.isdigit()):
        return False
    digits = declared.lstrip("0")
    return len(digits) > len(str(limit)) or int(digits or "0") > limit


def host_port(text: str, lowest: int = 1) -> tuple[str, int] | None:
    """``HOST:PORT`` as ``(host, port)`` with an ASCII port from ``lowest`` (0: any free port) to 65535, or
    ``None``."""
    host, _, raw = text.rpartition(":")
    port = ascii_int(raw, lowest, 65535)
    return (host, port) if host and port is not None else None
