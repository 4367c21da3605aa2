"""What a rollup keeps of a unit-data record: the metrics, each read from JSON paths of the record (the first
number found wins, as ``SERIES`` in :mod:`apis.unit_data.downsample`), and the energies integrated from the
power metrics.

A value that is missing, null, a string or any other non-number is skipped (SQL NULL), never an error.
"""

from enum import Enum

from apis.unit_data.downsample import first_json_number

# Metric name → JSON paths in the record; the first one holding a number wins.
METRICS: dict[str, tuple[tuple[str, ...], ...]] = {
    "rsoc": (("battery", "rsoc"), ("emu", "rsoc")),
    "battery_w": (("dcdc", "meter", "wb"),),
    "pv_w": (("emu", "pvc_charge_power"),),
    "dc_grid_w": (("dcdc", "meter", "wg"),),
    "dc_grid_v": (("dcdc", "meter", "vg"),),
    "ac_in_w": (("dcdc", "powermeter", "p2"),),
    "ac_out_w": (("emu", "ups_output_power"),),
}

# The statistics kept per metric, as the columns ``<metric>_<stat>``: how many records had a number, their
# sum, minimum and maximum, and the number of the latest record in the bucket that had one. The average is
# sum / count, so a coarser bucket is combined exactly from finer ones.
STATS = ("count", "sum", "min", "max", "last")


class Direction(Enum):
    """Which values of a power metric an energy integrates."""

    ALL = "all"
    POSITIVE = "positive"
    NEGATIVE = "negative"  # integrated as a positive number


# Energy column (Wh) → the power metric (W) and the direction integrated.
ENERGIES: dict[str, tuple[str, Direction]] = {
    "pv_wh": ("pv_w", Direction.ALL),
    "ac_in_wh": ("ac_in_w", Direction.ALL),
    "ac_out_wh": ("ac_out_w", Direction.ALL),
    "battery_charge_wh": ("battery_w", Direction.POSITIVE),
    "battery_discharge_wh": ("battery_w", Direction.NEGATIVE),
    "dc_grid_in_wh": ("dc_grid_w", Direction.POSITIVE),
    "dc_grid_out_wh": ("dc_grid_w", Direction.NEGATIVE),
}


def stat_column(metric: str, stat: str) -> str:
    """The rollup column of one statistic of one metric, e.g. ``rsoc_max``."""
    return f"{metric}_{stat}"


STAT_COLUMNS = tuple(stat_column(metric, stat) for metric in METRICS for stat in STATS)


def metric_sql(metric: str) -> str:
    """SQL for the metric's value in a unit-data row (the ``data`` column qualified by the unit-data table)
    as a floating-point number, NULL when the record has none."""
    return f"(1.0 * {first_json_number(METRICS[metric])})"


def energy_sql(energy: str, value: str) -> str:
    """SQL for the power an energy integrates, given the SQL ``value`` of its metric (NULL when it does not
    count: missing, or of the other direction)."""
    _, direction = ENERGIES[energy]
    if direction is Direction.POSITIVE:
        return f"CASE WHEN {value} > 0 THEN {value} END"
    if direction is Direction.NEGATIVE:
        return f"CASE WHEN {value} < 0 THEN -{value} END"
    return value
