"""``apis manage ingest_token create|list|revoke``."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from apis.ingest.models import IngestToken, hash_token
from tests.payloads import CLUSTER, COMMUNITY, unit_doc


def manage(*args: str) -> list[str]:
    """Run the command; returns its output lines."""
    out = io.StringIO()
    call_command("ingest_token", *args, stdout=out)
    return out.getvalue().splitlines()


def test_created_token_is_the_last_line_and_works_against_the_endpoint(demo_registry):
    lines = manage("create", COMMUNITY, CLUSTER, "--label", "ccc of oss_cluster")
    token = lines[-1]

    response = Client().post(
        "/api/ccc/unitData",
        data=json.dumps([unit_doc()]),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert len(lines) == 2 and CLUSTER in lines[0]
    assert response.status_code == 200
    assert response.json() == {"stored": 1, "skipped": 0, "rejected": []}
    row = IngestToken.objects.get()
    assert row.token_hash == hash_token(token) and row.label == "ccc of oss_cluster"
    assert token not in (row.token_hash, row.hint)


def test_create_for_an_unknown_cluster_fails_clearly(demo_registry):
    with pytest.raises(CommandError, match="no cluster oss_community/nowhere"):
        manage("create", COMMUNITY, "nowhere")

    assert not IngestToken.objects.exists()


def test_list_shows_active_tokens_and_all_with_the_flag(demo_registry):
    manage("create", COMMUNITY, CLUSTER, "--label", "kept")
    manage("create", COMMUNITY, CLUSTER, "--label", "dropped")
    dropped = IngestToken.objects.get(label="dropped")
    manage("revoke", str(dropped.pk))

    active = manage("list")
    everything = manage("list", "--all")

    assert active[0].split() == [
        "id",
        "hint",
        "community/cluster",
        "label",
        "created",
        "last",
        "used",
        "revoked",
    ]
    assert [line.split()[3] for line in active[1:]] == ["kept"]
    assert [line.split()[3] for line in everything[1:]] == ["kept", "dropped"]
    assert everything[2].split()[1] == dropped.hint
    assert everything[2].split()[2] == f"{COMMUNITY}/{CLUSTER}"
    assert everything[1].split()[-1] == "-" and everything[2].split()[-1].endswith("Z")


def test_revoked_token_no_longer_authenticates(demo_registry):
    token = manage("create", COMMUNITY, CLUSTER)[-1]
    row = IngestToken.objects.get()

    output = manage("revoke", str(row.pk))
    response = Client().post(
        f"/api/ccc/t/{token}/unitData", data=json.dumps([unit_doc()]), content_type="application/json"
    )

    assert output == [f"ingest token {row.pk} ({row.hint}…) revoked"]
    assert response.status_code == 401
    assert "already revoked" in manage("revoke", str(row.pk))[0]


def test_revoke_of_an_unknown_id_fails_clearly(demo_registry):
    with pytest.raises(CommandError, match="no ingest token with id 999"):
        manage("revoke", "999")


def test_admin_lists_tokens_and_revokes_the_selected_ones(staff):
    manage("create", COMMUNITY, CLUSTER, "--label", "in the admin")
    row = IngestToken.objects.get()

    listing = staff.get("/admin/ingest/ingesttoken/")
    adding = staff.get("/admin/ingest/ingesttoken/add/")
    revoking = staff.post(
        "/admin/ingest/ingesttoken/", {"action": "revoke", "_selected_action": [row.pk]}, follow=True
    )

    assert listing.status_code == 200 and row.hint in listing.content.decode()
    assert adding.status_code == 403
    assert "1 token(s) revoked." in revoking.content.decode()
    assert IngestToken.objects.get().revoked is not None
