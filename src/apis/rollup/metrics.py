"""What a rollup keeps of a unit-data record: the metrics of :mod:`apis.unit_data.metrics` (typed columns of
the raw rows, null where the document held no number: such a value is skipped, never an error), and the
energies integrated from the power metrics.
"""

from enum import Enum

from django.db import connection

from apis.unit_data.metrics import METRICS
from apis.unit_data.models import UnitData

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
    """SQL for the metric's value in a unit-data row (its column, qualified by the unit-data table), NULL
    when the record has none."""
    quote = connection.ops.quote_name
    return f"{quote(UnitData._meta.db_table)}.{quote(UnitData._meta.get_field(metric).column)}"


def energy_sql(energy: str, value: str) -> str:
    """SQL for the power an energy integrates, given the SQL ``value`` of its metric (NULL when it does not
    count: missing, or of the other direction)."""
    _, direction = ENERGIES[energy]
    if direction is Direction.POSITIVE:
        return f"CASE WHEN {value} > 0 THEN {value} END"
    if direction is Direction.NEGATIVE:
        return f"CASE WHEN {value} < 0 THEN -{value} END"
    return value
