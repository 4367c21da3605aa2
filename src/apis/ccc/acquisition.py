"""Scenario and policy acquisition (apis-ecosystem §1.4, §1.5): for every unit, the form POST apis-ccc
makes to ``/api/misc/scenario/currentData`` (``/policy/``); a JSON object answer is written atomically to
the unit's file, an empty answer removes the file (apis-main then falls back to its own)."""

import json
import logging
import os
from pathlib import Path

import httpx

from apis.ccc.config import Acquisition, UnitAccount

log = logging.getLogger("jp.co.sony.csl.dcoes.apis.tools.ccc.Acquisition")


def write_atomically(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` through a temporary file, fsync and rename (readers see old or new)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "wb") as file:
        file.write(content)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)


def acquire(
    client: httpx.Client, what: Acquisition, unit: UnitAccount, community_id: str, cluster_id: str
) -> str:
    """Fetch one unit's document and update its file; returns ``written``, ``removed`` or ``unchanged``.
    Raises ``httpx.HTTPError`` or ``ValueError`` (logged by the caller) on failure."""
    form = {
        "account": unit.account,
        "password": unit.password,
        "communityId": community_id,
        "clusterId": cluster_id,
        "unitId": unit.unit_id,
        "isMD5Password": "true",
    }
    answer = client.post(what.endpoint.url, data=form, timeout=what.endpoint.timeout)
    if answer.status_code != 200:
        raise ValueError(f"http post failed : {answer.status_code} : {answer.text[:200]}")
    path = Path(what.file.replace("{unitId}", unit.unit_id))
    if not answer.content.strip():
        if path.exists():
            path.unlink()
            return "removed"
        return "unchanged"
    document = json.loads(answer.content)
    if not isinstance(document, dict):
        raise ValueError("the answer is not a JSON object")
    content = json.dumps(document, indent=2).encode()
    if path.exists() and path.read_bytes() == content:
        return "unchanged"
    write_atomically(path, content)
    return "written"


def acquire_all(
    client: httpx.Client, what: Acquisition, units: list[UnitAccount], community_id: str, cluster_id: str
) -> None:
    """One round over every unit; failures are logged at SEVERE and leave the unit's file as it was."""
    for unit in units:
        try:
            result = acquire(client, what, unit, community_id, cluster_id)
        except (httpx.HTTPError, ValueError) as exc:
            log.error("Communication failed with ServiceCenter ; %s : %s", unit.unit_id, exc)
            continue
        if result != "unchanged":
            log.info("%s %s for %s", what.file.replace("{unitId}", unit.unit_id), result, unit.unit_id)
