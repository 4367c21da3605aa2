"""Log records of the APIS programs, as apis-log stores them (apis-ecosystem §2.3)."""

from django.db import models

from apis.core.models import ClusterRecord, identity_field


class ApisLog(ClusterRecord):
    """One log record (one UDP datagram). ``community_id``/``cluster_id`` are the collector's own, as
    apis-log stamps them; a datagram that could not be parsed is kept whole in ``message`` as SEVERE."""

    program_id = models.CharField(max_length=128, null=True)
    unit_id = identity_field(null=True)
    thread = models.CharField(max_length=256, null=True)
    datetime = models.DateTimeField()
    loglevel = models.CharField(max_length=16)
    loggername = models.CharField(max_length=256, null=True)
    message = models.TextField()
    address = models.CharField(max_length=64, help_text="sender host:port")

    class Meta:
        verbose_name = "APIS log record"
        indexes = [
            models.Index(
                fields=["community_id", "cluster_id", "program_id", "unit_id", "datetime"],
                name="apislog_program",
            ),
            models.Index(fields=["community_id", "cluster_id", "loglevel", "datetime"], name="apislog_level"),
            models.Index(fields=["datetime"], name="apislog_datetime"),
        ]

    def __str__(self) -> str:
        source = f"{self.program_id or ''}:{self.unit_id or ''}"
        return f"{self.datetime} {self.loglevel} {source} {self.message[:60]}"
