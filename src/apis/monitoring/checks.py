"""The six monitoring checks of reference §7.3, evaluated for every active cluster at once.

A pass of one job type costs a constant number of queries whatever the number of clusters and units:
the active job settings, the available units, one query over the log window ``now - interval <= datetime
<= now + APIS_LOG_CLOCK_SKEW_SEC`` and the open failures of the type. The upper bound keeps a line dated in
the future (stored before the collector clamped times, or imported) from counting for ever. Exact message
prefixes are compared with ``Substr`` (SQLite's ``LIKE`` ignores case); the blocked-thread limit and the ccc
exclusion rule are applied here in Python to the few candidate rows, in time linear in each message and
without any value of a row being able to raise.
"""

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Case, Count, F, Q, When
from django.db.models.functions import Substr
from django.utils import timezone

from apis.apis_log.models import ApisLog
from apis.community.models import Unit
from apis.community.outline import available_at
from apis.core.timeparse import local_zone
from apis.monitoring.models import JobSetting

# (community, cluster, program, unit): the identity of a failure within its type.
Key = tuple[str, str, str | None, str | None]
Cluster = tuple[str, str]

NOT_RUNNING = "The program may not be running."
NO_GRID_MASTER = "The GridMaster service may not be running."
BLOCKED_LOGGER = "io.vertx.core.impl.BlockedThreadChecker"
# Vert.x writes the duration in ASCII digits. A number with more significant digits than MAX_MSEC_DIGITS
# (10**18 ms is 31 million years) is over any limit without being converted.
_BLOCKED = re.compile(r" has been blocked for ([0-9]+) ms")
MAX_MSEC_DIGITS = 18
# The original's regex ``(NO_HANDLERS|TIMEOUT).* apis.GridMaster.data.all`` (dots unescaped, ``.`` not
# matching a newline), evaluated as: a keyword, then later on the same line the address pattern.
_CCC_KEYWORDS = ("NO_HANDLERS", "TIMEOUT")
_GRID_MASTER_DATA = re.compile(r" apis.GridMaster.data.all")
_LOGGER_HINTS = (("com.hazelcast.", "Clustering Manager failure ; "), ("io.vertx.", "Vert.x failure ; "))


@dataclass(frozen=True)
class JobType:
    """One monitoring job type: the program it watches, its scope and the rule it applies."""

    name: str
    program: str | None
    per_unit: bool
    alive_prefix: str | None = None
    blocked_check: bool = False
    description: str = NOT_RUNNING

    @property
    def failure_program(self) -> str | None:
        """The ``program_id`` of this type's failures (grid_master_alive has none)."""
        return None if self.name == "grid_master_alive" else self.program


JOB_TYPES: dict[str, JobType] = {
    job.name: job
    for job in (
        JobType("apis_main_alive", "apis-main", True, alive_prefix="uri : ", blocked_check=True),
        JobType("apis_ccc_alive", "apis-ccc", False, alive_prefix="reporting unit data", blocked_check=True),
        JobType("grid_master_alive", "apis-main", False, "gridMasterUnitId : ", description=NO_GRID_MASTER),
        JobType("apis_main_severe", "apis-main", True),
        JobType("apis_ccc_severe", "apis-ccc", False),
        JobType("apis_log_severe", "apis-log", False),
    )
}


@dataclass
class Evaluation:
    """The outcome of one pass: active clusters, the identities watched now and the NG ones."""

    active: set[Cluster]
    watched: set[Key]
    ng: dict[Key, str]


def evaluate(job: JobType, now: datetime | None = None) -> Evaluation:
    """Evaluate ``job`` for every cluster where it is active, as of ``now``."""
    now = now or timezone.now()
    active = set(
        JobSetting.objects.filter(type=job.name, is_active=True).values_list("community_id", "cluster_id")
    )
    units = Unit.objects.filter(available_at(now)).values_list(
        "cluster__community__code", "cluster__code", "code"
    )
    watched: set[Key] = set()
    for community_id, cluster_id, unit_id in units.iterator(chunk_size=5000):
        if (community_id, cluster_id) in active:
            watched.add((community_id, cluster_id, job.failure_program, unit_id if job.per_unit else None))
    window = (
        now - timedelta(seconds=settings.MONITORING_INTERVALS[job.name]),
        now + timedelta(seconds=settings.LOG_CLOCK_SKEW_SEC),
    )
    ng = _alive_failures(job, window, watched) if job.alive_prefix else _severe_failures(job, window, watched)
    return Evaluation(active, watched, ng)


def _key(job: JobType, community_id: str, cluster_id: str, unit_id: str | None) -> Key:
    return (community_id, cluster_id, job.failure_program, unit_id if job.per_unit else None)


