"""``config.json`` of the Python apis-ccc: an unchanged Java apis-ccc ``config.json`` loads (every key of
apis-ecosystem §1.1, ``//`` and ``/* */`` comments and ``#`` comment keys as Vert.x allows them), plus the
keys of our own, all optional (example: ``docs/ccc-config.example.json``).

Java keys this ccc cannot honour are accepted and listed in ``Config.ignored`` with the reason, and logged
once at start: ``type: mongo_db`` reporting, the event-bus ``security`` block, the MongoDB source of
``deallogAcquisition``, and any key neither program knows. A value that is wrong raises ``ConfigError``
naming the key (``unitDataReporting.periodMsec: must be ≥ 1, got 0``).

Our keys: ``ingestToken``, ``timeZone`` of APIS local times, ``logUdp`` (``HOST:PORT`` of the log
collector); ``source``: ``url`` (apis-web's Emulator Emulator port, ``/get/log``), ``budoUrl`` (its Budo
Emulator port, ``/deals``), ``requestTimeoutMsec``, ``dealLogDirectories`` (apis-main's deal-log directory
of each node), ``units`` (each unit's ``account``/``password``, for scenario and policy acquisition);
``spool``: ``directory``, ``maxFiles``, ``maxBytes`` (per report kind), ``backoffMaxMsec``,
``maxServerErrorTries``; ``scenarioAcquisition``/``policyAcquisition``: ``periodMsec`` and ``file``
(``{unitId}`` in the path); ``deallogAcquisition``: ``target`` (``s3`` or ``directory``) and ``directory``.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from apis.ccc.udplog import parse_address
from apis.core import jsonlimits
from apis.core.redact import redact

MAX_CONFIG_BYTES = 1024 * 1024
ID_MAX_LENGTH = 128  # the Service Center's column width for community, cluster, unit and deal ids
DEFAULT_SOURCE_URL = "http://127.0.0.1:43900"  # apis-web's emulatorEmulator.port
DEFAULT_BUDO_URL = "http://127.0.0.1:43830"  # apis-web's budoEmulator.port
INGEST_PATH, TOKEN_PATH = "/api/ccc/", "/api/ccc/t/"

NOT_A_MEMBER = (
    "this ccc is not a member of the Hazelcast/Vert.x cluster (it reads apis-web over HTTP and apis-main's "
    "deal-log files), so the event-bus key, certificate and encrypted cluster maps do not apply"
)
NO_MONGODB = "the Service Center keeps reports in SQL and takes them over HTTP, not in MongoDB"
DEALS_FROM_FILES = "the deals come from apis-main's deal-log files (source.dealLogDirectories), not MongoDB"


class ConfigError(ValueError):
    """A missing or invalid key; ``str()`` names it."""


_MISSING = object()
_COMMENTS = re.compile(r'("(?:[^"\\]|\\.)*")|//[^\n]*|/\*.*?\*/', re.DOTALL)


def strip_comments(text: str) -> str:
    """``text`` without ``//`` and ``/* */`` comments outside strings (Jackson's ALLOW_COMMENTS)."""
    return _COMMENTS.sub(lambda match: match.group(1) or " ", text)


