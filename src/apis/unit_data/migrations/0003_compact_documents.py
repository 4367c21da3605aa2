"""Compact unit data, step 2 of 3: every row's unit key, compressed document and metrics, from its ids and
JSON document, in batches of ``BATCH`` rows, each committed on its own. Interrupted, ``migrate`` run again
goes on with the rows not done yet (those whose ``document`` is still null); it prints its progress."""

import sys

from django.db import migrations, transaction

from apis.unit_data import documents
from apis.unit_data.metrics import METRICS, metric_values

BATCH = 2_000


def _add_missing_units(apps) -> None:
    """A ``ReportedUnit`` for every unit with rows but none (rows written before it existed)."""
    unit_data, reported = apps.get_model("unit_data", "UnitData"), apps.get_model("unit_data", "ReportedUnit")
    known = set(reported.objects.values_list("community_id", "cluster_id", "unit_id"))
    triples = unit_data.objects.values_list("community_id", "cluster_id", "unit_id").distinct()
    for community_id, cluster_id, unit_id in triples:
        if (community_id, cluster_id, unit_id) not in known:
            rows = unit_data.objects.filter(community_id=community_id, cluster_id=cluster_id, unit_id=unit_id)
            newest = rows.order_by("-dataset_id").values_list("dataset_id", "time").first()
            reported.objects.create(
                community_id=community_id,
                cluster_id=cluster_id,
                unit_id=unit_id,
                last_dataset_id=newest[0],
                last_time=newest[1],
            )


def compact(apps, schema_editor) -> None:
    unit_data, reported = apps.get_model("unit_data", "UnitData"), apps.get_model("unit_data", "ReportedUnit")
    pending = unit_data.objects.filter(document__isnull=True)
    total = pending.count()
    if not total:
        return
    _add_missing_units(apps)
    keys = {(c, k, u): pk for pk, c, k, u in reported.objects.values_list("id", *_IDS)}
    done, after = 0, 0
    while True:
        rows = list(
            pending.filter(id__gt=after).order_by("id").values_list("id", *_IDS, "data")[:BATCH]
        )
        if not rows:
            break
        with transaction.atomic():
            for row_id, community_id, cluster_id, unit_id, data in rows:
                values = metric_values(data)
                unit_data.objects.filter(id=row_id).update(
                    reported_unit_id=keys[(community_id, cluster_id, unit_id)],
                    document=documents.encode(data),
                    **{metric: values[metric] for metric in METRICS},
                )
        done, after = done + len(rows), rows[-1][0]
        sys.stdout.write(f"\n  unit data compacted: {done:,} of {total:,} rows")
        sys.stdout.flush()


_IDS = ("community_id", "cluster_id", "unit_id")


class Migration(migrations.Migration):
    atomic = False  # every batch commits on its own, so an interrupted run keeps what it did

    dependencies = [("unit_data", "0002_compact_columns")]

    # Going back: only over an empty table (the ids and JSON columns come back empty and required).
    operations = [migrations.RunPython(compact, migrations.RunPython.noop, elidable=False)]
