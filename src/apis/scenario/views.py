"""Resident scenario API (list, current, choose) and the misc calls apis-ccc makes (reference §5.7)."""

from django.http import HttpRequest, HttpResponse

from apis.community.access import credentials_unit, current_resident_unit, resident_unit
from apis.community.residency import Tenure
from apis.core.decorators import api, mutating, param
from apis.core.errors import InvalidRequest
from apis.core.http import json_response, text
from apis.core.openapi import Answer, Param, Where, array_of, describe, json_answer, ref, text_answer
from apis.scenario import queries


@api("GET")
@resident_unit
@describe(answer=json_answer(array_of(ref("Scenario"))))
def available_list(request: HttpRequest, *ids: str, tenure: Tenure) -> HttpResponse:
    """Scenarios the unit may choose, ordered by name (a former resident: as they were at the move-out)."""
    return json_response(queries.available_json(ids, tenure.horizon))


@api("GET")
@resident_unit
@describe(
    answer=Answer(
        "the scenario, or an empty text body when the unit has none",
        {"application/json": ref("Scenario"), "text/plain": {"type": "string", "enum": [""]}},
    )
)
def current(request: HttpRequest, *ids: str, tenure: Tenure) -> HttpResponse:
    """The unit's current scenario (a former resident: the one chosen at the move-out), or an empty 200
    when it has none."""
    scenario = queries.current(ids, tenure.horizon)
    return text("") if scenario is None else json_response(scenario)


@mutating
@current_resident_unit
@describe(
    Param(
        "scenarioId",
        {"type": "string", "pattern": "^[0-9]*$"},
        description="id of an available scenario; absent or empty: no scenario",
        errors=("bad scenarioId : <value>",),
    ),
    answer=text_answer("`ok`: chosen; `no change`: it was the current choice", "ok", "no change"),
)
def choose(request: HttpRequest, *ids: str, tenure: Tenure) -> HttpResponse:
    """Choose ``scenarioId`` (absent or empty: no scenario) → ``ok`` or ``no change``; only a resident who
    lives in the unit now may."""
    scenario_id = param(request, "scenarioId")
    try:
        changed = queries.choose(ids, scenario_id)
    except queries.BadScenarioId:
        raise InvalidRequest(f"bad scenarioId : {scenario_id}") from None
    return text("ok" if changed else "no change")


@credentials_unit
@describe(answer=Answer("the scenario JSON verbatim; an empty body when none", {"application/json": None}))
def current_data(request: HttpRequest, *ids: str) -> HttpResponse:
    """The current scenario's JSON text verbatim for apis-ccc; an empty 200 when there is none."""
    scenario = queries.current(ids)
    return HttpResponse((scenario and scenario["data"]) or b"", content_type="application/json")


@credentials_unit
@describe(
    Param(
        "name",
        {"type": "string", "minLength": 1, "maxLength": queries.NAME_MAX_LENGTH},
        True,
        where=Where.FORM,
        errors=("no param : name, data", f"name is longer than {queries.NAME_MAX_LENGTH} characters"),
    ),
    Param(
        "data",
        {"type": "string", "minLength": 1},
        True,
        "the scenario, a JSON object",
        where=Where.FORM,
        errors=("data is not a JSON object : <reason>",),
    ),
    Param("description", where=Where.FORM),
    answer=text_answer("the unit's scenario of that name was created or updated", "created", "updated"),
)
def update(request: HttpRequest, *ids: str) -> HttpResponse:
    """Create or update the unit's own scenario ``name``; ``data`` must be a JSON object."""
    name, data = request.POST.get("name", ""), request.POST.get("data", "")
    description = request.POST.get("description")
    if not (name and data):
        raise InvalidRequest("no param : name, data")
    if len(name) > queries.NAME_MAX_LENGTH:
        raise InvalidRequest(f"name is longer than {queries.NAME_MAX_LENGTH} characters")
    error = queries.json_object_error(data)
    if error:
        raise InvalidRequest(f"data is not a JSON object : {error}")
    created = queries.save_unit_scenario(ids, name, data, description)
    return text("created" if created else "updated")
