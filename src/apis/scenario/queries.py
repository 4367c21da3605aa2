"""Scenario scoping, the current choice of a unit, and the changes residents and apis-ccc make (§5.7).

``before`` (a former resident's move-out, ``Tenure.horizon``) shows the unit's scenarios and choice as they
were then: scenarios created and choices made from that time on are not the former resident's to see.
"""

import json
from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet

from apis.community.models import Unit
from apis.scenario.models import Choice, Scenario

# The shape of a scenario in the API: ``model_to_dict`` of the original, ``data`` as the raw text.
FIELDS = ("id", "community_id", "cluster_id", "unit_id", "created", "name", "description", "data")

UnitIds = tuple[str, str, str]


class BadScenarioId(ValueError):
    """``scenarioId`` is not the id of a scenario the unit may choose."""


def available(ids: UnitIds, before: datetime | None = None) -> QuerySet[Scenario]:
    """Scenarios visible to a unit: global, of its community, of its cluster, or its own (created before
    ``before`` when given)."""
    community_id, cluster_id, unit_id = ids
    glob = Q(community_id__isnull=True, cluster_id__isnull=True, unit_id__isnull=True)
    community = Q(community_id=community_id, cluster_id__isnull=True, unit_id__isnull=True)
    cluster = Q(community_id=community_id, cluster_id=cluster_id, unit_id__isnull=True)
    unit = Q(community_id=community_id, cluster_id=cluster_id, unit_id=unit_id)
    scenarios = Scenario.objects.filter(glob | community | cluster | unit)
    return scenarios if before is None else scenarios.filter(created__lt=before)


def available_json(ids: UnitIds, before: datetime | None = None) -> list[dict]:
    """The API form of the unit's scenarios ordered by name in code-point order (``NORMAL`` before
    ``NO_DEAL``, as the original) whatever the database collation; ``created`` is encoded ISO ``Z``."""
    return sorted(available(ids, before).values(*FIELDS), key=lambda scenario: scenario["name"])


def current_scenario_id(ids: UnitIds, before: datetime | None = None) -> int | None:
    """The scenario of the unit's newest choice (made before ``before`` when given), ``None`` when there is
    none or it chose none."""
    community_id, cluster_id, unit_id = ids
    choices = Choice.objects.filter(community_id=community_id, cluster_id=cluster_id, unit_id=unit_id)
    if before is not None:
        choices = choices.filter(created__lt=before)
    return choices.order_by("-created", "-pk").values_list("scenario_id", flat=True).first()


def current(ids: UnitIds, before: datetime | None = None) -> dict | None:
    """The API form of the unit's current scenario (not re-checked against ``available``, as in the
    original), ``None`` when it has none."""
    scenario_id = current_scenario_id(ids, before)
    return None if scenario_id is None else Scenario.objects.filter(pk=scenario_id).values(*FIELDS).first()


def choose(ids: UnitIds, scenario_id: str) -> bool:
    """Choose ``scenario_id`` (empty: no scenario) for the unit; ``False`` when nothing changed.

    Raises ``BadScenarioId`` for a value that is not the id of an available scenario.
    """
    if scenario_id and not (scenario_id.isascii() and scenario_id.isdigit() and len(scenario_id) < 20):
        raise BadScenarioId(scenario_id)
    wanted = int(scenario_id) if scenario_id else None
    with transaction.atomic():
        community, cluster, unit = ids  # the unit's choices are made one after the other
        Unit.objects.filter(cluster__community__code=community, cluster__code=cluster, code=unit).lock()
        if wanted == current_scenario_id(ids):
            return False
        if wanted is not None and wanted not in set(available(ids).values_list("pk", flat=True)):
            raise BadScenarioId(scenario_id)
        community_id, cluster_id, unit_id = ids
        Choice.objects.create(
            community_id=community_id, cluster_id=cluster_id, unit_id=unit_id, scenario_id=wanted
        )
    return True


_KINDS = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean"}


def json_object_error(text: str) -> str | None:
    """Why ``text`` is not the text of a JSON object, or ``None`` when it is one."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return str(exc)
    except RecursionError:
        return "nested too deeply"
    return None if isinstance(value, dict) else f"got {_KINDS.get(type(value), 'null')}"


NAME_MAX_LENGTH = Scenario._meta.get_field("name").max_length


def save_unit_scenario(ids: UnitIds, name: str, data: str, description: str | None) -> bool:
    """Create or update the unit-scoped scenario called ``name``; ``True`` when it was created."""
    community_id, cluster_id, unit_id = ids
    _, created = Scenario.objects.update_or_create(
        community_id=community_id,
        cluster_id=cluster_id,
        unit_id=unit_id,
        name=name,
        defaults={"data": data, "description": description},
    )
    return created
