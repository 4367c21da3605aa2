"""Compact unit data, step 1 of 3: the new columns (the unit's key, the compressed document, the metrics),
nullable until step 2 has filled them."""

import django.db.models.deletion
from django.db import migrations, models

METRICS = ("rsoc", "battery_w", "pv_w", "dc_grid_w", "dc_grid_v", "ac_in_w", "ac_out_w")


class Migration(migrations.Migration):
    dependencies = [("unit_data", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="unitdata",
            name="reported_unit",
            field=models.ForeignKey(
                db_index=False,
                help_text="the unit",
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="records",
                to="unit_data.reportedunit",
            ),
        ),
        migrations.AddField(
            model_name="unitdata",
            name="document",
            field=models.BinaryField(
                help_text="the document, compressed (apis.unit_data.documents)", null=True
            ),
        ),
        *(
            migrations.AddField(
                model_name="unitdata", name=metric, field=models.FloatField(blank=True, null=True)
            )
            for metric in METRICS
        ),
    ]
