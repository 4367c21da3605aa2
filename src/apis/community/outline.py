"""The community outline: communities → clusters → units, keyed by their codes (reference §5.2)."""

from collections.abc import Iterable

from django.db.models import Q
from django.utils import timezone

from apis.community.models import Community, Unit
from apis.community.residency import resident_units


def _unit_entry(unit: Unit) -> dict:
    return {
        "communityId": unit.cluster.community.code,
        "clusterId": unit.cluster.code,
        "id": unit.code,
        "name": unit.name,
        "available_from": unit.available_from,
        "available_to": unit.available_to,
    }


def _add_units(outline: dict, units: Iterable[Unit]) -> dict:
    for unit in units:
        community = unit.cluster.community
        cluster = unit.cluster
        entry = outline.setdefault(
            community.code, {"id": community.code, "name": community.name, "clusters": {}}
        )
        cluster_entry = entry["clusters"].setdefault(
            cluster.code,
            {"communityId": community.code, "id": cluster.code, "name": cluster.name, "units": {}},
        )
        cluster_entry["units"][unit.code] = _unit_entry(unit)
    return {"communities": outline}


def staff_outline(asof=None) -> dict:
    """Every community, cluster and unit ordered by code; empty clusters and communities included.

    With ``asof`` only units available at that time are listed (used by the monitoring jobs).
    """
    outline: dict = {}
    for community in Community.objects.prefetch_related("clusters").order_by("code"):
        clusters = {
            cluster.code: {
                "communityId": community.code,
                "id": cluster.code,
                "name": cluster.name,
                "units": {},
            }
            for cluster in sorted(community.clusters.all(), key=lambda c: c.code)
        }
        outline[community.code] = {"id": community.code, "name": community.name, "clusters": clusters}
    units = Unit.objects.select_related("cluster__community")
    if asof is not None:
        units = units.filter(available_at(asof))
    return _add_units(outline, units.order_by("cluster__community__code", "cluster__code", "code"))


def resident_outline(user) -> dict:
    """The same shape built from the units the user lives or has lived in only (not yet: not listed)."""
    return _add_units({}, resident_units(user).select_related("cluster__community").order_by("pk"))


def available_at(moment=None) -> Q:
    """Units whose availability window ``[available_from, available_to)`` contains ``moment`` (now)."""
    moment = moment or timezone.now()
    return (Q(available_from__isnull=True) | Q(available_from__lte=moment)) & (
        Q(available_to__isnull=True) | Q(available_to__gt=moment)
    )
