"""Unit-data reporting (apis-ecosystem §1.2, §4): every period the grid master's unit data from apis-web's
``GET /get/log`` (an object keyed by unitId), one ``datasetId`` (epoch ms) for the cycle, into the spool.

apis-web answers with its last good copy while the grid master does not answer it; reported again, that copy
would look like fresh data from units that are gone. So a unit whose ``time`` has not moved since its last
report is not reported again (logged at WARNING)."""

import logging
import time
from zoneinfo import ZoneInfo

import httpx

from apis.ccc.fetch import describe, get_body, printable
from apis.ccc.reports import unit_data_report, unit_problem
from apis.ccc.spool import Spool, SpoolFull
from apis.core import jsonlimits

log = logging.getLogger("jp.co.sony.csl.dcoes.apis.tools.ccc.UnitDataReporting")
MAX_UNIT_DATA_BYTES = 32 * 1024 * 1024  # ~3 KB a unit


class UnitDataReporter:
    """One cycle per call of ``cycle``; ``reported_units`` counts the unit records spooled."""

    def __init__(
        self,
        client: httpx.Client,
        source_url: str,
        spool: Spool,
        community_id: str,
        cluster_id: str,
        zone: ZoneInfo,
    ) -> None:
        self.client, self.url, self.spool = client, f"{source_url}/get/log", spool
        self.community_id, self.cluster_id, self.zone = community_id, cluster_id, zone
        self.last_times: dict[str, str] = {}
        self.reported_units = 0

    def cycle(self) -> None:
        log.info("reporting unit data ...")
        try:
            body = get_body(self.client, self.url, MAX_UNIT_DATA_BYTES)
            collected = jsonlimits.loads(body)
        except (httpx.HTTPError, ValueError) as exc:
            log.error("Communication failed with apis-web ; %s : %s", self.url, describe(exc))
            return
        if not isinstance(collected, dict):
            log.warning("unit data is not a JSON object : %s", self.url)
            return
        if not collected:
            log.warning("unit data is empty")
            return
        log.info("size of unit data : %d", len(collected))
        units, unchanged = [], []
        may_hold_nul = b"\\u0000" in body
        for key, item in collected.items():
            problem = unit_problem(item, self.community_id, self.cluster_id, may_hold_nul)
            if problem is not None:
                log.warning("invalid unitData item : %s : %s", printable(key), problem)
            elif self.last_times.get(item["oesunit"]["id"]) == item["time"]:
                unchanged.append(item["oesunit"]["id"])
            else:
                units.append(item)
        if unchanged:
            log.warning(
                "unit data of %s unchanged since its last report (apis-web's last good copy while the "
                "GridMaster does not answer?) : not reported again",
                printable(", ".join(unchanged)),
            )
        log.info("size of filtered unit data : %d", len(units))
        if not units:
            return
        times = [(item["oesunit"]["id"], item["time"]) for item in units]  # before they become ISO 8601
        try:
            self.spool.put(unit_data_report(units, int(time.time() * 1000), self.zone))
        except SpoolFull:
            return
        self.last_times.update(times)
        self.reported_units += len(units)