class _Section:
    """One JSON object of the config; remembers which keys were read so that the rest can be reported."""

    def __init__(self, data: object, path: str, ignored: list[tuple[str, str]]) -> None:
        if not isinstance(data, dict):
            raise ConfigError(f"{path or 'config'}: expected a JSON object")
        self.data, self.path, self.ignored = data, path, ignored
        self.used: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def has(self, name: str) -> bool:
        return name in self.data

    def get(self, name: str, kind: type | tuple, default: object = _MISSING) -> object:
        self.used.add(name)
        value = self.data.get(name, _MISSING)
        if value is _MISSING:
            if default is _MISSING:
                raise ConfigError(f"{self.key(name)}: missing")
            return default
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
            names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
            raise ConfigError(f"{self.key(name)}: expected {names}, got {value!r}")
        return value

    def text(self, name: str, default: object = _MISSING) -> str:
        value = self.get(name, str, default)
        if value == "" and default is _MISSING:
            raise ConfigError(f"{self.key(name)}: must not be empty")
        return value

    def number(
        self, name: str, default: object = _MISSING, minimum: int = 1, maximum: int | None = None
    ) -> int:
        value = self.get(name, int, default)
        if value < minimum:
            raise ConfigError(f"{self.key(name)}: must be ≥ {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise ConfigError(f"{self.key(name)}: must be ≤ {maximum}, got {value}")
        return value

    def section(self, name: str) -> "_Section | None":
        """The sub-object ``name``, or ``None`` when it is absent."""
        if name not in self.data:
            self.used.add(name)
            return None
        return _Section(self.get(name, dict), self.key(name), self.ignored)

    def enabled(self, default: bool) -> bool:
        return self.get("enabled", bool, default)

    def ignore(self, names: tuple[str, ...], why: str) -> None:
        """Accept the keys ``names`` that are present without honouring them, noting why."""
        present = [name for name in names if name in self.data]
        self.used.update(present)
        if present:
            self.ignored.append((", ".join([self.key(present[0]), *present[1:]]), why))

    def ignore_whole(self, why: str) -> None:
        """Accept every key of this section without honouring it."""
        self.used.update(self.data)
        self.ignored.append((self.path, why))

    def finish(self) -> None:
        """Note the keys nobody read (``#…`` keys are comments and pass silently)."""
        for name in self.data:
            if name not in self.used and not name.startswith("#"):
                self.ignored.append((self.key(name), "not a key of apis-ccc nor of this ccc"))


@dataclass(frozen=True)
class Endpoint:
    """An HTTP endpoint of the Service Center or a watchdog daemon (``verify`` false with ``sslTrustAll``)."""

    url: str
    timeout: float
    period: float
    verify: bool = True

    @property
    def shown(self) -> str:
        """The URL as it may be logged (an ingest token in the path masked)."""
        return redact(self.url)


@dataclass(frozen=True)
class UnitAccount:
    """A unit and the resident login the Service Center knows it by (scenario and policy acquisition)."""

    unit_id: str
    account: str
    password: str


@dataclass(frozen=True)
class S3Target:
    """An S3 bucket and its static credentials."""

    access_key: str
    secret_access_key: str
    region: str
    endpoint_url: str
    bucket: str
    folder: str
    prefix: str
    extension: str


@dataclass(frozen=True)
class Acquisition:
    """Scenario or policy acquisition: where to ask (HTTP ``endpoint`` or, for scenarios, ``s3``) and which
    file (``{unitId}`` in the path) to write, every ``period`` seconds."""

    endpoint: Endpoint | None
    s3: S3Target | None
    file: str
    period: float


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
class Source:
    """Where the cluster's data comes from: apis-web's two HTTP ports and the nodes' deal-log directories."""

    url: str
    budo_url: str
    timeout: float
    deal_log_dirs: tuple[Path, ...]


@dataclass(frozen=True)
class SpoolSettings:
    """The on-disk spools (one per report kind under ``directory``) and their senders' retry bounds."""

    directory: Path
    max_files: int
    max_bytes: int
    backoff_max: float
    max_server_error_tries: int


@dataclass(frozen=True)
class Config:
    """A validated ``config.json``; ``ignored`` lists ``(keys, why)`` of what is accepted but not honoured."""

    program_id: str
    community_id: str
    cluster_id: str
    ingest_token: str | None
    time_zone: str
    log_udp: str | None
    source: Source
    spool: SpoolSettings
    unit_data: Endpoint | None
    deals: Endpoint | None
    scenario: Acquisition | None
    policy: Acquisition | None
    deallog: DealLog | None
    watchdog: Endpoint | None
    units: list[UnitAccount] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)


