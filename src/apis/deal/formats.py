"""Shapes of deals in API answers: the resident view (whitelist and masking) and the legacy BUDO shape
(reference §5.4)."""

from collections.abc import Callable

Format = Callable[[dict], dict]

# The only keys a resident sees, in this order.
RESIDENT_KEYS = (
    "createDateTime",
    "dealId",
    "dischargeUnitId",
    "chargeUnitId",
    "type",
    "requestUnitId",
    "requestAmountWh",
    "acceptUnitId",
    "dealAmountWh",
    "isMaster",
    "startDateTime",
    "cumulateAmountWh",
    "stopDateTime",
    "abortDateTime",
    "scramDateTime",
    "deactivateDateTime",
)
MASK = "******"


def to_resident_format(deal: dict, unit_id: str) -> dict:
    """The whitelisted fields of ``deal`` that are present and not null; other units' ids become ``******``.

    Unlike the original, falsy values (``isMaster: false``, 0 Wh) are kept.
    """
    shown = {}
    for key in RESIDENT_KEYS:
        value = deal.get(key)
        if value is None:
            continue
        if key.lower().endswith("unitid") and value != unit_id:
            value = MASK
        shown[key] = value
    return shown


def to_budo_format(deal: dict) -> dict:
    """The legacy BUDO shape VISUAL animates (``startTime`` is the creation time, as in the original)."""
    return {
        "id": deal.get("dealId"),
        "dischargingUnit": deal.get("dischargeUnitId"),
        "chargingUnit": deal.get("chargeUnitId"),
        "isMasterDeal": deal.get("isMaster", False),
        "request": deal.get("type"),
        "requester": deal.get("requestUnitId"),
        "responder": deal.get("acceptUnitId"),
        "startTime": deal.get("createDateTime"),
    }


def deal_format(format_type: str, unit_id: str | None) -> Format | None:
    """The conversion for a ``formatType`` and a caller (``unit_id`` of a resident, ``None`` for staff).

    ``None`` when deals are returned as stored (staff, any format but ``budo``).
    """
    budo = format_type.lower() == "budo"
    if unit_id is None:
        return to_budo_format if budo else None
    if budo:
        return lambda deal: to_budo_format(to_resident_format(deal, unit_id))
    return lambda deal: to_resident_format(deal, unit_id)
