"""``config.json`` of the Python apis-ccc (example: ``docs/ccc-config.example.json``). Every problem raises
``ConfigError`` naming the key (``unitDataReporting.periodMsec: must be ≥ 1, got 0``).

The keys of the ccc spec (§6.1; endpoints as ``host``/``port``/``ssl``/``uri``, only ``type: http_post``),
plus what apis-main and the event bus provided to the Java ccc: ``source`` (``url`` of apis-web/the
emulator, ``dealLogDirectory``, ``units`` with each unit's ``account``/``password``), ``ingestToken``,
``spool`` (``directory``, ``maxFiles``, ``backoffMaxMsec``), ``timeZone`` of APIS local times, ``logUdp``
(``HOST:PORT`` of the log collector), ``scenarioAcquisition``/``policyAcquisition`` ``periodMsec`` and
``file`` (``{unitId}`` in the path), ``deallogAcquisition.target`` (``s3`` or ``directory``)."""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from apis.ccc.udplog import parse_address


class ConfigError(ValueError):
    """A missing or invalid key; ``str()`` names it."""


_MISSING = object()


class _Section:
    def __init__(self, data: object, path: str) -> None:
        if not isinstance(data, dict):
            raise ConfigError(f"{path or 'config'}: expected a JSON object")
        self.data, self.path = data, path

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def get(self, name: str, kind: type | tuple, default: object = _MISSING) -> object:
        value = self.data.get(name, _MISSING)
        if value is _MISSING:
            if default is _MISSING:
                raise ConfigError(f"{self.key(name)}: missing")
            return default
        if not isinstance(value, kind) or (isinstance(value, bool) and kind in (int, (int, float))):
            names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
            raise ConfigError(f"{self.key(name)}: expected {names}, got {value!r}")
        return value

    def text(self, name: str, default: object = _MISSING) -> str:
        value = self.get(name, str, default)
        if value == "" and default is _MISSING:
            raise ConfigError(f"{self.key(name)}: must not be empty")
        return value

    def number(self, name: str, default: object = _MISSING, minimum: float = 1) -> int:
        value = self.get(name, int, default)
        if value < minimum:
            raise ConfigError(f"{self.key(name)}: must be ≥ {minimum}, got {value}")
        return value

    def section(self, name: str, required: bool = True) -> "_Section | None":
        value = self.data.get(name)
        if value is None and not required:
            return None
        return _Section(self.get(name, dict), self.key(name))

    def enabled(self, default: bool) -> bool:
        return self.get("enabled", bool, default)


@dataclass(frozen=True)
class Endpoint:
    """An HTTP endpoint of the Service Center (or a watchdog daemon)."""

    url: str
    timeout: float
    period: float


@dataclass(frozen=True)
class UnitAccount:
    unit_id: str
    account: str
    password: str


@dataclass(frozen=True)
class Acquisition:
    """Scenario or policy acquisition: where to ask and which file (``{unitId}`` in the path) to write."""

    endpoint: Endpoint
    file: str


@dataclass(frozen=True)
class S3Target:
    access_key: str
    secret_access_key: str
    region: str
    endpoint_url: str
    bucket: str


@dataclass(frozen=True)
class DealLog:
    """Daily deal-log acquisition: window ``[yesterday+acquisition, today+acquisition)`` at ``execution``."""

    execution: str
    acquisition: str
    folder: str
    prefix: str
    extension: str
    s3: S3Target | None
    directory: Path | None


@dataclass(frozen=True)
class Config:
    program_id: str
    community_id: str
    cluster_id: str
    source_url: str
    deal_log_source: Path | None
    ingest_token: str
    time_zone: str
    spool_dir: Path
    spool_max_files: int
    backoff_max: float
    log_udp: str | None
    unit_data: Endpoint | None
    deals: Endpoint | None
    scenario: Acquisition | None
    policy: Acquisition | None
    deallog: DealLog | None
    watchdog: Endpoint | None
    units: list[UnitAccount] = field(default_factory=list)


def _endpoint(section: _Section, period_default: int | None) -> Endpoint:
    ssl = section.get("ssl", bool, False)
    host = section.text("host")
    port = section.number("port", 443 if ssl else 80)
    if port > 65535:
        raise ConfigError(f"{section.key('port')}: must be ≤ 65535, got {port}")
    uri = section.text("uri")
    if not uri.startswith("/"):
        raise ConfigError(f"{section.key('uri')}: must start with '/', got {uri!r}")
    period = section.number("periodMsec", period_default) if period_default else 0
    timeout = section.number("requestTimeoutMsec", 5000)
    return Endpoint(f"{'https' if ssl else 'http'}://{host}:{port}{uri}", timeout / 1000, period / 1000)


