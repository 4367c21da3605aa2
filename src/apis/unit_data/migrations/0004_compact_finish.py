"""Compact unit data, step 3 of 3: the ids and the JSON document give way to the unit's key and the
compressed document; the constraint and index move to the key. (Run ``VACUUM`` on SQLite afterwards to give
the freed pages back to the file system.)"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("unit_data", "0003_compact_documents")]

    operations = [
        migrations.RemoveConstraint(model_name="unitdata", name="unitdata_unique_dataset"),
        migrations.RemoveIndex(model_name="unitdata", name="unitdata_cluster_dataset"),
        migrations.RemoveIndex(model_name="unitdata", name="unitdata_unit_time"),
        migrations.RemoveField(model_name="unitdata", name="community_id"),
        migrations.RemoveField(model_name="unitdata", name="cluster_id"),
        migrations.RemoveField(model_name="unitdata", name="unit_id"),
        migrations.RemoveField(model_name="unitdata", name="data"),
        migrations.AlterField(
            model_name="unitdata",
            name="reported_unit",
            field=models.ForeignKey(
                db_index=False,
                help_text="the unit",
                on_delete=django.db.models.deletion.CASCADE,
                related_name="records",
                to="unit_data.reportedunit",
            ),
        ),
        migrations.AlterField(
            model_name="unitdata",
            name="document",
            field=models.BinaryField(help_text="the document, compressed (apis.unit_data.documents)"),
        ),
        migrations.AddConstraint(
            model_name="unitdata",
            constraint=models.UniqueConstraint(
                fields=("reported_unit", "dataset_id"), name="unitdata_unique_dataset"
            ),
        ),
        migrations.AddIndex(
            model_name="unitdata",
            index=models.Index(fields=["reported_unit", "time"], name="unitdata_unit_time"),
        ),
    ]
