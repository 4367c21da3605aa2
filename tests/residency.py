"""Residency periods and a day of unit data and deals laid out around them, for the residency tests.

The timeline (UTC, 2020-01-01): E001 takes part in one deal and reports one record at each of the hours
1, 2, 3, 4, 5, 7, 8 and 9 (discharging at odd hours, charging at even ones); E002 and E003 deal with each
other at 3:00. Periods are set per test with :func:`live_in`.
"""

import time
from datetime import UTC, datetime, timedelta

from apis.community.models import Residency, Unit
from apis.core.models import User
from apis.deal.store import store_deals
from apis.ingest.parse import parse_deals, parse_unit_data
from apis.unit_data.store import store_unit_data
from tests.payloads import CLUSTER, COMMUNITY, deal_doc, unit_doc

UNIT = {"communityId": COMMUNITY, "clusterId": CLUSTER, "unitId": "E001"}
HOURS = (1, 2, 3, 4, 5, 7, 8, 9)


def hour(h: int) -> datetime:
    return datetime(2020, 1, 1, h, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def live_in(username: str, *periods: tuple[datetime, datetime | None], unit: str = "E001") -> None:
    """Replace the user's periods in ``unit`` (of the demo cluster) by ``periods``."""
    user, where = User.objects.get(username=username), Unit.objects.get(cluster__code=CLUSTER, code=unit)
    Residency.objects.filter(user=user, unit=where).delete()
    Residency.objects.bulk_create(Residency(user=user, unit=where, start=s, end=e) for s, e in periods)


def deal_id(h: int) -> str:
    return f"d-{h:02d}"


def store_day() -> None:
    """The unit data and deals of the timeline (hour ``h``: rsoc ``h``, ``10 * h`` Wh)."""
    store_unit_data(
        parse_unit_data(
            [unit_doc("E001", iso(hour(h)), int(hour(h).timestamp() * 1000), rsoc=h) for h in HOURS],
            COMMUNITY,
            CLUSTER,
        )
    )
    own = [
        deal_doc(
            deal_id(h),
            create=iso(hour(h)),
            discharge="E001" if h % 2 else "E002",
            charge="E002" if h % 2 else "E001",
            cumulate_wh=10 * h,
            deactivated=iso(hour(h) + timedelta(minutes=30)),
        )
        for h in HOURS
    ]
    others = deal_doc("d-others", create=iso(hour(3)), discharge="E002", charge="E003", cumulate_wh=1)
    store_deals(parse_deals([*own, others], COMMUNITY, CLUSTER))


def store_live_deal(created: datetime) -> None:
    """A deal of E001 going on now (reported now, not deactivated), created at ``created``."""
    store_deals(
        parse_deals(
            [deal_doc("d-live", report_time=int(time.time()), create=iso(created), cumulate_wh=0.5)],
            COMMUNITY,
            CLUSTER,
        )
    )