def _url(section: _Section, *, http_default_port: bool = True) -> tuple[str, bool]:
    """``scheme://host:port<uri>`` of a Java endpoint section (``host``/``port``/``ssl``/``uri``)."""
    ssl = section.get("ssl", bool, False)
    host = section.text("host")
    if any(character in host for character in "/?#@ ") or not host.strip("[]"):
        raise ConfigError(f"{section.key('host')}: not a host name, got {host!r}")
    port = section.number("port", (443 if ssl else 80) if http_default_port else _MISSING, maximum=65535)
    uri = section.text("uri")
    if not uri.startswith("/"):
        raise ConfigError(f"{section.key('uri')}: must start with '/'")  # not echoed: it may hold a token
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 literal
    return f"{'https' if ssl else 'http'}://{host}:{port}{uri}", ssl


def _endpoint(section: _Section, period_default: int, http_default_port: bool = True) -> Endpoint:
    url, ssl = _url(section, http_default_port=http_default_port)
    trust_all = section.get("sslTrustAll", bool, False)
    period = section.number("periodMsec", period_default)
    timeout = section.number("requestTimeoutMsec", 5000)
    return Endpoint(url, timeout / 1000, period / 1000, verify=not (ssl and trust_all))


MONGO_KEYS = ("host", "port", "ssl", "sslTrustAll", "database", "collection", "uri", "requestTimeoutMsec")


def _reporting(root: _Section, name: str, uri_hint: str) -> Endpoint | None:
    section = root.section(name)
    if section is None:
        root.ignored.append((name, "absent: nothing of this kind is reported"))
        return None
    if not section.enabled(True):
        section.used.update(section.data)
        return None
    kind = section.get("type", str, "http_post")
    if kind == "mongo_db":
        section.ignore_whole(
            f"type mongo_db: {NO_MONGODB}; not reported until type is http_post, uri {uri_hint}"
        )
        return None
    if kind != "http_post":
        raise ConfigError(f"{section.key('type')}: expected 'http_post' or 'mongo_db', got {kind!r}")
    section.ignore(("database", "collection"), "used by type mongo_db only")
    endpoint = _endpoint(section, 30000)
    section.finish()
    return endpoint


def _s3(section: _Section, names: tuple[str, str, str]) -> S3Target:
    """``accessInfoS3`` of ``section`` (required); ``names`` are the default folder, prefix and extension."""
    info = section.section("accessInfoS3")
    if info is None:
        raise ConfigError(f"{section.key('accessInfoS3')}: missing")
    target = S3Target(
        info.get("accessKey", str, ""),
        info.get("secretAccessKey", str, ""),
        info.text("regionName"),
        info.text("endpointUrl"),
        info.get("bucketName", str, ""),
        info.get("folderName", str, names[0]),
        info.get("filePrefix", str, names[1]),
        info.get("fileExtension", str, names[2]),
    )
    info.finish()
    return target


def _acquisition(root: _Section, name: str, units: list[UnitAccount], s3_allowed: bool) -> Acquisition | None:
    section = root.section(name)
    if section is None or not section.enabled(True):
        if section is not None:
            section.used.update(section.data)
        return None
    file = section.get("file", str, "")
    if not file or not units:
        section.ignore_whole(
            "apis-main asks the Java ccc over the event bus; this ccc acquires for every unit of "
            f"source.units and writes {name}.file ({{unitId}} in the path), so both are needed"
        )
        return None
    if "{unitId}" not in file:
        raise ConfigError(f"{section.key('file')}: must contain {{unitId}}")
    # The Java ccc's scenario acquisition uses S3 when ``useS3`` is absent.
    use_s3 = s3_allowed and section.get("useS3", bool, True)
    period = section.number("periodMsec", 60000)
    endpoint = s3 = None
    if use_s3:
        if not section.has("accessInfoS3"):
            section.ignore_whole(
                "useS3 is true (its default when absent) but accessInfoS3 is missing; set useS3 false to "
                "acquire over HTTP (host, port, uri)"
            )
            return None
        s3 = _s3(section, ("scenario", "scenario_", ".json"))
        if not s3.bucket:
            raise ConfigError(f"{section.key('accessInfoS3.bucketName')}: must not be empty")
        section.ignore(("host", "port", "ssl", "sslTrustAll", "uri", "requestTimeoutMsec"), "useS3 is true")
    else:
        endpoint = _endpoint(section, 60000)
        section.ignore(("accessInfoS3",), "useS3 is false")
    section.finish()
    return Acquisition(endpoint, s3, file, period / 1000)


