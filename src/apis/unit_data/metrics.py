"""The metrics of a unit-data record that queries and rollups read: each is taken from JSON paths of the
document when the record is stored (the first path holding a number wins) and kept as a typed column, so no
query has to open the documents.

A value that is missing, null, a boolean, a string or any other non-number is no metric (``None``); so is
an integer too large for a double.
"""

import math

# Metric (column) name → JSON paths in the document; the first one holding a number wins (rsoc as the
# original VISUAL reads it).
METRICS: dict[str, tuple[tuple[str, ...], ...]] = {
    "rsoc": (("battery", "rsoc"), ("emu", "rsoc")),
    "battery_w": (("dcdc", "meter", "wb"),),
    "pv_w": (("emu", "pvc_charge_power"),),
    "dc_grid_w": (("dcdc", "meter", "wg"),),
    "dc_grid_v": (("dcdc", "meter", "vg"),),
    "ac_in_w": (("dcdc", "powermeter", "p2"),),
    "ac_out_w": (("emu", "ups_output_power"),),
}


def _number(document: dict, path: tuple[str, ...]) -> float | None:
    value: object = document
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def metric_values(document: dict) -> dict[str, float | None]:
    """Every metric of ``document`` by name, ``None`` where it holds no number."""
    values: dict[str, float | None] = {}
    for metric, paths in METRICS.items():
        found = None
        for path in paths:
            if (found := _number(document, path)) is not None:
                break
        values[metric] = found
    return values
