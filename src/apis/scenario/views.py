"""Resident scenario API (list, current, choose) and the misc calls apis-ccc makes (reference §5.7)."""

from django.http import HttpRequest, HttpResponse

from apis.core.decorators import api, credentials_unit, mutating, param, resident_unit
from apis.core.http import bad_request, json_response, text
from apis.scenario import queries


@api("GET")
@resident_unit
def available_list(request: HttpRequest, *ids: str) -> HttpResponse:
    """Scenarios the unit may choose, ordered by name."""
    return json_response(queries.available_json(ids))


@api("GET")
@resident_unit
def current(request: HttpRequest, *ids: str) -> HttpResponse:
    """The unit's current scenario, or an empty 200 when it has none."""
    scenario = queries.current(ids)
    return text("") if scenario is None else json_response(scenario)


@mutating
@resident_unit
def choose(request: HttpRequest, *ids: str) -> HttpResponse:
    """Choose ``scenarioId`` (absent or empty: no scenario) → ``ok`` or ``no change``."""
    scenario_id = param(request, "scenarioId")
    try:
        changed = queries.choose(ids, scenario_id)
    except queries.BadScenarioId:
        return bad_request(f"bad scenarioId : {scenario_id}")
    return text("ok" if changed else "no change")


@credentials_unit
def current_data(request: HttpRequest, *ids: str) -> HttpResponse:
    """The current scenario's JSON text verbatim for apis-ccc; an empty 200 when there is none."""
    scenario = queries.current(ids)
    return HttpResponse((scenario and scenario["data"]) or b"", content_type="application/json")


@credentials_unit
def update(request: HttpRequest, *ids: str) -> HttpResponse:
    """Create or update the unit's own scenario ``name``; ``data`` must be a JSON object."""
    name, data = request.POST.get("name", ""), request.POST.get("data", "")
    description = request.POST.get("description")
    if not (name and data):
        return bad_request("no param : name, data")
    if len(name) > queries.NAME_MAX_LENGTH:
        return bad_request(f"name is longer than {queries.NAME_MAX_LENGTH} characters")
    error = queries.json_object_error(data)
    if error:
        return bad_request(f"data is not a JSON object : {error}")
    created = queries.save_unit_scenario(ids, name, data, description)
    return text("created" if created else "updated")
