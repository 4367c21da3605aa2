"""Deterministic synthetic history: 30-second unit data and deals of simulated DC-grid clusters.

Each cluster is simulated step by step (apis-ecosystem §5.4, simplified) on the physics model the emulator
uses (``apis.emulator.physics``: solar and household profiles, DC/DC losses, UPS bypass and AC charging
hysteresis, the state-of-charge step), with day-to-day weather and per-unit panels and households as its
inputs; with operation modes (§3.7) and deals (§3.6) negotiated on the demo scenario's thresholds (§3.4). The
documents are built in the wire format of the Java apis-ccc (APIS local times) and stored through the ingest
parser, so the stored data is exactly what an ingest of the same documents would store.

``spec`` says what to generate, ``simulation`` runs a cluster, ``deals`` negotiates and runs its deals,
``documents`` builds the wire documents, ``state`` holds the units' and deals' state.
"""

import time
from collections.abc import Callable

from django.db import transaction

from apis.community.models import Cluster, Community, Unit
from apis.deal.store import store_deals
from apis.demo.history.simulation import simulate_cluster
from apis.demo.history.spec import COMMUNITY, FIRST_CLUSTER, HistorySpec, Summary, default_end
from apis.ingest.parse import parse_deals, parse_unit_data
from apis.unit_data.store import store_unit_data

__all__ = [
    "HistorySpec",
    "Summary",
    "default_end",
    "ensure_registry",
    "generate_history",
    "simulate_cluster",
]


@transaction.atomic
def ensure_registry(spec: HistorySpec) -> None:
    """Create the community, clusters and units of ``spec`` that do not exist yet."""
    community, _ = Community.objects.get_or_create(code=COMMUNITY[0], defaults={"name": COMMUNITY[1]})
    for code in spec.cluster_codes():
        name = FIRST_CLUSTER[1] if code == FIRST_CLUSTER[0] else code.replace("_", " ").title()
        cluster, _ = Cluster.objects.get_or_create(community=community, code=code, defaults={"name": name})
        for unit in spec.unit_codes():
            Unit.objects.get_or_create(cluster=cluster, code=unit, defaults={"name": unit})


def generate_history(spec: HistorySpec, progress: Callable[[str], None] = lambda _: None) -> Summary:
    """Create the registry rows, then simulate and store every cluster of ``spec``; idempotent."""
    started = time.monotonic()
    ensure_registry(spec)
    rows = deals = 0
    now = int(spec.end.timestamp())
    for cluster in spec.cluster_codes():
        for unit_docs, deal_docs in simulate_cluster(spec, cluster):
            rows += store_unit_data(parse_unit_data(unit_docs, COMMUNITY[0], cluster))
            deals += store_deals(parse_deals(deal_docs, COMMUNITY[0], cluster, now=now))
            if unit_docs:
                progress(f"{cluster}: up to {unit_docs[-1]['time']}, {rows} rows, {deals} deals")
    return Summary(rows=rows, deals=deals, seconds=time.monotonic() - started)
