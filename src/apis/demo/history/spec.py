"""What to generate (``HistorySpec``), what was generated (``Summary``), and the clock of the simulation."""

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

STEP_SEC = 30  # the reporting cycle of the unit data
COMMUNITY = ("oss_community", "OSS Community")
FIRST_CLUSTER = ("oss_cluster", "OSS Cluster")
DEAL_CURRENT_A = 2.0  # every deal's grid current


@dataclass(frozen=True)
class HistorySpec:
    """What to generate: ``days`` of history ending at ``end`` (aware, a multiple of 30 s)."""

    end: datetime
    days: int = 7
    clusters: int = 1
    units: int = 4
    seed: int = 0

    @property
    def steps(self) -> int:
        return self.days * 86400 // STEP_SEC

    def cluster_codes(self) -> list[str]:
        return [FIRST_CLUSTER[0]] + [f"cluster_{n:03d}" for n in range(2, self.clusters + 1)]

    def unit_codes(self) -> list[str]:
        return [f"E{n:03d}" for n in range(1, self.units + 1)]


def default_end(now: datetime | None = None) -> datetime:
    """``now`` (default: the current time) rounded down to a 30-second reporting cycle."""
    stamp = int((now or datetime.now(UTC)).timestamp())
    return datetime.fromtimestamp(stamp - stamp % STEP_SEC, UTC)


@dataclass(frozen=True)
class Summary:
    """What ``generate_history`` did."""

    rows: int
    deals: int
    seconds: float


@dataclass(frozen=True)
class Moment:
    """One step of the simulation: its POSIX time, the same instant in APIS local time, and its APIS time text
    (``yyyy/MM/dd-HH:mm:ss``, local)."""

    stamp: int
    local: datetime
    text: str

    @classmethod
    def at(cls, stamp: int, zone: tzinfo) -> "Moment":
        local = datetime.fromtimestamp(stamp, zone)
        return cls(stamp, local, local.strftime("%Y/%m/%d-%H:%M:%S"))

    @property
    def hour(self) -> float:
        """The local time of day in hours."""
        return self.local.hour + self.local.minute / 60 + self.local.second / 3600
