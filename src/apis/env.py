"""Typed readers for the ``APIS_*`` environment variables that configure the project."""

import os
from collections.abc import Callable
from typing import TypeVar

from django.core.exceptions import ImproperlyConfigured

T = TypeVar("T")


def _read(name: str, default: T, convert: Callable[[str], T]) -> T:
    raw = os.environ.get(name, "").strip()
    if raw == "":
        return default
    try:
        return convert(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not valid: {exc}") from exc


def env_str(name: str, default: str = "") -> str:
    """Return the variable as text, ``default`` when unset or empty."""
    return _read(name, default, str)


def env_int(name: str, default: int) -> int:
    """Return the variable as an integer; a non-integer value is a configuration error."""
    return _read(name, default, int)


def _to_bool(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected one of 1/0, true/false, yes/no, on/off")


def env_bool(name: str, default: bool = False) -> bool:
    """Return the variable as a boolean (``1``/``true``/``yes``/``on`` or their opposites)."""
    return _read(name, default, _to_bool)


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """Return a comma-separated variable as a list of non-empty, stripped items."""
    return _read(name, default or [], lambda raw: [item.strip() for item in raw.split(",") if item.strip()])