_HHMMSS = re.compile(r"^([01]\d|2[0-3])[0-5]\d[0-5]\d$")
_S3_NAMES = ("folderName", "filePrefix", "fileExtension")


def _deallog(root: _Section, deal_log_dirs: tuple[Path, ...]) -> DealLog | None:
    section = root.section("deallogAcquisition")
    if section is None or not section.enabled(True):
        if section is not None:
            section.used.update(section.data)
        return None
    section.ignore(MONGO_KEYS, DEALS_FROM_FILES)
    times = {}
    for name in ("executionTime", "acquisitionTime"):
        times[name] = section.text(name)
        if not _HHMMSS.match(times[name]):
            raise ConfigError(f"{section.key(name)}: expected HHmmss, got {times[name]!r}")
    target = section.text("target", "s3")
    names = ("deal", "deal_", ".json")
    s3 = directory = None
    if target == "s3":
        s3 = _s3(section, names)
        names = (s3.folder, s3.prefix, s3.extension)
    elif target == "directory":
        directory = Path(section.text("directory"))
        if section.has("accessInfoS3"):
            info = section.section("accessInfoS3")
            names = tuple(info.get(key, str, default) for key, default in zip(_S3_NAMES, names, strict=True))
            info.used.update(info.data)
    else:
        raise ConfigError(f"{section.key('target')}: expected 's3' or 'directory', got {target!r}")
    if s3 is not None and not s3.bucket:
        section.ignore_whole("accessInfoS3.bucketName is empty: there is nowhere to upload to")
        return None
    if not deal_log_dirs:
        section.ignore_whole("source.dealLogDirectories is empty: there are no deal logs to acquire")
        return None
    section.finish()
    return DealLog(times["executionTime"], times["acquisitionTime"], *names, s3, directory)


def _watchdog(root: _Section) -> Endpoint | None:
    section = root.section("watchdog")
    if section is None or not section.enabled(False):
        if section is not None:
            section.used.update(section.data)
        return None
    endpoint = _endpoint(section, 5000, http_default_port=False)
    section.finish()
    return endpoint


def _http_url(section: _Section, name: str, default: str) -> str:
    url = section.text(name, default).rstrip("/")
    if not re.match(r"^https?://[^/?#\s]+$", url):
        raise ConfigError(f"{section.key(name)}: expected http://HOST:PORT, got {url!r}")
    return url


def _source(root: _Section) -> tuple[Source, list[UnitAccount]]:
    section = root.section("source") or _Section({}, "source", root.ignored)
    directories = section.get("dealLogDirectories", list, [])
    if not all(isinstance(item, str) and item for item in directories):
        raise ConfigError(f"{section.key('dealLogDirectories')}: expected a list of directory names")
    old = section.get("dealLogDirectory", str, "")  # the single directory of earlier versions of this ccc
    paths = tuple(dict.fromkeys(Path(item) for item in [*directories, *([old] if old else [])]))
    accounts = []
    for index, item in enumerate(section.get("units", list, [])):
        entry = _Section(item, section.key(f"units[{index}]"), root.ignored)
        unit_id = entry.text("unitId")
        if len(unit_id) > ID_MAX_LENGTH:
            raise ConfigError(f"{entry.key('unitId')}: longer than {ID_MAX_LENGTH} characters")
        accounts.append(UnitAccount(unit_id, entry.text("account"), entry.text("password")))
        entry.finish()
    source = Source(
        _http_url(section, "url", DEFAULT_SOURCE_URL),
        _http_url(section, "budoUrl", DEFAULT_BUDO_URL),
        section.number("requestTimeoutMsec", 10000) / 1000,
        paths,
    )
    section.finish()
    return source, accounts


