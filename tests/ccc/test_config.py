"""config.json: an unchanged Java apis-ccc config loads (every key as SonyCSL ships it, comments too), what it
asks that this ccc cannot do is listed once with the reason, our own keys have defaults, and every error
names the key at fault."""

import copy
import json
import os
import subprocess
from pathlib import Path

import pytest

from apis.ccc.config import ConfigError, load_config, parse_config
from apis.ccc.main import main
from tests.helpers import APIS

EXAMPLE = Path(__file__).parents[2] / "docs" / "ccc-config.example.json"
TOKEN = "apis_0123456789abcdefghijklmnopqrstuvwxyz"

# SonyCSL/apis-ccc exe/config.json as shipped (the demo's ccc, a cluster member writing to MongoDB).
SONYCSL_EXE = """{
\t"#" : "start vertx or fat jar with option '-conf path/to/config_file.json'",

\t"programId" : "apis-ccc",

\t"communityId" : "oss_community",
\t"clusterId" : "oss_cluster",

\t"security" : {
\t\t"enabled" : true,
\t\t"pemKeyFile" : "./key.pem",
\t\t"pemCertFile" : "./cert.pem"
\t},

\t"dealReporting" : {
\t\t"enabled" : true,
\t\t"periodMsec" : 30000,
\t\t"type" : "mongo_db",
\t\t"host" : "localhost",
\t\t"port" : 27018,
\t\t"ssl" : false,
\t\t"sslTrustAll" : false,
\t\t"database" : "apis_demo",
\t\t"collection" : "deal",
\t\t"uri" : "",
\t\t"requestTimeoutMsec" : 5000
\t},
\t"unitDataReporting" : {
\t\t"enabled" : true,
\t\t"periodMsec" : 30000,
\t\t"type" : "mongo_db",
\t\t"host" : "localhost",
\t\t"port" : 27018,
\t\t"ssl" : false,
\t\t"sslTrustAll" : false,
\t\t"database" : "apis_demo",
\t\t"collection" : "unitData",
\t\t"uri" : "",
\t\t"requestTimeoutMsec" : 5000
\t},
\t"scenarioAcquisition" : {
\t\t"enabled" : true,
\t\t"host" : "localhost",
\t\t"port" : 8000,
\t\t"ssl" : false,
\t\t"sslTrustAll" : false,
\t\t"uri" : "/api/misc/scenario/currentData",
\t\t"requestTimeoutMsec" : 5000,
\t\t"useS3" : false,
\t\t"accessInfoS3" : {
\t\t\t"accessKey" : "",
\t\t\t"secretAccessKey" : "",
\t\t\t"regionName" : "ap-northeast-1",
\t\t\t"endpointUrl" : "https://s3.ap-northeast-1.amazonaws.com",
\t\t\t"bucketName" : "",
\t\t\t"folderName" : "scenario",
\t\t\t"filePrefix" : "scenario_",
\t\t\t"fileExtension" : ".json"
\t\t}
\t},
\t"policyAcquisition" : {
\t\t"enabled" : false,
\t\t"host" : "localhost",
\t\t"port" : 8000,
\t\t"ssl" : false,
\t\t"sslTrustAll" : false,
\t\t"uri" : "/api/misc/policy/currentData",
\t\t"requestTimeoutMsec" : 5000
\t},
\t"deallogAcquisition" : {
\t\t"enabled" : true,
\t\t"host" : "localhost",
\t\t"port" : 27018,
\t\t"ssl" : false,
\t\t"sslTrustAll" : false,
\t\t"database" : "apis_demo",
\t\t"collection" : "deal",
\t\t"executionTime" : "010000",
\t\t"acquisitionTime" : "010000",
\t\t"accessInfoS3" : {
\t\t\t"accessKey" : "",
\t\t\t"secretAccessKey" : "",
\t\t\t"regionName" : "ap-northeast-1",
\t\t\t"endpointUrl" : "https://s3.ap-northeast-1.amazonaws.com",
\t\t\t"bucketName" : "",
\t\t\t"folderName" : "deal",
\t\t\t"filePrefix" : "deal_",
\t\t\t"fileExtension" : ".json"
\t\t}
\t},
\t"watchdog" : {
\t\t"enabled" : false,
\t\t"periodMsec" : 5000,
\t\t"host" : "localhost",
\t\t"port" : 12345,
\t\t"uri" : "/restart",
\t\t"requestTimeoutMsec" : 5000
\t},

\t"#" : "end"
}"""

