"""The deal rules the API answers by: which deals are live, which were created in a period, and the Wh per
hour of the day. ``Deal.objects`` is a :class:`DealQuerySet`; which deals a caller may see is a
:class:`~apis.deal.scopes.Scope`."""

from datetime import datetime, tzinfo
from functools import reduce
from operator import or_
from typing import Protocol, Self

from django.conf import settings
from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import ExtractHour


class Visibility(Protocol):
    """What a caller may see, as the deal indexes' ranges (:class:`apis.deal.scopes.Scope` is one)."""

    parts: tuple[Q, ...]


class HourAtOffset(ExtractHour):
    """The hour of the day of a datetime at the fixed UTC offset ``tzinfo``.

    On SQLite it is computed by SQLite's own ``strftime`` (stored datetimes are UTC text); Django's
    ``ExtractHour`` calls a Python function there for every row, 9 times slower over a million deals."""

    def as_sqlite(self, compiler, connection) -> tuple[str, tuple]:
        sql, params = compiler.compile(self.lhs)
        minutes = round(self.tzinfo.utcoffset(None).total_seconds() / 60)
        return f"CAST(strftime('%%H', {sql}, %s) AS INTEGER)", (*params, f"{minutes:+d} minutes")


class DealQuerySet(QuerySet):
    """Deals, narrowed by the rules of the deal API."""

    def live(self, now: float) -> Self:
        """Deals going on at ``now`` (epoch s): not deactivated and reported less than
        ``DEAL_LIVE_TOLERANCE_SEC`` before."""
        return self.filter(
            deactivate_datetime__isnull=True, report_time__gt=now - settings.DEAL_LIVE_TOLERANCE_SEC
        )

    def visible_to(self, scope: Visibility) -> Self:
        """The deals ``scope`` lets its caller see, as one query (for aggregates; for long lists
        :meth:`Scope.documents <apis.deal.scopes.Scope.documents>` reads index range by index range)."""
        return self.filter(reduce(or_, scope.parts))

    def created_in(self, start: datetime | None, end: datetime | None) -> Self:
        """Deals created in ``[start, end)``; a missing bound does not limit."""
        deals = self
        if start:
            deals = deals.filter(create_datetime__gte=start)
        if end:
            deals = deals.filter(create_datetime__lt=end)
        return deals

    def hour_sums(self, offset: tzinfo) -> dict[str, float]:
        """``{hour: Wh}``: the cumulated Wh of the deals per hour of the day of their creation at the UTC
        ``offset`` (hours without deals left out, deals without a creation time not counted)."""
        sums = (
            self.filter(create_datetime__isnull=False)
            .annotate(hour=HourAtOffset("create_datetime", tzinfo=offset))
            .values("hour")
            .annotate(wh=Sum("cumulate_amount_wh"))
            .order_by("hour")
        )
        return {str(row["hour"]): float(row["wh"] or 0) for row in sums}
