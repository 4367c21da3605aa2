"""Scenario acquisition from S3 (``useS3``), as the Java ccc chooses the object: the greatest key of today
under ``<folderName>/<filePrefix><unitId>_``. moto's server mode on 127.0.0.1 stands in for a real S3
service, which cannot run here."""

import json
from datetime import date

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer

from apis.ccc.acquisition import acquire
from apis.ccc.config import Acquisition, S3Target, UnitAccount

UNIT = UnitAccount("E001", "e001", "e001")


@pytest.fixture
def bucket():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    target = S3Target(
        "key",
        "secret",
        "ap-northeast-1",
        f"http://{host}:{port}",
        "scenarios",
        "scenario",
        "scenario_",
        ".json",
    )
    client = boto3.client(
        "s3",
        aws_access_key_id="key",
        aws_secret_access_key="secret",
        region_name="ap-northeast-1",
        endpoint_url=target.endpoint_url,
    )
    client.create_bucket(
        Bucket="scenarios", CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"}
    )
    yield target, client
    server.stop()


def test_the_newest_of_todays_scenarios_of_the_unit_is_written_to_its_file(bucket, tmp_path):
    target, client = bucket
    for key, name in [
        ("scenario/scenario_E001_20200101-0900.json", "morning"),
        ("scenario/scenario_E001_20200101-1800.json", "evening"),
        ("scenario/scenario_E001_20200102-0000.json", "tomorrow"),
        ("scenario/scenario_E002_20200101-2300.json", "another unit"),
    ]:
        client.put_object(Bucket="scenarios", Key=key, Body=json.dumps({"name": name}).encode())
    what = Acquisition(None, target, str(tmp_path / "{unitId}" / "scenario.json"), 60.0)
    with httpx.Client() as http:
        assert acquire(http, what, UNIT, "oss_community", "oss_cluster", date(2020, 1, 1)) == "written"
        assert acquire(http, what, UNIT, "oss_community", "oss_cluster", date(2020, 1, 1)) == "unchanged"
        with pytest.raises(ValueError, match="Object does not exist"):
            acquire(http, what, UNIT, "oss_community", "oss_cluster", date(2020, 1, 3))
    assert json.loads((tmp_path / "E001" / "scenario.json").read_text()) == {"name": "evening"}
