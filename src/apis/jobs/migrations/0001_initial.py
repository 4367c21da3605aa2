# The runner's claim state moves from the monitoring app: the table monitoring_jobschedule and its rows stay.

from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('monitoring', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='JobSchedule',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=64, unique=True)),
                        ('next_run', models.DateTimeField()),
                    ],
                    options={
                        'db_table': 'monitoring_jobschedule',
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
