"""MongoDB documents as the original system stored them (reference §3.2, apis-ecosystem §2.3), and
writers of the files ``mongodump`` and ``mongoexport`` produce from them."""

import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path

import bson
from bson import Int64, ObjectId, json_util

from apis.core.timeparse import parse_apis_time
from tests.payloads import CLUSTER, COMMUNITY, deal_doc, unit_doc

START = datetime(2020, 1, 1, 3, 0, tzinfo=UTC)


def unit_data(unit_id: str = "E001", at: datetime = START, effective: str = "autonomous", **kwargs) -> dict:
    """A ``unitData`` document: ``time`` a BSON date, ``datasetId`` a long, as apis-ccc inserts it."""
    document = unit_doc(unit_id=unit_id, effective=effective, **kwargs)
    document.update(time=at, datasetId=Int64(int(at.timestamp() * 1000)))
    return {"_id": ObjectId(), **document}


def _dates(value: object, key: str = "") -> object:
    if isinstance(value, dict):
        return {k: _dates(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates(item) for item in value]
    if key.endswith("DateTime") or key == "dateTime":
        return parse_apis_time(value)
    return value


def deal(deal_id: str = "d-0001", **kwargs) -> dict:
    """A ``deal`` document: every ``*DateTime`` a BSON date (null for ``--``), ``reportTime`` a long."""
    document = _dates(deal_doc(deal_id=deal_id, **kwargs))
    document["reportTime"] = Int64(document["reportTime"])
    return {"_id": ObjectId(), **document}


def log(
    message: str = "uri : /dcdc/get", at: datetime = START, unit_id: str | None = "E001", **kwargs
) -> dict:
    """An ``apisLog`` document of an apis-main line."""
    return {
        "_id": ObjectId(),
        "address": "192.168.0.11:51234",
        "communityId": COMMUNITY,
        "clusterId": CLUSTER,
        "programId": "apis-main",
        "unitId": unit_id,
        "unitname": unit_id,
        "thread": "vert.x-eventloop-thread-0",
        "datetime": at,
        "loglevel": "INFO",
        "loggername": "jp.co.sony.csl.dcoes.apis.main.app.controller.DataCollection",
        "message": message,
        **kwargs,
    }


def downtime(unit_id: str, down: datetime, recovery: datetime | None) -> dict:
    return {
        "_id": ObjectId(),
        "communityId": COMMUNITY,
        "clusterId": CLUSTER,
        "unitId": unit_id,
        "downDateTime": down,
        "recoveryDateTime": recovery,
    }


def status(unit_id: str, last_time: datetime) -> dict:
    return {
        "_id": ObjectId(),
        "communityId": COMMUNITY,
        "clusterId": CLUSTER,
        "unitId": unit_id,
        "lastTime": last_time,
    }


def every(seconds: int, count: int, start: datetime = START) -> list[datetime]:
    return [start + timedelta(seconds=seconds * n) for n in range(count)]


def write_bson(path: Path, documents: list) -> Path:
    """A ``mongodump`` file (``.gz``: as with ``--gzip``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = b"".join(bson.encode(document) for document in documents)
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


def write_json_lines(path: Path, documents: list, mode=json_util.JSONMode.RELAXED) -> Path:
    """A ``mongoexport`` file: one extended-JSON document per line."""
    options = json_util.JSONOptions(json_mode=mode)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json_util.dumps(d, json_options=options) + "\n" for d in documents))
    return path


def write_json_array(path: Path, documents: list) -> Path:
    """A ``mongoexport --jsonArray --pretty`` file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json_util.dumps(documents, indent=2, json_options=json_util.CANONICAL_JSON_OPTIONS))
    return path