def _spool(root: _Section) -> SpoolSettings:
    section = root.section("spool") or _Section({}, "spool", root.ignored)
    settings = SpoolSettings(
        Path(section.text("directory", "var/ccc/spool") or "var/ccc/spool"),
        section.number("maxFiles", 100_000),
        section.number("maxBytes", 1024**3, minimum=1024 * 1024),
        section.number("backoffMaxMsec", 60_000) / 1000,
        section.number("maxServerErrorTries", 5),
    )
    section.finish()
    return settings


def _ingest_token(root: _Section, reports: list[Endpoint | None]) -> str | None:
    token = root.get("ingestToken", str, "") or None
    if token is None:
        for endpoint in reports:
            path = endpoint.url.split("/", 3)[-1] if endpoint else ""
            if f"/{path}".startswith(INGEST_PATH) and not f"/{path}".startswith(TOKEN_PATH):
                raise ConfigError(
                    f"ingestToken: missing; {endpoint.shown} needs the cluster's ingest token "
                    f"(or give the uri as {TOKEN_PATH}<token>/…)"
                )
    return token


def parse_config(data: object) -> Config:
    """Validate a loaded ``config.json``."""
    ignored: list[tuple[str, str]] = []
    root = _Section(data, "", ignored)
    ids = [root.text(name) for name in ("programId", "communityId", "clusterId")]
    for name, value in zip(("communityId", "clusterId"), ids[1:], strict=True):
        if len(value) > ID_MAX_LENGTH:
            raise ConfigError(f"{name}: longer than {ID_MAX_LENGTH} characters")
    if root.has("security"):
        root.section("security").ignore_whole(NOT_A_MEMBER)
    source, units = _source(root)
    unit_data = _reporting(root, "unitDataReporting", "/api/ccc/unitData")
    deals = _reporting(root, "dealReporting", "/api/ccc/deal")
    time_zone = root.text("timeZone", "Asia/Tokyo")
    try:
        ZoneInfo(time_zone)
    except (ValueError, KeyError, OSError):
        raise ConfigError(f"timeZone: unknown time zone {time_zone!r}") from None
    log_udp = root.get("logUdp", str, "") or None
    if log_udp:
        try:
            parse_address(log_udp)
        except ValueError as exc:
            raise ConfigError(f"logUdp: {exc}") from None
    config = Config(
        program_id=ids[0],
        community_id=ids[1],
        cluster_id=ids[2],
        ingest_token=_ingest_token(root, [unit_data, deals]),
        time_zone=time_zone,
        log_udp=log_udp,
        source=source,
        spool=_spool(root),
        unit_data=unit_data,
        deals=deals,
        scenario=_acquisition(root, "scenarioAcquisition", units, s3_allowed=True),
        policy=_acquisition(root, "policyAcquisition", units, s3_allowed=False),
        deallog=_deallog(root, source.deal_log_dirs),
        watchdog=_watchdog(root),
        units=units,
        ignored=ignored,
    )
    root.finish()
    return config


def load_config(path: Path) -> Config:
    """Read and validate ``path``; ``ConfigError`` for an unreadable, oversized or invalid file too."""
    try:
        with open(path, "rb") as file:
            raw = file.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path} is larger than {MAX_CONFIG_BYTES} bytes")
    try:
        data = jsonlimits.loads(strip_comments(raw.decode("utf-8-sig")))
    except ValueError as exc:
        raise ConfigError(f"{path} is not valid JSON: {exc}") from None
    return parse_config(data)