def _alive_failures(job: JobType, window: tuple[datetime, datetime], watched: set[Key]) -> dict[Key, str]:
    """NG when no INFO line with the exact prefix arrived, or a thread was blocked beyond the limit.

    One grouped query: per cluster (or unit), the number of alive lines, plus one group per distinct
    blocked-thread warning message (the only rows whose text is fetched)."""
    prefix = job.alive_prefix or ""
    alive = Q(loglevel="INFO", head=prefix)
    blocked = Q(loglevel="WARNING", loggername=BLOCKED_LOGGER)
    logs = ApisLog.objects.filter(datetime__range=window, program_id=job.program).alias(
        head=Substr("message", 1, len(prefix))
    )
    logs = logs.filter(alive | blocked) if job.blocked_check else logs.filter(alive)
    logs = logs.annotate(blocked_message=Case(When(blocked, then=F("message")), default=None))
    scope = ["community_id", "cluster_id", "unit_id"] if job.per_unit else ["community_id", "cluster_id"]
    rows = logs.order_by().values(*scope, "blocked_message").annotate(lines=Count("pk"))
    seen: set[Key] = set()
    blocked_keys: set[Key] = set()
    limit = settings.THREAD_BLOCKING_LIMIT_MSEC
    for row in rows:
        key = _key(job, row["community_id"], row["cluster_id"], row.get("unit_id"))
        if row["blocked_message"] is None:
            seen.add(key)
        elif _blocked_over(row["blocked_message"], limit):
            blocked_keys.add(key)
    return {key: job.description for key in watched if key not in seen or key in blocked_keys}


def _blocked_over(message: str, limit_msec: int) -> bool:
    """Whether a BlockedThreadChecker message reports a block longer than ``limit_msec``."""
    match = _BLOCKED.search(message or "")
    if match is None:
        return False
    digits = match.group(1).lstrip("0")
    return len(digits) > MAX_MSEC_DIGITS or int(digits or "0") > limit_msec


def ccc_noise(message: str) -> bool:
    """Whether an apis-ccc SEVERE message is the GridMaster data polling noise the original ignores."""
    for line in message.split("\n"):
        ends = [line.find(word) + len(word) for word in _CCC_KEYWORDS if word in line]
        if ends and _GRID_MASTER_DATA.search(line, min(ends)):
            return True
    return False


def strip_stack_element(message: str) -> str:
    """A single-line message without the ``" [<stack element>]"`` apis-main appends (the original's
    ``(^.*)(?: \\[.*\\]$)``: everything before the last ``" ["`` when the line ends with ``]``)."""
    start = message.rfind(" [")
    if start < 0 or "\n" in message or not message.endswith("]"):
        return message
    return message[:start]


def _severe_failures(job: JobType, window: tuple[datetime, datetime], watched: set[Key]) -> dict[Key, str]:
    """NG when a SEVERE line of the program arrived (ccc: except the GridMaster data polling noise)."""
    rows = (
        ApisLog.objects.filter(datetime__range=window, program_id=job.program, loglevel="SEVERE")
        .order_by("datetime", "pk")
        .values_list("community_id", "cluster_id", "unit_id", "datetime", "loggername", "message")
    )
    lines: dict[Key, list[str]] = defaultdict(list)
    for community_id, cluster_id, unit_id, moment, loggername, message in rows.iterator(chunk_size=2000):
        key = _key(job, community_id, cluster_id, unit_id)
        if key not in watched:
            continue
        if job.name == "apis_ccc_severe" and ccc_noise(message or ""):
            continue
        lines[key].append(severe_line(job.name, moment, loggername, message))
    return {key: severe_description(found) for key, found in lines.items()}


def severe_line(job_name: str, moment: datetime, loggername: str | None, message: str | None) -> str:
    """``[<local time>] <message>`` with the original's decorations (stack element strip, logger hints)."""
    text = message or ""
    if job_name == "apis_main_severe":
        text = strip_stack_element(text)
    for logger_prefix, hint in _LOGGER_HINTS:
        if (loggername or "").startswith(logger_prefix):
            text = hint + text
            break
    return f"[{local_time(moment)}] {text}"


def severe_description(lines: Iterable[str]) -> str:
    """``There seems to be a problem.``, a blank line, then one line per SEVERE log in time order."""
    return "\n".join(["There seems to be a problem.", "", *lines])


def local_time(moment: datetime) -> str:
    """A time as the original prints it: in ``APIS_TIME_ZONE``, Python ``str()`` form."""
    return str(moment.astimezone(local_zone()))
