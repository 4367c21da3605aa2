# JobSchedule now belongs to the jobs app (jobs 0001_initial); its table monitoring_jobschedule stays as it is.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('monitoring', '0001_initial'),
        ('jobs', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='JobSchedule')],
            database_operations=[],
        ),
    ]
