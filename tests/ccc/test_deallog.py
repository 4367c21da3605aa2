"""Deal-log acquisition over the deal-log files of every node, written by a real emulator run as apis-main
writes them (each deal in both its units' directories): the daily window, the schedule, and the upload to a
directory and to S3 (moto's server mode on 127.0.0.1: a stand-in for a real S3 service)."""

import json
from datetime import datetime
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from apis.ccc import deallog
from apis.ccc.config import DealLog, S3Target
from apis.emulator.cluster import Cluster, ClusterConfig


@pytest.fixture(scope="module")
def deal_files(tmp_path_factory) -> list[Path]:
    """An emulated day (2020-01-01 from 00:00, world time) of deals: the units' deal-log directories."""
    directory = tmp_path_factory.mktemp("dealLog")
    cluster = Cluster(ClusterConfig(speed=60, deal_log_dir=directory))
    while cluster.world < datetime(2020, 1, 2, 2):
        cluster.tick(1.0)
    return sorted(directory.iterdir())


def stops(deals: list[dict]) -> list[str]:
    return [deal["stopDateTime"] for deal in deals]


def test_every_deal_is_collected_once_from_the_directories_of_both_its_units(deal_files):
    every = deallog.collect(deal_files, datetime(2019, 1, 1), datetime(2021, 1, 1))
    names = [path.name for node in deal_files for path in node.rglob("*") if path.is_file()]
    assert len(every) == len(set(names)) < len(names), "each deal is in two directories"
    assert len({deal["dealId"] for deal in every}) == len(every)
    assert all(deal["deactivateDateTime"] != "--" for deal in every), "the final copy of each"


def target(**where) -> DealLog:
    return DealLog("010000", "010000", "deal", "deal_", ".json", where.get("s3"), where.get("directory"))


def test_the_window_is_yesterday_to_today_at_the_acquisition_time(deal_files):
    start, end = deallog.window(datetime(2020, 1, 2, 1, 0, 5), "010000")
    assert (start, end) == (datetime(2020, 1, 1, 1), datetime(2020, 1, 2, 1))
    deals = deallog.collect(deal_files, start, end)
    assert deals and all("2020/01/01-01:00:00" <= stop < "2020/01/02-01:00:00" for stop in stops(deals))
    assert stops(deals) == sorted(stops(deals))
    every = deallog.collect(deal_files, datetime(2019, 1, 1), datetime(2021, 1, 1))
    assert len(every) > len(deals), "deals outside the window exist and are left out"


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2020, 1, 2, 0, 59, 59), datetime(2020, 1, 2, 1)),
        (datetime(2020, 1, 2, 1, 0, 0), datetime(2020, 1, 3, 1)),
    ],
)
def test_the_next_run_is_the_next_execution_time(now, expected):
    assert deallog.next_run(now, "010000") == expected


def test_the_day_is_written_to_a_directory(deal_files, tmp_path):
    now = datetime(2020, 1, 2, 1, 0)
    where = deallog.run_once(target(directory=tmp_path), deal_files, now)
    assert where == str(tmp_path / "deal" / "deal_202001020100.json")
    uploaded = json.loads(Path(where).read_text())
    assert uploaded == deallog.collect(deal_files, *deallog.window(now, "010000"))


def test_the_day_is_uploaded_to_s3_moto_server_stand_in(deal_files):
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        s3 = S3Target(
            "key", "secret", "ap-northeast-1", f"http://{host}:{port}", "deals", "deal", "deal_", ".json"
        )
        client = boto3.client(
            "s3",
            aws_access_key_id="key",
            aws_secret_access_key="secret",
            region_name="ap-northeast-1",
            endpoint_url=s3.endpoint_url,
        )
        client.create_bucket(
            Bucket="deals", CreateBucketConfiguration={"LocationConstraint": "ap-northeast-1"}
        )
        now = datetime(2020, 1, 2, 1, 0)
        assert deallog.run_once(target(s3=s3), deal_files, now) == "s3://deals/deal/deal_202001020100.json"
        body = client.get_object(Bucket="deals", Key="deal/deal_202001020100.json")["Body"].read()
    finally:
        server.stop()
    assert json.loads(body) == deallog.collect(deal_files, *deallog.window(now, "010000"))
