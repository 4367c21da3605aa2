from django.db import models


class JobSchedule(models.Model):
    """When a runner job is next due; runners claim a run by moving ``next_run`` forward atomically."""

    name = models.CharField(max_length=64, unique=True)
    next_run = models.DateTimeField()

    class Meta:
        db_table = "monitoring_jobschedule"

    def __str__(self) -> str:
        return f"{self.name} @ {self.next_run}"
