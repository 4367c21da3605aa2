"""Latency of read endpoints: sequential GETs from one logged-in client, p50/p95 in milliseconds."""

import math
import time

import httpx

from server import failure

STAFF = "/api/staff"
UNIT_DATA_ENDPOINTS = ("unitData/latestSet", "deal/liveList", "unitData/unitIdList")
DEAL_ENDPOINTS = ("deal/sumOfCumulateAmountWhsByHour", "deal/datetimeRange")
EXTRA_PARAMS = {"deal/sumOfCumulateAmountWhsByHour": {"timezone": "+09:00"}}


def _percentile(sorted_samples: list[float], fraction: float) -> float:
    return sorted_samples[max(0, math.ceil(fraction * len(sorted_samples)) - 1)]


def measure(client: httpx.Client, endpoint: str, params: dict, count: int) -> dict:
    """``count`` timed requests after one untimed one; p50/p95 (ms) and the size of the answer (items in the
    JSON object or array), or ``error`` when the endpoint does not answer 200."""
    path = f"{STAFF}/{endpoint}"
    params = params | EXTRA_PARAMS.get(endpoint, {})
    first = client.get(path, params=params)
    if first.status_code != 200:
        return {"error": failure(first)}
    samples = []
    for _ in range(count):
        began = time.perf_counter()
        answer = client.get(path, params=params)
        samples.append(time.perf_counter() - began)
        if answer.status_code != 200:
            return {"error": failure(answer)}
    samples.sort()
    return {
        "requests": count,
        "p50_ms": 1000 * _percentile(samples, 0.5),
        "p95_ms": 1000 * _percentile(samples, 0.95),
        "items": len(first.json()),
    }


def measure_all(client: httpx.Client, endpoints: tuple[str, ...], params: dict, count: int) -> dict:
    """``measure`` for each of ``endpoints`` with the same parameters."""
    return {endpoint: measure(client, endpoint, params, count) for endpoint in endpoints}
