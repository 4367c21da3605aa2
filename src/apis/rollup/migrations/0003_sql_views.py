# The SQL interface of the rollups (docs/sql-interface.md): one view per resolution, whose names and columns
# stay as they are while the tables behind them may change. The definitions are written out here, not built
# from apis.rollup.metrics, so that this migration keeps creating what it created.
#
# A later migration that remakes rollup_unitrollup or rollup_dealrollup (SQLite remakes a table for most
# changes, and refuses to rename the new table while a view names the old one) or drops or retypes a column
# a view reads (PostgreSQL refuses) drops these views first and creates them again after its change.

from django.db import migrations

UNIT_COLUMNS = """
    community_id,
    cluster_id,
    unit_id,
    bucket AS bucket_start,
    records,
    rsoc_count,
    CASE WHEN rsoc_count > 0 THEN rsoc_sum / rsoc_count END AS rsoc_avg,
    rsoc_min,
    rsoc_max,
    rsoc_last,
    battery_w_count,
    CASE WHEN battery_w_count > 0 THEN battery_w_sum / battery_w_count END AS battery_w_avg,
    battery_w_min,
    battery_w_max,
    battery_w_last,
    pv_w_count,
    CASE WHEN pv_w_count > 0 THEN pv_w_sum / pv_w_count END AS pv_w_avg,
    pv_w_min,
    pv_w_max,
    pv_w_last,
    dc_grid_w_count,
    CASE WHEN dc_grid_w_count > 0 THEN dc_grid_w_sum / dc_grid_w_count END AS dc_grid_w_avg,
    dc_grid_w_min,
    dc_grid_w_max,
    dc_grid_w_last,
    dc_grid_v_count,
    CASE WHEN dc_grid_v_count > 0 THEN dc_grid_v_sum / dc_grid_v_count END AS dc_grid_v_avg,
    dc_grid_v_min,
    dc_grid_v_max,
    dc_grid_v_last,
    ac_in_w_count,
    CASE WHEN ac_in_w_count > 0 THEN ac_in_w_sum / ac_in_w_count END AS ac_in_w_avg,
    ac_in_w_min,
    ac_in_w_max,
    ac_in_w_last,
    ac_out_w_count,
    CASE WHEN ac_out_w_count > 0 THEN ac_out_w_sum / ac_out_w_count END AS ac_out_w_avg,
    ac_out_w_min,
    ac_out_w_max,
    ac_out_w_last,
    pv_wh,
    ac_in_wh,
    ac_out_wh,
    battery_charge_wh,
    battery_discharge_wh,
    dc_grid_in_wh,
    dc_grid_out_wh
"""

DEAL_COLUMNS = """
    community_id,
    cluster_id,
    unit_id,
    counterparty_unit_id,
    bucket AS bucket_start,
    deals,
    discharge_deals,
    charge_deals,
    discharged_wh,
    charged_wh
"""

VIEWS = {
    "apis_unit_rollup_5min": ("rollup_unitrollup", UNIT_COLUMNS, 300),
    "apis_unit_rollup_1h": ("rollup_unitrollup", UNIT_COLUMNS, 3600),
    "apis_unit_rollup_1d": ("rollup_unitrollup", UNIT_COLUMNS, 86400),
    "apis_deal_energy_1h": ("rollup_dealrollup", DEAL_COLUMNS, 3600),
    "apis_deal_energy_1d": ("rollup_dealrollup", DEAL_COLUMNS, 86400),
}


class Migration(migrations.Migration):

    dependencies = [
        ('rollup', '0002_deal_rollup'),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE VIEW {name} AS SELECT {columns} FROM {table} WHERE resolution = {resolution}",
            f"DROP VIEW IF EXISTS {name}",
        )
        for name, (table, columns, resolution) in VIEWS.items()
    ]
