"""The OpenAPI schema at ``/api/schema/`` describes every endpoint of the API, validly, as the views act."""

import json
import re
from dataclasses import replace

import pytest
import schemathesis
from django.contrib.admindocs.views import extract_views_from_urlpatterns, simplify_regex
from django.urls import get_resolver
from django.urls import path as route
from openapi_spec_validator import validate

from apis.community.access import staff_cluster
from apis.core.decorators import api
from apis.core.openapi import describe, json_answer, operations, routes

# The schema does not describe itself nor the page that renders it.
UNDESCRIBED = {"/api/schema/", "/api/docs/"}
ESS_PATHS = ("/api/ess/", "/api/token/")
METHODS = {"get", "post", "put", "patch", "delete"}


def fetch_schema(client) -> dict:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return json.loads(response.content)


def api_url_patterns() -> set[str]:
    """Every URL pattern under ``/api/`` in OpenAPI notation, found by Django's admindocs (not the schema's
    own walk of the resolver)."""
    found = set()
    for _view, regex, _namespace, _name in extract_views_from_urlpatterns(get_resolver().url_patterns):
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", simplify_regex(regex))
        if path.startswith("/api/"):
            found.add(path)
    return found


@pytest.fixture
def schema(client) -> dict:
    return fetch_schema(client)


def all_operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_every_url_pattern_under_api_is_described_in_the_schema(schema):
    patterns = api_url_patterns()
    assert len(patterns) > 40
    assert patterns - UNDESCRIBED - set(schema["paths"]) == set()
    assert set(schema["paths"]) <= patterns


def test_the_schema_is_valid_openapi_3_and_loads_in_schemathesis(schema):
    validate(schema)
    loaded = schemathesis.openapi.from_dict(schema)
    results = list(loaded.get_all_operations())
    assert len(results) == sum(1 for _ in all_operations(schema))
    assert all(result.ok() for result in results)


def test_the_schema_is_titled_for_the_whole_api(schema):
    assert schema["info"]["title"] == "APIS Service Center API"
    assert schema["openapi"].startswith("3.")


@pytest.mark.django_db
def test_the_documented_methods_are_exactly_the_allowed_ones(schema, client, django_user_model):
    """Any other method is refused with 405 and an ``Allow`` header that lists the documented methods (logged
    in, as the ESS API authenticates before it looks at the method)."""
    client.force_login(django_user_model.objects.create_user("someone", is_staff=True))
    for path, item in schema["paths"].items():
        documented = {method.upper() for method in item if method in METHODS}
        url = re.sub(r"{\w+}", "1", path)
        refused = client.generic("PATCH", url)
        assert refused.status_code == 405, (path, refused.status_code)
        allowed = {name.strip() for name in refused["Allow"].split(",")} - {"OPTIONS", "HEAD"}
        assert allowed == documented, path


def test_every_operation_documents_its_answer_and_its_refusals_in_the_right_shape(schema):
    for path, method, operation in all_operations(schema):
        responses = operation["responses"]
        assert "200" in responses, (path, method)
        errors = {status: response for status, response in responses.items() if int(status) >= 400}
        shape = "EssError" if path.startswith(ESS_PATHS) else "Message"
        media = "application/json" if path.startswith(ESS_PATHS) else "text/plain"
        for status, response in errors.items():
            assert response["content"] == {media: {"schema": {"$ref": f"#/components/schemas/{shape}"}}}, (
                path,
                status,
            )


def test_the_decorators_checks_are_documented_on_each_operation(schema):
    paths = schema["paths"]
    staff = paths["/api/staff/deal/list"]["get"]
    assert staff["security"] == [{"cookieAuth": []}]
    assert "`staff required`" in staff["responses"]["403"]["description"]
    assert "`bad param values : communityId, clusterId`" in staff["responses"]["400"]["description"]
    assert {p["name"]: p["required"] for p in staff["parameters"]} == {
        "communityId": True,
        "clusterId": True,
        "datetimeFrom": False,
        "datetimeTo": False,
        "formatType": False,
    }
    resident = paths["/api/resident/deal/list"]["get"]
    assert "`not a resident`" in resident["responses"]["400"]["description"]
    choose = paths["/api/resident/scenario/choose"]["post"]
    assert choose["security"] == [{"cookieAuth": [], "csrfCookie": [], "csrfHeader": []}]
    form = choose["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert form["required"] == ["communityId", "clusterId", "unitId"]
    assert "CSRF verification failed" in choose["responses"]["403"]["description"]
    misc = paths["/api/misc/scenario/update"]["post"]
    assert misc["security"] == [{}]
    form = misc["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    assert {"username", "account", "password", "communityId", "name", "data"} <= set(form["properties"])
    assert "Retry-After" in misc["responses"]["429"]["headers"]
    ingest = paths["/api/ccc/t/{token}/unitData"]["post"]
    assert ingest["security"] == [{"ingestToken": []}, {}]
    assert paths["/api/ccc/unitData"]["post"]["security"] == [{"ingestToken": []}]
    assert {"401", "413"} <= set(ingest["responses"])
    ess = paths["/api/ess/operating-sites/"]["get"]
    assert {"jwtAuth": []} in ess["security"] and {"apiKey": []} in ess["security"]


def test_the_legacy_switch_documents_get_for_the_mutating_calls(client, settings):
    settings.LEGACY_COMPAT = True
    paths = fetch_schema(client)["paths"]
    for path in ("/api/core/logout", "/api/resident/scenario/choose", "/api/staff/monitoring/job/activate"):
        assert set(paths[path]) == {"get", "post"}, path
        assert "security" in paths[path]["get"] and "csrfHeader" not in paths[path]["get"]["security"][0]
        parameters = {p["name"] for p in paths[path]["get"].get("parameters", [])}
        assert "requestBody" not in paths[path]["get"]
        assert parameters >= ({"communityId", "clusterId"} if "logout" not in path else set())


def test_a_view_that_does_not_describe_its_answer_is_left_out_of_the_schema():
    """So that the coverage test above fails for a new endpoint until it is described."""

    @api("GET")
    @staff_cluster
    def undescribed(request, community_id, cluster_id):
        """A view without ``describe``."""

    found = next(routes([route("api/new/<int:number>", undescribed)]))
    number = {"type": "integer", "minimum": 0}
    assert (found.path, found.path_schemas) == ("/api/new/{number}", (("number", number),))
    assert operations(found) == {}
    described = describe(answer=json_answer({"type": "object"}))(undescribed)
    operation = operations(replace(found, view=described))["get"]
    assert [p["name"] for p in operation["parameters"]] == ["number", "communityId", "clusterId"]
    assert "`staff required`" in operation["responses"]["403"]["description"]
