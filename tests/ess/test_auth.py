"""Authentication of the ESS API: JWT tokens, staff-issued API keys, per-user throttling, OpenAPI docs."""

import pytest
from django.core.cache import cache
from rest_framework.throttling import UserRateThrottle

from apis.ess.models import ApiKey

URL = "/api/ess/operating-sites/1/pcs/?page_size=1"


def test_jwt_token_from_api_token_opens_the_api(client, ess_sites, django_user_model):
    django_user_model.objects.create_user("scientist", password="long-secret-42")
    tokens = client.post("/api/token/", {"username": "scientist", "password": "long-secret-42"}).json()
    assert client.get(URL, HTTP_AUTHORIZATION=f"Bearer {tokens['access']}").status_code == 200
    refreshed = client.post("/api/token/refresh/", {"refresh": tokens["refresh"]}).json()
    assert client.get(URL, HTTP_AUTHORIZATION=f"Bearer {refreshed['access']}").status_code == 200
    assert client.get(URL, HTTP_AUTHORIZATION="Bearer not-a-token").status_code == 401


def test_api_key_issued_in_the_admin_works_until_revoked(client, ess_sites, admin_client, admin_user):
    added = admin_client.post(
        "/admin/ess/apikey/add/", {"user": admin_user.pk, "label": "script"}, follow=True
    )
    key = ApiKey.objects.get(label="script")
    shown = [str(m) for m in added.context["messages"]]
    secret = next(text.split(": ")[1].split(" ")[0] for text in shown if key.prefix in text)
    assert client.get(URL, HTTP_AUTHORIZATION=f"Api-Key {secret}").status_code == 200
    key.revoked = True
    key.save()
    answer = client.get(URL, HTTP_AUTHORIZATION=f"Api-Key {secret}")
    assert answer.status_code == 401 and answer.json()["exception type"] == "Authentication Failed"


def test_requests_beyond_the_rate_are_429_in_every_worker(researcher, ess_sites, monkeypatch):
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"ess": "3/min"})
    statuses = [researcher.get(URL).status_code for _ in range(3)]
    cache.clear()  # as in a worker that has not served this user yet: nothing counted in its memory
    refused = researcher.get(URL)
    assert statuses == [200, 200, 200]
    assert refused.status_code == 429 and 0 < int(refused["Retry-After"]) <= 60
    assert refused.json()["exception type"] == "Throttled"


@pytest.mark.django_db
def test_openapi_schema_and_offline_docs(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/ess/download/operating-sites/{operating_site_id}/{data_type}/" in paths
    operation_ids = [operation["operationId"] for item in paths.values() for operation in item.values()]
    assert len(operation_ids) == len(set(operation_ids))
    racks = "/api/ess/operating-sites/{operating_site_id}/banks/{bank_id}/racks/"
    assert (paths[racks]["get"]["operationId"], paths[racks + "{rack_id}/"]["get"]["operationId"]) == (
        "ess_racks_data",
        "ess_rack_data",
    )
    schemes = schema.json()["components"]["securitySchemes"]
    assert schemes["jwtAuth"]["scheme"] == "bearer"
    api_key = schemes["apiKey"]
    assert (api_key["type"], api_key["in"], api_key["name"]) == ("apiKey", "header", "Authorization")
    assert api_key["description"].startswith("`Api-Key <prefix>.<secret>`")
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"drf_spectacular_sidecar" in docs.content


@pytest.mark.django_db
def test_failed_token_logins_are_throttled_per_user_name_with_429(client, django_user_model, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    django_user_model.objects.create_user("scientist", password="long-secret-42")
    wrong = {"username": "scientist", "password": "guess"}
    assert [client.post("/api/token/", wrong).status_code for _ in range(3)] == [401, 401, 401]
    refused = client.post("/api/token/", {"username": "scientist", "password": "long-secret-42"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    body = refused.json()
    assert body["code"] == "429" and body["exception type"] == "Throttled"
    assert body["message"].startswith("too many failed logins")
    other = django_user_model.objects.create_user("colleague", password="other-secret-7")
    answer = client.post("/api/token/", {"username": other.username, "password": "other-secret-7"})
    assert answer.status_code == 200 and "access" in answer.json()
