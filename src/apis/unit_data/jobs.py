"""The raw unit data's part of the ``log_retention`` job of ``apis jobs`` (registered on import)."""

from apis.unit_data import retention  # noqa: F401
