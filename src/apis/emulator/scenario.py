"""Scenario evaluation as apis-main does it (apis-ecosystem §3.4): battery status by remaining capacity,
request and accept rules per status, and the accept selection strategies."""

from dataclasses import dataclass

# The demo's NORMAL scenario: the units' rules while no scenario file overrides them.
DEFAULT_SCENARIO = {
    "refreshingPeriodMsec": 5000,
    "acceptSelection": {"strategy": "pointAndAmount"},
    "00:00:00-24:00:00": {
        "batteryStatus": {
            "4320-": "excess",
            "3600-4320": "sufficient",
            "2880-3600": "scarce",
            "-2880": "short",
        },
        "request": {
            "excess": {"discharge": {"limitWh": 4320, "pointPerWh": 10}},
            "short": {"charge": {"limitWh": 2880, "pointPerWh": 10}},
        },
        "accept": {
            "excess": {"discharge": {"limitWh": 3600, "pointPerWh": 10}},
            "sufficient": {"discharge": {"limitWh": 3600, "pointPerWh": 10}},
            "scarce": {"charge": {"limitWh": 3600, "pointPerWh": 10}},
            "short": {"charge": {"limitWh": 3600, "pointPerWh": 10}},
        },
    },
}


@dataclass(frozen=True)
class Offer:
    """A request or an accept: ``kind`` is ``charge`` or ``discharge`` from the offering unit's side."""

    unit_id: str
    kind: str
    amount_wh: float
    point_per_wh: float | None
    pair_unit_id: str | None


def _window(scenario: dict, time_of_day: str) -> dict | None:
    for key, value in scenario.items():
        start, dash, end = key.partition("-")
        if dash and len(start) == 8 and isinstance(value, dict) and start <= time_of_day < end:
            return value
    return None


def _in_range(text: str, remaining_wh: float) -> bool:
    low, _, high = text.partition("-")
    return (not low or remaining_wh >= float(low)) and (not high or remaining_wh < float(high))


def _rule(scenario: dict, side: str, time_of_day: str, remaining_wh: float) -> dict:
    window = _window(scenario, time_of_day) or {}
    status = next(
        (name for text, name in window.get("batteryStatus", {}).items() if _in_range(text, remaining_wh)),
        None,
    )
    return window.get(side, {}).get(status) or {}


def _offer(unit_id: str, kind: str, rule: dict, remaining_wh: float) -> Offer | None:
    limit = rule.get("limitWh")
    if limit is None:
        return None
    amount = limit - remaining_wh if kind == "charge" else remaining_wh - limit
    if amount <= 0:
        return None
    return Offer(unit_id, kind, amount, rule.get("pointPerWh"), rule.get("pairUnitId"))


def request_of(scenario: dict, unit_id: str, time_of_day: str, remaining_wh: float) -> Offer | None:
    """The unit's request (``charge`` checked first), or ``None``."""
    rule = _rule(scenario, "request", time_of_day, remaining_wh)
    for kind in ("charge", "discharge"):
        if kind in rule:
            return _offer(unit_id, kind, rule[kind], remaining_wh)
    return None


def accept_of(
    scenario: dict, unit_id: str, request: Offer, time_of_day: str, remaining_wh: float
) -> Offer | None:
    """The unit's answer to ``request`` (the opposite kind), honouring both ``pairUnitId`` rules."""
    kind = "discharge" if request.kind == "charge" else "charge"
    rule = _rule(scenario, "accept", time_of_day, remaining_wh).get(kind)
    if rule is None or request.pair_unit_id not in (None, unit_id):
        return None
    offer = _offer(unit_id, kind, rule, remaining_wh)
    if offer is None or offer.pair_unit_id not in (None, request.unit_id):
        return None
    return offer


def strategy(scenario: dict, time_of_day: str) -> str:
    window = _window(scenario, time_of_day) or {}
    chosen = (window.get("acceptSelection") or scenario.get("acceptSelection") or {}).get("strategy")
    return chosen if chosen in ("amount", "pointAndAmount") else "amount"


def select(request: Offer, accepts: list[Offer], rule: str) -> Offer | None:
    """``amount``: the largest amount; ``pointAndAmount``: the best price within the request's, then
    the largest amount."""
    if rule == "amount" or request.point_per_wh is None:
        return max(accepts, key=lambda offer: offer.amount_wh, default=None)
    priced = [offer for offer in accepts if offer.point_per_wh is not None]
    if request.kind == "charge":
        fitting = [offer for offer in priced if offer.point_per_wh <= request.point_per_wh]
        return min(fitting, key=lambda offer: (offer.point_per_wh, -offer.amount_wh), default=None)
    fitting = [offer for offer in priced if offer.point_per_wh >= request.point_per_wh]
    return max(fitting, key=lambda offer: (offer.point_per_wh, offer.amount_wh), default=None)
