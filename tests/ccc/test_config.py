"""config.json validation: every error names the key at fault; the shipped example is valid."""

import copy
import json
from pathlib import Path

import pytest

from apis.ccc.config import ConfigError, load_config, parse_config
from apis.ccc.main import main

EXAMPLE = Path(__file__).parents[2] / "docs" / "ccc-config.example.json"


def example() -> dict:
    return json.loads(EXAMPLE.read_text())


def test_the_example_config_is_valid_and_builds_the_endpoint_urls():
    config = load_config(EXAMPLE)
    assert config.unit_data.url == "http://127.0.0.1:8000/api/ccc/unitData"
    assert (config.unit_data.period, config.unit_data.timeout) == (30.0, 5.0)
    assert [unit.unit_id for unit in config.units] == ["E001", "E002", "E003", "E004"]
    assert config.deallog.directory == Path("var/ccc/deallog") and config.deallog.s3 is None


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
        ("unitDataReporting.periodMsec", "30s", "unitDataReporting.periodMsec: expected int, got '30s'"),
        ("unitDataReporting.periodMsec", 0, "unitDataReporting.periodMsec: must be ≥ 1"),
        ("dealReporting.type", "mongo_db", "dealReporting.type: only http_post is supported"),
        ("dealReporting.port", 70000, "dealReporting.port: must be ≤ 65535"),
        ("dealReporting.ssl", "yes", "dealReporting.ssl: expected bool"),
        ("scenarioAcquisition.uri", "api/x", "scenarioAcquisition.uri: must start with '/'"),
        ("scenarioAcquisition.file", "/tmp/scenario.json", "scenarioAcquisition.file: must contain {unitId}"),
        ("deallogAcquisition.executionTime", "25:00", "deallogAcquisition.executionTime: expected HHmmss"),
        ("deallogAcquisition.target", "ftp", "deallogAcquisition.target: expected 's3' or 'directory'"),
        ("source.units", [{"unitId": "E001", "account": "e001"}], "source.units[0].password: missing"),
        ("spool", ..., "spool: missing"),
        ("timeZone", "Mars/Olympus", "timeZone: unknown time zone"),
        ("logUdp", "localhost", "logUdp: expected HOST:PORT"),
    ],
)
def test_a_bad_value_is_reported_with_its_key(path, value, message):
    with pytest.raises(ConfigError) as error:
        parse_config(edited(path, value))
    assert str(error.value).startswith(message)


def test_s3_deal_logs_need_the_bucket():
    data = edited("deallogAcquisition.target", "s3")
    data["deallogAcquisition"]["accessInfoS3"]["bucketName"] = ""
    with pytest.raises(
        ConfigError, match=r"^deallogAcquisition\.accessInfoS3\.bucketName: must not be empty"
    ):
        parse_config(data)


def test_the_command_exits_with_status_2_and_names_the_key(tmp_path, capsys):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(edited("ingestToken", ...)))
    with pytest.raises(SystemExit) as exit_:
        main(["--config", str(path)])
    assert exit_.value.code == 2
    assert capsys.readouterr().err == "apis ccc: bad config: ingestToken: missing\n"


def test_a_file_that_is_not_json_is_a_config_error(tmp_path):
    path = tmp_path / "config.json"
    path.write_text("{programId: apis-ccc")
    with pytest.raises(ConfigError, match="is not valid JSON"):
        load_config(path)
