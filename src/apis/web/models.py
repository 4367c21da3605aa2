"""The community/cluster (and for residents unit) a user last chose on the web pages, per role."""

from django.conf import settings
from django.db import models

from apis.core.models import ClusterRecord, identity_field


class Selection(ClusterRecord):
    """A user's remembered selection for the ``staff`` or the ``resident`` pages."""

    ROLES = (("staff", "staff"), ("resident", "resident"))

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=16, choices=ROLES)
    unit_id = identity_field(blank=True, default="")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="web_selection_unique_role")]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}): {self.community_id}/{self.cluster_id}/{self.unit_id}"