def _reporting(root: _Section, name: str) -> Endpoint | None:
    section = root.section(name)
    if not section.enabled(True):
        return None
    kind = section.get("type", str, "http_post")
    if kind != "http_post":
        raise ConfigError(f"{section.key('type')}: only http_post is supported, got {kind!r}")
    return _endpoint(section, 30000)


def _acquisition(root: _Section, name: str, default_enabled: bool) -> Acquisition | None:
    section = root.section(name, required=False)
    if section is None or not section.enabled(default_enabled):
        return None
    if section.get("useS3", bool, False):
        raise ConfigError(f"{section.key('useS3')}: S3 scenario acquisition is not supported; use HTTP")
    file = section.text("file")
    if "{unitId}" not in file:
        raise ConfigError(f"{section.key('file')}: must contain {{unitId}}")
    return Acquisition(_endpoint(section, 60000), file)


_HHMMSS = re.compile(r"^([01]\d|2[0-3])[0-5]\d[0-5]\d$")


def _deallog(root: _Section) -> DealLog | None:
    section = root.section("deallogAcquisition", required=False)
    if section is None or not section.enabled(True):
        return None
    times = {}
    for name in ("executionTime", "acquisitionTime"):
        times[name] = section.text(name)
        if not _HHMMSS.match(times[name]):
            raise ConfigError(f"{section.key(name)}: expected HHmmss, got {times[name]!r}")
    target = section.text("target")
    s3 = directory = None
    info = section.section("accessInfoS3", required=target == "s3")
    if target == "s3":
        s3 = S3Target(
            info.get("accessKey", str),
            info.get("secretAccessKey", str),
            info.text("regionName"),
            info.text("endpointUrl"),
            info.text("bucketName"),
        )
    elif target == "directory":
        directory = Path(section.text("directory"))
    else:
        raise ConfigError(f"{section.key('target')}: expected 's3' or 'directory', got {target!r}")
    names = info or _Section({}, section.key("accessInfoS3"))
    return DealLog(
        times["executionTime"],
        times["acquisitionTime"],
        names.get("folderName", str, "deal"),
        names.get("filePrefix", str, "deal_"),
        names.get("fileExtension", str, ".json"),
        s3,
        directory,
    )


def _units(source: _Section) -> list[UnitAccount]:
    items = source.get("units", list, [])
    accounts = []
    for index, item in enumerate(items):
        entry = _Section(item, source.key(f"units[{index}]"))
        accounts.append(UnitAccount(entry.text("unitId"), entry.text("account"), entry.text("password")))
    return accounts


def parse_config(data: object) -> Config:
    """Validate a loaded ``config.json``."""
    root = _Section(data, "")
    ids = [root.text(name) for name in ("programId", "communityId", "clusterId")]
    source = root.section("source")
    spool = root.section("spool")
    watchdog = root.section("watchdog", required=False)
    deal_log_source = source.get("dealLogDirectory", str, "")
    config = Config(
        program_id=ids[0],
        community_id=ids[1],
        cluster_id=ids[2],
        source_url=source.text("url").rstrip("/"),
        deal_log_source=Path(deal_log_source) if deal_log_source else None,
        ingest_token=root.text("ingestToken"),
        time_zone=root.text("timeZone", "Asia/Tokyo"),
        spool_dir=Path(spool.text("directory")),
        spool_max_files=spool.number("maxFiles", 100_000),
        backoff_max=spool.number("backoffMaxMsec", 60_000) / 1000,
        log_udp=root.get("logUdp", str, None),
        unit_data=_reporting(root, "unitDataReporting"),
        deals=_reporting(root, "dealReporting"),
        scenario=_acquisition(root, "scenarioAcquisition", True),
        policy=_acquisition(root, "policyAcquisition", True),
        deallog=_deallog(root),
        watchdog=_endpoint(watchdog, 5000) if watchdog and watchdog.enabled(False) else None,
        units=_units(source),
    )
    if config.log_udp:
        try:
            parse_address(config.log_udp)
        except ValueError as exc:
            raise ConfigError(f"logUdp: {exc}") from None
    if config.deallog and config.deal_log_source is None:
        raise ConfigError("source.dealLogDirectory: required when deallogAcquisition is enabled")
    if (config.scenario or config.policy) and not config.units:
        raise ConfigError("source.units: required when scenario or policy acquisition is enabled")
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(config.time_zone)
    except (ValueError, KeyError, OSError):
        raise ConfigError(f"timeZone: unknown time zone {config.time_zone!r}") from None
    return config


def load_config(path: Path) -> Config:
    """Read and validate ``path``; ``ConfigError`` for unreadable or invalid JSON too."""
    try:
        data = json.loads(Path(path).read_text())
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise ConfigError(f"{path} is not valid JSON: {exc}") from None
    return parse_config(data)