# The shape of SonyCSL/apis-ccc's commented sample-config.json (apis-ecosystem §1.1): http_post deal
# reporting to another server's URI, unit data off, scenarios over HTTPS with useS3 absent.
SONYCSL_SAMPLE = """{
  // the prefix of the multicast log lines
  "programId" : "apis-ccc",
  "communityId" : "dev", "clusterId" : "dev",
  "security" : { "enabled" : true, "pemKeyFile" : "/path/to/key.pem", "pemCertFile" : "/path/to/cert.pem" },
  /* deals: to the server's http API */
  "dealReporting" : { "enabled" : true, "periodMsec" : 30000, "type" : "http_post", "host" : "localhost",
    "port" : 80, "ssl" : false, "sslTrustAll" : false, "database" : "apis_service_center",
    "collection" : "deal", "uri" : "/api/ApisDeal/save", "requestTimeoutMsec" : 5000 },
  "unitDataReporting" : { "enabled" : false, "periodMsec" : 30000, "type" : "mongo_db", "host" : "localhost",
    "port" : 27017, "ssl" : false, "sslTrustAll" : false, "database" : "apis_service_center",
    "collection" : "unitData", "uri" : "/api/ApisUnitData/save", "requestTimeoutMsec" : 5000 },
  "scenarioAcquisition" : { "enabled" : true, "host" : "server.example.com", "port" : 10000, "ssl" : true,
    "sslTrustAll" : false, "uri" : "/api/ApisScenario/getCurrent", "requestTimeoutMsec" : 5000 },
  "policyAcquisition" : { "enabled" : false, "host" : "server.example.com", "port" : 10000, "ssl" : true,
    "sslTrustAll" : false, "uri" : "/api/ApisPolicy/getCurrent", "requestTimeoutMsec" : 5000 },
  "watchdog" : { "enabled" : false, "periodMsec" : 5000, "host" : "0.0.0.0", "port" : 12345,
    "uri" : "/restart", "requestTimeoutMsec" : 5000 }
}"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.json"
    path.write_text(text)
    return path


def ignored(config) -> dict[str, str]:
    return dict(config.ignored)


def test_sonycsls_shipped_config_loads_and_every_key_it_cannot_honour_is_named_with_the_reason(tmp_path):
    config = load_config(write(tmp_path, SONYCSL_EXE))
    assert (config.program_id, config.community_id, config.cluster_id) == (
        "apis-ccc",
        "oss_community",
        "oss_cluster",
    )
    assert config.unit_data is None and config.deals is None, "mongo_db reporting is not done"
    assert config.scenario is None and config.policy is None and config.deallog is None
    assert config.watchdog is None
    reasons = ignored(config)
    assert set(reasons) == {
        "security",
        "dealReporting",
        "unitDataReporting",
        "scenarioAcquisition",
        "deallogAcquisition.host, port, ssl, sslTrustAll, database, collection",
        "deallogAcquisition",
    }
    assert "not a member of the Hazelcast/Vert.x cluster" in reasons["security"]
    assert reasons["unitDataReporting"].startswith("type mongo_db: the Service Center keeps reports in SQL")
    assert "uri /api/ccc/unitData" in reasons["unitDataReporting"]
    assert "source.units" in reasons["scenarioAcquisition"]
    assert (
        "deal-log files" in reasons["deallogAcquisition.host, port, ssl, sslTrustAll, database, collection"]
    )
    # Our own keys have their defaults.
    assert (
        config.source.url == "http://127.0.0.1:43900" and config.source.budo_url == "http://127.0.0.1:43830"
    )
    assert config.source.deal_log_dirs == () and config.spool.directory == Path("var/ccc/spool")
    assert (config.spool.max_files, config.spool.max_server_error_tries) == (100_000, 5)


def test_sonycsls_commented_sample_config_loads(tmp_path):
    config = load_config(write(tmp_path, SONYCSL_SAMPLE))
    assert config.deals.url == "http://localhost:80/api/ApisDeal/save" and config.deals.period == 30.0
    assert config.ingest_token is None, "another server's API: no ingest token is needed"
    assert config.unit_data is None
    reasons = ignored(config)
    assert "dealReporting.database, collection" in reasons
    assert "source.units" in reasons["scenarioAcquisition"]


def test_a_java_config_pointed_at_the_service_center_needs_no_key_of_ours(tmp_path):
    data = json.loads(SONYCSL_EXE.replace('"#"', '"comment"', 0))
    for name, kind in (("unitDataReporting", "unitData"), ("dealReporting", "deal")):
        data[name].update(
            type="http_post", host="sc.example.org", port=443, ssl=True, uri=f"/api/ccc/t/{TOKEN}/{kind}"
        )
    config = parse_config(data)
    assert config.unit_data.url == f"https://sc.example.org:443/api/ccc/t/{TOKEN}/unitData"
    assert config.unit_data.shown == "https://sc.example.org:443/api/ccc/t/apis_…wxyz/unitData"
    assert config.deals.verify and config.ingest_token is None


def test_the_ingest_token_is_required_for_the_service_centers_uri_without_it(tmp_path):
    data = json.loads(EXAMPLE.read_text())
    del data["ingestToken"]
    with pytest.raises(
        ConfigError, match=r"^ingestToken: missing; http://127.0.0.1:8000/api/ccc/unitData needs"
    ):
        parse_config(data)


def test_our_example_config_is_valid_and_honoured_entirely():
    config = load_config(EXAMPLE)
    assert config.ignored == []
    assert config.unit_data.url == "http://127.0.0.1:8000/api/ccc/unitData"
    assert (config.unit_data.period, config.unit_data.timeout) == (30.0, 5.0)
    assert [unit.unit_id for unit in config.units] == ["E001", "E002", "E003", "E004"]
    assert config.source.deal_log_dirs == tuple(Path(f"var/emulator/dealLog/E00{n}") for n in range(1, 5))
    assert config.deallog.directory == Path("var/ccc/deallog") and config.deallog.s3 is None
    assert (
        config.scenario.endpoint.url.endswith("/api/misc/scenario/currentData") and config.scenario.s3 is None
    )
    assert (config.spool.max_bytes, config.spool.backoff_max) == (1024**3, 60.0)


def test_a_config_of_an_earlier_version_of_this_ccc_loads(tmp_path):
    data = json.loads(EXAMPLE.read_text())
    data["source"] = {
        "url": "http://127.0.0.1:43900",
        "dealLogDirectory": "var/emulator/dealLog",
        "units": [],
    }
    data["spool"] = {"directory": "var/ccc/spool", "maxFiles": 10, "backoffMaxMsec": 1000}
    config = parse_config(data)
    assert config.source.deal_log_dirs == (Path("var/emulator/dealLog"),)
    assert config.scenario is None and "source.units" in ignored(config)["scenarioAcquisition"]


def test_an_unknown_key_is_named_as_ignored_and_comments_spare_urls(tmp_path):
    data = json.loads(EXAMPLE.read_text())
    data["unitDataReporting"]["perodMsec"] = 1000
    data["hazelcast"] = {"group": "oss_cluster-3.0.0"}
    config = load_config(write(tmp_path, "// written by hand\n" + json.dumps(data)))
    assert ignored(config) == {
        "unitDataReporting.perodMsec": "not a key of apis-ccc nor of this ccc",
        "hazelcast": "not a key of apis-ccc nor of this ccc",
    }
    assert config.deallog.s3 is None and config.source.url == "http://127.0.0.1:43900"


def example() -> dict:
    return json.loads(EXAMPLE.read_text())


def edited(path: str, value: object) -> dict:
    """The example with ``path`` (dotted) set to ``value``; ``...`` deletes the key."""
    data = copy.deepcopy(example())
    *parents, last = path.split(".")
    node = data
    for key in parents:
        node = node[key]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("clusterId", ..., "clusterId: missing"),
        ("communityId", "", "communityId: must not be empty"),
        ("clusterId", "c" * 129, "clusterId: longer than 128 characters"),
        ("unitDataReporting.periodMsec", "30s", "unitDataReporting.periodMsec: expected int, got '30s'"),
        ("unitDataReporting.periodMsec", 0, "unitDataReporting.periodMsec: must be ≥ 1"),
        ("unitDataReporting.periodMsec", True, "unitDataReporting.periodMsec: expected int, got True"),
        ("dealReporting.type", "kafka", "dealReporting.type: expected 'http_post' or 'mongo_db'"),
        ("dealReporting.port", 70000, "dealReporting.port: must be ≤ 65535"),
        ("dealReporting.ssl", "yes", "dealReporting.ssl: expected bool"),
        ("dealReporting.uri", "", "dealReporting.uri: must not be empty"),
        ("dealReporting.host", "sc.example.org/x", "dealReporting.host: not a host name"),
        ("scenarioAcquisition.uri", "api/x", "scenarioAcquisition.uri: must start with '/'"),
        ("scenarioAcquisition.file", "/tmp/scenario.json", "scenarioAcquisition.file: must contain {unitId}"),
        ("deallogAcquisition.executionTime", "25:00", "deallogAcquisition.executionTime: expected HHmmss"),
        ("deallogAcquisition.target", "ftp", "deallogAcquisition.target: expected 's3' or 'directory'"),
        ("source.units", [{"unitId": "E001", "account": "e001"}], "source.units[0].password: missing"),
        ("source.url", "127.0.0.1:43900", "source.url: expected http://HOST:PORT"),
        (
            "source.dealLogDirectories",
            ["a", 3],
            "source.dealLogDirectories: expected a list of directory names",
        ),
        ("spool.maxFiles", 0, "spool.maxFiles: must be ≥ 1"),
        ("spool.maxBytes", 1000, "spool.maxBytes: must be ≥ 1048576"),
        ("spool.maxServerErrorTries", -1, "spool.maxServerErrorTries: must be ≥ 1"),
        ("timeZone", "Mars/Olympus", "timeZone: unknown time zone"),
        ("logUdp", "localhost", "logUdp: expected HOST:PORT"),
        ("logUdp", "127.0.0.1:８８８８", "logUdp: expected HOST:PORT"),
        ("watchdog", {"enabled": True, "host": "127.0.0.1", "uri": "/restart"}, "watchdog.port: missing"),
    ],
)
def test_a_bad_value_is_reported_with_its_key(path, value, message):
    with pytest.raises(ConfigError) as error:
        parse_config(edited(path, value))
    assert str(error.value).startswith(message)


def test_s3_scenarios_need_the_bucket_and_s3_deal_logs_without_one_are_ignored():
    data = edited("scenarioAcquisition.useS3", True)
    data["scenarioAcquisition"]["accessInfoS3"] = {
        "regionName": "ap-northeast-1",
        "endpointUrl": "https://s3",
    }
    with pytest.raises(
        ConfigError, match=r"^scenarioAcquisition\.accessInfoS3\.bucketName: must not be empty"
    ):
        parse_config(data)
    data = edited("deallogAcquisition.target", "s3")
    config = parse_config(data)
    assert config.deallog is None and "nowhere to upload" in ignored(config)["deallogAcquisition"]


def test_the_command_exits_with_status_2_and_names_the_key_without_the_token(tmp_path, capsys):
    data = edited("dealReporting.uri", f"api/ccc/t/{TOKEN}/deal")
    path = write(tmp_path, json.dumps(data))
    with pytest.raises(SystemExit) as exit_:
        main(["--config", str(path)])
    assert exit_.value.code == 2
    error = capsys.readouterr().err
    assert error.startswith("apis ccc: bad config: dealReporting.uri: must start with '/'")
    assert TOKEN not in error


def test_a_file_that_is_not_json_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="is not valid JSON"):
        load_config(write(tmp_path, "{programId: apis-ccc"))


def test_the_ignored_keys_are_logged_once_at_start(tmp_path):
    path = write(tmp_path, SONYCSL_EXE)
    process = subprocess.Popen(
        [APIS, "ccc", "--config", str(path)], cwd=tmp_path, stderr=subprocess.PIPE, text=True
    )
    lines = []
    while not any("reports waiting" in line for line in lines[-2:]) and len(lines) < 50:
        lines.append(process.stderr.readline())
    process.terminate()
    lines += process.communicate(timeout=30)[1].splitlines()
    warnings = [line for line in lines if "WARNING" in line and "ignored" in line]
    assert len(warnings) == 6 and sum("config security ignored" in line for line in warnings) == 1
    assert process.returncode == 0


def test_the_ccc_logs_like_every_program_of_the_project(tmp_path):
    """``APIS_LOG_FILE`` and ``APIS_LOG_FORMAT`` apply to ``apis ccc`` too: its own file, JSON lines."""
    path = write(tmp_path, SONYCSL_EXE)
    environment = {
        **os.environ,
        "APIS_LOG_FILE": str(tmp_path / "logs" / "apis.log"),
        "APIS_LOG_FORMAT": "json",
    }
    process = subprocess.Popen(
        [APIS, "ccc", "--config", str(path)], cwd=tmp_path, stderr=subprocess.PIPE, text=True, env=environment
    )
    while "reports waiting" not in process.stderr.readline():
        pass
    process.terminate()
    process.communicate(timeout=30)
    entries = [json.loads(line) for line in (tmp_path / "logs" / "apis-ccc.log").read_text().splitlines()]
    assert any(entry["level"] == "WARNING" and "ignored" in entry["message"] for entry in entries)


def test_a_bad_logging_setting_stops_the_ccc_with_status_2(tmp_path):
    path = write(tmp_path, SONYCSL_EXE)
    environment = {**os.environ, "APIS_LOG_FORMAT": "xml"}
    result = subprocess.run(
        [APIS, "ccc", "--config", str(path)], cwd=tmp_path, capture_output=True, text=True, env=environment
    )
    assert result.returncode == 2 and "APIS_LOG_FORMAT" in result.stderr
