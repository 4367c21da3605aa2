"""The world the API fuzzer runs in: the demo registry, a little real data, an ingest token, ESS sites, and
the callers (one per role) with the credentials each sends.

Unit data and deals are stored through the real ingest endpoint; failures and downtimes, which only
``apis jobs`` writes, as the rows it writes. Demo passwords are re-hashed with Django's fast test hasher,
so that the many generated credential checks cost microseconds, not a PBKDF2 run each.
"""

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken, Token

from apis.community.models import Cluster
from apis.downtime.models import Downtime, DowntimeStatus
from apis.ingest.models import IngestToken, hash_token
from apis.monitoring.models import Failure
from tests.payloads import CLUSTER, COMMUNITY, deal_doc, unit_doc

UNITS = ("E001", "E002", "E003", "E004")
# The day of the seeded history: the day of the schema's example periods.
DAY = datetime(2020, 1, 1, tzinfo=UTC)
ROLES = ("anonymous", "staff", "resident", "nonresident", "ingest", "ess")
FAST_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"
# The demo cluster's ingest token (fixed, so that the generator's dictionary can offer it in paths).
INGEST_TOKEN = "apis_fuzz-demo-cluster-token-0123456789"
# The ESS user: the demo's ``nonresident`` (its primary key is fixed by the fixture), and its JWTs.
ESS_USER_PK = 2


def _jwt(token: Token) -> str:
    token[api_settings.USER_ID_CLAIM] = ESS_USER_PK
    return str(token)


REFRESH_TOKEN = _jwt(RefreshToken())


@dataclass(frozen=True)
class World:
    """What the seeded database holds that callers need: the ingest token and an ESS access JWT."""

    ingest_token: str
    ess_jwt: str


def _apis_time(moment) -> str:
    return timezone.localtime(moment).strftime("%Y/%m/%d-%H:%M:%S")


def _post(client: Client, path: str, token: str, documents: list[dict]) -> None:
    response = client.post(
        path, documents, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 200, response.content


def seed() -> World:
    """Seed the test database (the demo registry is loaded already) and return what the callers need."""
    users = get_user_model().objects
    for user in users.all():
        user.set_password(user.username)
        user.save(update_fields=["password"])
    token = INGEST_TOKEN
    cluster = Cluster.objects.get(community__code=COMMUNITY, code=CLUSTER)
    IngestToken.objects.create(cluster=cluster, label="fuzz", token_hash=hash_token(token), hint=token[:12])
    client = Client()
    for cycle in range(3):
        moment = DAY + timedelta(minutes=10 * cycle)
        dataset = int(moment.timestamp() * 1000)
        _post(client, "/api/ccc/unitData", token, [unit_doc(u, _apis_time(moment), dataset) for u in UNITS])
    deals = [
        deal_doc(
            f"d-{i}", int(time.time()), _apis_time(DAY + timedelta(hours=i)), UNITS[i % 4], UNITS[(i + 1) % 4]
        )
        for i in range(4)
    ]
    _post(client, "/api/ccc/deal", token, deals)
    for unit in UNITS[:2]:
        DowntimeStatus.objects.create(
            community_id=COMMUNITY, cluster_id=CLUSTER, unit_id=unit, last_time=DAY + timedelta(hours=4)
        )
        Downtime.objects.create(
            community_id=COMMUNITY,
            cluster_id=CLUSTER,
            unit_id=unit,
            down_datetime=DAY + timedelta(hours=2),
            recovery_datetime=DAY + timedelta(hours=3),
        )
    Failure.objects.create(
        type="apis_main_alive",
        community_id=COMMUNITY,
        cluster_id=CLUSTER,
        program_id="apis-main",
        unit_id="E003",
    )
    Failure.objects.create(
        type="apis_ccc_severe",
        community_id=COMMUNITY,
        cluster_id=CLUSTER,
        program_id="apis-ccc",
        detected=DAY + timedelta(hours=1),
        closed=DAY + timedelta(hours=4),
        description="a SEVERE line",
    )
    assert users.get(pk=ESS_USER_PK).username == "nonresident"
    return World(ingest_token=token, ess_jwt=_jwt(AccessToken()))


@dataclass
class Caller:
    """A role's credentials, added to every generated request: a fresh session of the role's user (a
    generated ``logout`` or ``login`` must not end the role for the following requests), the ingest token
    or the ESS JWT as Bearer, and a valid CSRF cookie and header, so that mutating calls reach the view."""

    role: str
    csrf: str
    username: str | None = None
    bearer: str | None = None

    def credentials(self) -> tuple[dict[str, str], dict[str, str]]:
        """The headers and cookies of the next request."""
        headers, cookies = {"X-CSRFToken": self.csrf}, {"csrftoken": self.csrf}
        if self.username:
            client = Client()
            client.force_login(get_user_model().objects.get(username=self.username))
            cookies["sessionid"] = client.cookies["sessionid"].value
        if self.bearer:
            headers["Authorization"] = f"Bearer {self.bearer}"
        return headers, cookies


def caller(role: str, world: World) -> Caller:
    """The caller of ``role`` (one of :data:`ROLES`)."""
    csrf = Client().get("/api/core/csrftoken").cookies["csrftoken"].value
    users = {"staff": "admin", "resident": "e001", "nonresident": "nonresident"}
    bearers = {"ingest": world.ingest_token, "ess": world.ess_jwt}
    return Caller(role, csrf, users.get(role), bearers.get(role))
