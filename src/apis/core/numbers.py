"""Integers from client text, checked before they are converted."""


def ascii_int(raw: str, low: int, high: int) -> int | None:
    """``raw`` as an integer from ``low`` to ``high`` (``0 <= low``), or ``None``.

    Only ASCII digits: ``²`` or ``١`` are digits to ``str.isdigit`` but no number ``int`` takes; and never
    more digits than ``high`` has, so a 5,000-digit value costs nothing (``int`` refuses 4,300 anyway)."""
    if not (raw.isascii() and raw.isdigit() and len(raw) <= len(str(high))):
        return None
    value = int(raw)
    return value if low <= value <= high else None
