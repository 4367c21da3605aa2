"""Scenario and policy acquisition (apis-ecosystem §1.4, §1.5). The Java ccc answers apis-main's requests on
the event bus; this ccc asks for every unit itself and writes the answer to the unit's file, which apis-main
reads: over HTTP, the form POST apis-ccc makes to ``/api/misc/scenario/currentData`` (``/policy/``); for
scenarios with ``useS3``, the newest of today's objects ``<folderName>/<filePrefix><unitId>_<yyyyMMdd>…``.

A JSON object answer is written atomically to the unit's file; an empty HTTP answer removes the file
(apis-main then falls back to its own); a failure leaves the file as it was."""

import json
import logging
from datetime import date
from pathlib import Path

import httpx

from apis.ccc.config import Acquisition, S3Target, UnitAccount
from apis.ccc.fetch import TooLarge, describe, printable, read_limited
from apis.ccc.spool import write_atomically
from apis.core import jsonlimits

log = logging.getLogger("jp.co.sony.csl.dcoes.apis.tools.ccc.Acquisition")
MAX_DOCUMENT_BYTES = 1024 * 1024


def _http(
    client: httpx.Client, what: Acquisition, unit: UnitAccount, community_id: str, cluster_id: str
) -> bytes:
    form = {
        "account": unit.account,
        "password": unit.password,
        "communityId": community_id,
        "clusterId": cluster_id,
        "unitId": unit.unit_id,
        "isMD5Password": "true",
    }
    endpoint = what.endpoint
    with client.stream("POST", endpoint.url, data=form, timeout=endpoint.timeout) as answer:
        body = read_limited(answer, MAX_DOCUMENT_BYTES)
        if answer.status_code != 200:
            text = printable(body.decode("utf-8", "replace").strip())
            raise ValueError(f"http post failed : {answer.status_code} : {endpoint.shown} : {text}")
    return body


def _s3(target: S3Target, unit: UnitAccount, today: date) -> bytes:
    """The greatest key of today under ``<folder>/<prefix><unitId>_`` (the Java ccc's choice)."""
    import boto3

    client = boto3.client(
        "s3",
        aws_access_key_id=target.access_key,
        aws_secret_access_key=target.secret_access_key,
        region_name=target.region,
        endpoint_url=target.endpoint_url,
    )
    prefix = (
        f"{target.folder}/{target.prefix}{unit.unit_id}_"
        if target.folder
        else f"{target.prefix}{unit.unit_id}_"
    )
    day = today.strftime("%Y%m%d")
    keys = [
        item["Key"]
        for page in client.get_paginator("list_objects_v2").paginate(
            Bucket=target.bucket, Prefix=prefix, Delimiter="/"
        )
        for item in page.get("Contents", [])
        if item["Key"][len(prefix) : len(prefix) + 8] == day
    ]
    if not keys:
        raise ValueError(f"Object does not exist ; s3://{target.bucket}/{prefix}{day}…")
    answer = client.get_object(Bucket=target.bucket, Key=max(keys))
    if answer.get("ContentLength", 0) > MAX_DOCUMENT_BYTES:
        raise TooLarge(f"s3://{target.bucket}/{max(keys)} is larger than {MAX_DOCUMENT_BYTES} bytes")
    return answer["Body"].read(MAX_DOCUMENT_BYTES + 1)


def acquire(
    client: httpx.Client,
    what: Acquisition,
    unit: UnitAccount,
    community_id: str,
    cluster_id: str,
    today: date,
) -> str:
    """Fetch one unit's document and update its file; returns ``written``, ``removed`` or ``unchanged``.
    Raises ``httpx.HTTPError``, ``ValueError`` or a boto3 error (logged by the caller) on failure."""
    if what.s3 is not None:
        body = _s3(what.s3, unit, today)
    else:
        body = _http(client, what, unit, community_id, cluster_id)
    if len(body) > MAX_DOCUMENT_BYTES:
        raise TooLarge(f"document larger than {MAX_DOCUMENT_BYTES} bytes")
    path = Path(what.file.replace("{unitId}", unit.unit_id))
    if not body.strip():
        if path.exists():
            path.unlink()
            return "removed"
        return "unchanged"
    document = jsonlimits.loads(body)
    if not isinstance(document, dict):
        raise ValueError("the answer is not a JSON object")
    content = json.dumps(document, indent=2).encode()
    if path.exists() and path.read_bytes() == content:
        return "unchanged"
    write_atomically(path, content)
    return "written"


def acquire_all(
    client: httpx.Client,
    what: Acquisition,
    units: list[UnitAccount],
    community_id: str,
    cluster_id: str,
    today: date,
) -> None:
    """One round over every unit; failures are logged at SEVERE and leave the unit's file as it was."""
    for unit in units:
        try:
            result = acquire(client, what, unit, community_id, cluster_id, today)
        except Exception as exc:  # httpx, boto3/botocore, JSON and file errors alike: this unit waits a round
            log.error("Communication failed with ServiceCenter ; %s : %s", unit.unit_id, describe(exc))
            continue
        if result != "unchanged":
            log.info("%s %s for %s", what.file.replace("{unitId}", unit.unit_id), result, unit.unit_id)
