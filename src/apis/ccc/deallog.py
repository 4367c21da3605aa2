"""Deal-log acquisition (apis-ecosystem §1.6): once a day at ``executionTime``, the deals whose
``stopDateTime`` lies in ``[yesterday + acquisitionTime, today + acquisitionTime)`` are collected from the
deal-log directories apis-main writes (one per node; the newest copy of each deal, see ``dealfiles``) and
stored as one JSON array, key ``<folderName>/<filePrefix><yyyyMMddHHmm><fileExtension>``, on S3 or in a
directory."""

import json
import logging
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from pathlib import Path

from apis.ccc import dealfiles
from apis.ccc.config import DealLog
from apis.ccc.reports import local_time
from apis.ccc.spool import write_atomically

log = logging.getLogger("jp.co.sony.csl.dcoes.apis.tools.ccc.DeallogAcquisition")


def _clock(text: str) -> time:
    return time(int(text[:2]), int(text[2:4]), int(text[4:6]))


def window(now: datetime, acquisition: str) -> tuple[datetime, datetime]:
    """``[yesterday + acquisition, today + acquisition)`` of ``now``'s day (naive local times)."""
    end = datetime.combine(now.date(), _clock(acquisition))
    return end - timedelta(days=1), end


def next_run(now: datetime, execution: str) -> datetime:
    """The next ``execution`` time strictly after ``now`` (same zone)."""
    candidate = datetime.combine(now.date(), _clock(execution), now.tzinfo)
    return candidate if candidate > now else candidate + timedelta(days=1)


def collect(roots: Iterable[Path], start: datetime, end: datetime) -> list[dict]:
    """The deals in the directories ``roots`` stopped in ``[start, end)``, ordered by stop time."""
    found = []
    for deal in dealfiles.collect(roots).values():
        try:
            stopped = local_time(deal.get("stopDateTime"))
        except ValueError:
            continue
        if stopped is not None and start <= stopped < end:  # "--": aborted before it started
            found.append((stopped, deal))
    return [deal for _, deal in sorted(found, key=lambda pair: pair[0])]


def upload(config: DealLog, key: str, body: bytes) -> str:
    """Store ``body`` under ``key``; returns where it went."""
    if config.directory is not None:
        path = config.directory / key
        write_atomically(path, body)
        return str(path)
    import boto3

    s3 = config.s3
    client = boto3.client(
        "s3",
        aws_access_key_id=s3.access_key,
        aws_secret_access_key=s3.secret_access_key,
        region_name=s3.region,
        endpoint_url=s3.endpoint_url,
    )
    client.put_object(Bucket=s3.bucket, Key=key, Body=body, ContentType="application/json")
    return f"s3://{s3.bucket}/{key}"


def run_once(config: DealLog, roots: Iterable[Path], now: datetime) -> str:
    """Collect the window of ``now`` (local, naive) and upload it; returns the location."""
    start, end = window(now, config.acquisition)
    deals = collect(roots, start, end)
    key = f"{config.folder}/{config.prefix}{now:%Y%m%d%H%M}{config.extension}".lstrip("/")
    where = upload(config, key, json.dumps(deals).encode())
    log.info("deallog acquired : %d deals from %s to %s → %s", len(deals), start, end, where)
    return where
