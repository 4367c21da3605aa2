"""Deal-rollup test data and the oracle: deals stored as the ingest API stores them, and every deal-rollup
row computed directly from the deal rows (for tests/test_deal_rollups.py and tests/test_sql_views.py)."""

import math
import random
from collections import defaultdict
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings as django_settings

from apis.deal.models import Deal
from apis.deal.store import store_deals
from apis.ingest.parse import parse_deals
from apis.rollup.deals import deal_rollup_pass
from apis.rollup.models import DealRollup
from tests.payloads import CLUSTER, COMMUNITY, deal_doc

START = datetime(2026, 3, 28, 20, 0, tzinfo=UTC)  # 30 hours from here span a DST change in Europe/Berlin
UNITS = ("E001", "E002", "E003", "E004")
VALUES = ("deals", "discharge_deals", "charge_deals", "discharged_wh", "charged_wh")


def at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def deal(
    deal_id: str,
    moment: datetime | None,
    discharge: str | None = "E001",
    charge: str | None = "E002",
    wh: float | None = 25.5,
    report_time: int = 1_800_000_000,
    cluster: str = CLUSTER,
) -> dict:
    """A deal document created at ``moment`` (``None``: ``--``); a ``None`` unit or Wh is left out."""
    document = deal_doc(
        deal_id, report_time, "--" if moment is None else iso(moment), cluster=cluster, cumulate_wh=wh or 0
    )
    for key, value in (("dischargeUnitId", discharge), ("chargeUnitId", charge), ("cumulateAmountWh", wh)):
        if value is None:
            del document[key]
        else:
            document[key] = value
    return document


def store(*documents: dict, cluster: str = CLUSTER) -> int:
    """Store deal documents as the ingest API does; returns the rows written."""
    return store_deals(parse_deals(list(documents), COMMUNITY, cluster))


def history(count: int = 400, seed: int = 0, hours: int = 30, cluster: str = CLUSTER) -> list[dict]:
    """``count`` deals created over ``hours`` hours from ``START`` between random units: now and then a deal
    of a unit with itself, one without a unit, without Wh, or without a creation time."""
    rng = random.Random(seed)
    documents = []
    for n in range(count):
        moment = at(rng.uniform(0, hours * 3600))
        discharge, charge = rng.choice(UNITS), rng.choice(UNITS)
        wh: float | None = round(rng.uniform(0, 500), 3)
        if n % 17 == 3:
            charge = discharge
        elif n % 23 == 5:
            discharge = None
        elif n % 29 == 7:
            charge = None
        if n % 31 == 11:
            wh = None
        created = None if n % 37 == 13 else moment
        documents.append(deal(f"d-{seed}-{n}", created, discharge, charge, wh, cluster=cluster))
    return documents


def roll_up(**limits) -> int:
    """Passes until the backlog is done; returns the deals processed."""
    total = 0
    while count := deal_rollup_pass(**limits):
        total += count
    return total


# ---- the oracle: every row computed directly from the deal rows ------------------------------------------


def local_day(moment: datetime) -> datetime:
    zone = ZoneInfo(django_settings.APIS_TIME_ZONE)
    return datetime.combine(moment.astimezone(zone).date(), time(), tzinfo=zone).astimezone(UTC)


def hour_of(moment: datetime) -> datetime:
    epoch = int(moment.timestamp())
    return datetime.fromtimestamp(epoch - epoch % 3600, UTC)


def expected_rollups() -> dict[tuple, dict]:
    """(resolution, cluster, unit, counterparty, bucket) → values, from the deal rows."""
    result: dict[tuple, dict] = defaultdict(lambda: dict.fromkeys(VALUES, 0))
    rows = Deal.objects.filter(create_datetime__isnull=False).values_list(
        "cluster_id", "discharge_unit_id", "charge_unit_id", "create_datetime", "cumulate_amount_wh"
    )
    for cluster, discharge, charge, moment, wh in rows:
        discharge, charge, wh = discharge or "", charge or "", wh or 0.0
        for resolution, bucket in ((3600, hour_of(moment)), (86400, local_day(moment))):
            seller = result[(resolution, cluster, discharge, charge, bucket)]
            seller["deals"] += 1
            seller["discharge_deals"] += 1
            seller["discharged_wh"] += wh
            buyer = result[(resolution, cluster, charge, discharge, bucket)]
            buyer["deals"] += 0 if charge == discharge else 1
            buyer["charge_deals"] += 1
            buyer["charged_wh"] += wh
    return dict(result)


def stored_rollups() -> dict[tuple, dict]:
    rows = DealRollup.objects.values(
        "resolution", "cluster_id", "unit_id", "counterparty_unit_id", "bucket", *VALUES
    )
    return {
        (row["resolution"], row["cluster_id"], row["unit_id"], row["counterparty_unit_id"], row["bucket"]): {
            name: row[name] for name in VALUES
        }
        for row in rows
    }


def assert_equal_rollups(actual: dict[tuple, dict], expected: dict[tuple, dict]) -> None:
    assert sorted(actual) == sorted(expected)
    for key, values in expected.items():
        for name, value in values.items():
            got = actual[key][name]
            assert math.isclose(got, value, rel_tol=1e-9, abs_tol=1e-9), (key, name, got, value)


def assert_rollups_are_direct() -> None:
    assert_equal_rollups(stored_rollups(), expected_rollups())
