"""``apis manage import_mongodump`` on real mongodump/mongoexport files written by the test."""

import io
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from bson import Binary, ObjectId
from bson.json_util import JSONMode
from django.core.management import call_command
from django.core.management.base import CommandError

from apis.apis_log.models import ApisLog
from apis.deal.models import Deal
from apis.deal.store import store_deals
from apis.downtime.extract import extract_pass
from apis.downtime.models import Downtime, DowntimeStatus
from apis.importer.models import ImportedLog
from apis.ingest.parse import parse_deals, parse_unit_data
from apis.unit_data.models import ReportedUnit, UnitData
from apis.unit_data.store import store_unit_data
from tests.helpers import APIS, sqlite_env
from tests.importer import documents as mongo
from tests.payloads import CLUSTER, COMMUNITY, deal_doc, unit_doc

pytestmark = pytest.mark.django_db
UNITS = ("E001", "E002", "E003", "E004")


def run_import(directory: Path, *args: str) -> str:
    """Run the command; returns its report (stdout)."""
    out = io.StringIO()
    call_command("import_mongodump", str(directory), *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def line(report: str, collection: str) -> str:
    return next(text for text in report.splitlines() if text.startswith(f"{collection}:"))


def full_dump(directory: Path) -> Path:
    """A ``mongodump`` of the original's database ``apis_demo`` (plus files the importer must ignore)."""
    db = directory / "apis_demo"
    times = mongo.every(30, 5)
    mongo.write_bson(db / "unitData.bson", [mongo.unit_data(u, at) for at in times for u in UNITS])
    (db / "unitData.metadata.json").write_text('{"indexes": []}')
    mongo.write_bson(
        db / "deal.bson",
        [
            mongo.deal("d-1", deactivated="2020/01/01-12:05:00"),
            mongo.deal("d-2", discharge="E003", charge="E004"),
            mongo.deal("d-3", report_time=1_577_847_700),
        ],
    )
    logs = [mongo.log(f"uri : /dcdc/get {n}", times[0] + timedelta(seconds=n)) for n in range(9)]
    unparsed = {"_id": ObjectId(), "address": "192.168.0.12:40000", "communityId": COMMUNITY}
    mongo.write_bson(db / "apisLog.bson", [*logs, {**unparsed, "clusterId": CLUSTER, "message": "garbage"}])
    mongo.write_bson(
        db / "downtime.bson",
        [mongo.downtime("E002", times[1], times[3]), mongo.downtime("E003", times[2], None)],
    )
    mongo.write_bson(db / "downtimeStatus.bson", [mongo.status(u, times[-1]) for u in UNITS])
    mongo.write_bson(directory / "admin" / "system.version.bson", [{"_id": "featureCompatibilityVersion"}])
    return directory


def test_a_mongodump_is_imported_whole_and_a_second_run_skips_every_document(tmp_path):
    dump = full_dump(tmp_path / "dump")

    report = run_import(dump)

    assert line(report, "unitData") == (
        "unitData: 20 read from 1 file(s), 20 imported, 0 skipped (already present), 0 rejected"
    )
    assert "deal: 3 read from 1 file(s), 3 imported" in report
    assert "apisLog: 10 read from 1 file(s), 10 imported" in report
    assert "downtime: 2 read from 1 file(s), 2 imported" in report
    assert "downtimeStatus: 4 read from 1 file(s), 4 imported" in report
    row = UnitData.objects.get(reported_unit__unit_id="E002", dataset_id=1_577_847_600_000)
    assert (row.reported_unit.community_id, row.reported_unit.cluster_id) == (COMMUNITY, CLUSTER)
    assert row.effective_mode == "autonomous"
    assert row.data["time"] == "2020-01-01T03:00:00Z"
    assert row.data["datasetId"] == 1_577_847_600_000 and "_id" not in row.data
    assert row.data["dcdc"]["meter"]["vg"] == 350.2
    assert ReportedUnit.objects.count() == 4
    first = Deal.objects.get(deal_id="d-1")
    assert first.data["createDateTime"] == "2020-01-01T03:00:00Z"  # 12:00 Asia/Tokyo
    assert first.data["stopDateTime"] == "2020-01-01T03:05:00Z"
    assert first.data["reset"][0]["dateTime"] == "2020-01-01T03:00:00Z"
    assert Deal.objects.get(deal_id="d-2").data["deactivateDateTime"] is None
    assert Deal.objects.get(deal_id="d-3").report_time == 1_577_847_700
    assert first.cumulate_amount_wh == 25.5 and first.discharge_unit_id == "E001"
    log = ApisLog.objects.get(message="uri : /dcdc/get 3")
    assert (log.program_id, log.unit_id, log.loglevel, log.address) == (
        "apis-main",
        "E001",
        "INFO",
        "192.168.0.11:51234",
    )
    assert log.datetime == mongo.START + timedelta(seconds=3)
    garbage = ApisLog.objects.get(message="garbage")
    assert garbage.loglevel == "SEVERE" and garbage.program_id is None
    assert set(Downtime.objects.values_list("unit_id", "recovery_datetime")) == {
        ("E002", mongo.START + timedelta(seconds=90)),
        ("E003", None),
    }
    assert DowntimeStatus.objects.get(unit_id="E004").last_time == mongo.START + timedelta(seconds=120)

    again = run_import(dump)

    assert line(again, "unitData") == (
        "unitData: 20 read from 1 file(s), 0 imported, 20 skipped (already present), 0 rejected"
    )
    for collection, count in (("deal", 3), ("apisLog", 10), ("downtime", 2), ("downtimeStatus", 4)):
        assert f"{collection}: {count} read from 1 file(s), 0 imported, {count} skipped" in again
    assert (UnitData.objects.count(), Deal.objects.count(), ApisLog.objects.count()) == (20, 3, 10)
    assert (Downtime.objects.count(), DowntimeStatus.objects.count(), ImportedLog.objects.count()) == (
        2,
        4,
        10,
    )


def test_invalid_documents_are_rejected_with_their_reasons_and_the_valid_ones_are_stored(tmp_path):
    no_time = mongo.unit_data("E002")
    del no_time["time"]
    not_a_number = mongo.unit_data("E003")
    not_a_number["emu"]["rsoc"] = float("nan")
    binary = mongo.unit_data("E004")
    binary["dcdc"]["param"]["blob"] = Binary(b"\x01\x02")
    long_id = mongo.unit_data("E" * 200)
    mongo.write_bson(
        tmp_path / "unitData.bson", [mongo.unit_data("E001"), no_time, not_a_number, binary, long_id]
    )
    bad_date = mongo.deal("d-bad")
    bad_date["createDateTime"] = "yesterday"
    mongo.write_bson(
        tmp_path / "deal.bson",
        [mongo.deal("d-ok"), bad_date, {"_id": 1, "communityId": COMMUNITY, "clusterId": CLUSTER}],
    )
    no_id = mongo.log()
    del no_id["_id"]
    mongo.write_json_lines(tmp_path / "apisLog.json", [mongo.log(), no_id, 42])
    backwards = mongo.downtime("E001", mongo.START, mongo.START - timedelta(minutes=1))
    mongo.write_bson(tmp_path / "downtime.bson", [backwards])

    report = run_import(tmp_path)

    assert line(report, "unitData").endswith("1 imported, 0 skipped (already present), 4 rejected")
    assert "rejected: unitData.bson document 2: missing field time" in report
    assert "rejected: unitData.bson document 3: a non-finite number nan (field emu.rsoc)" in report
    assert (
        "rejected: unitData.bson document 4: an unsupported BSON value bytes (field dcdc.param.blob)"
        in report
    )
    assert (
        "rejected: unitData.bson document 5: invalid field oesunit.id: longer than 128 characters" in report
    )
    assert line(report, "deal").endswith("1 imported, 0 skipped (already present), 2 rejected")
    assert "deal.bson document 2: invalid time: 'yesterday' (field createDateTime)" in report
    assert "deal.bson document 3: missing field dealId" in report
    assert line(report, "apisLog").endswith("1 imported, 0 skipped (already present), 2 rejected")
    assert "apisLog.json document 2: missing field _id" in report
    assert "apisLog.json document 3: not a document: 42" in report
    assert (
        "downtime.bson document 1: recoveryDateTime 2020-01-01T02:59:00+00:00 is before downDateTime"
        in report
    )
    assert list(UnitData.objects.values_list("reported_unit__unit_id", flat=True)) == ["E001"]
    assert list(Deal.objects.values_list("deal_id", flat=True)) == ["d-ok"]
    assert ApisLog.objects.count() == 1 and not Downtime.objects.exists()


def test_mongoexport_json_lines_arrays_and_gzip_files_are_imported_like_bson(tmp_path):
    times = mongo.every(30, 3)
    mongo.write_json_lines(tmp_path / "unitData.json", [mongo.unit_data("E001", at) for at in times])
    mongo.write_json_array(tmp_path / "deal.json", [mongo.deal("d-1"), mongo.deal("d-2")])
    mongo.write_json_lines(tmp_path / "apisLog.json", [mongo.log(at=at) for at in times], JSONMode.CANONICAL)
    mongo.write_bson(tmp_path / "downtimeStatus.bson.gz", [mongo.status("E001", times[-1])])
    mongo.write_json_array(tmp_path / "downtime.json", [])

    report = run_import(tmp_path)

    assert "unitData: 3 read from 1 file(s), 3 imported" in report
    assert "deal: 2 read from 1 file(s), 2 imported" in report
    assert "apisLog: 3 read from 1 file(s), 3 imported" in report
    assert "downtimeStatus: 1 read from 1 file(s), 1 imported" in report
    assert "downtime: 0 read from 1 file(s), 0 imported" in report
    row = UnitData.objects.get(dataset_id=1_577_847_630_000)
    assert row.data["time"] == "2020-01-01T03:00:30Z" and row.time == times[1]
    assert Deal.objects.get(deal_id="d-2").data["createDateTime"] == "2020-01-01T03:00:00Z"
    assert sorted(ApisLog.objects.values_list("datetime", flat=True)) == times
    assert "3 imported" not in run_import(tmp_path)


def test_a_deal_is_replaced_only_by_a_newer_report_and_stored_unit_data_is_skipped(tmp_path):
    store_deals(parse_deals([deal_doc("d-1", report_time=1_000, cumulate_wh=10.0)], COMMUNITY, CLUSTER))
    store_deals(parse_deals([deal_doc("d-2", report_time=1_000, cumulate_wh=10.0)], COMMUNITY, CLUSTER))
    store_unit_data(parse_unit_data([unit_doc("E001", dataset_id=1_577_847_600_000)], COMMUNITY, CLUSTER))
    mongo.write_bson(
        tmp_path / "deal.bson",
        [mongo.deal("d-1", report_time=900, cumulate_wh=5.0), mongo.deal("d-2", report_time=2_000)],
    )
    mongo.write_bson(tmp_path / "unitData.bson", [mongo.unit_data(u) for u in UNITS])

    report = run_import(tmp_path)

    assert line(report, "deal").endswith("1 imported, 1 skipped (already present), 0 rejected")
    assert Deal.objects.get(deal_id="d-1").cumulate_amount_wh == 10.0
    assert Deal.objects.get(deal_id="d-2").report_time == 2_000
    assert line(report, "unitData").endswith("3 imported, 1 skipped (already present), 0 rejected")


def test_a_truncated_file_fails_naming_it_and_keeps_the_documents_before_the_cut(tmp_path):
    path = mongo.write_bson(
        tmp_path / "unitData.bson", [mongo.unit_data("E001", at) for at in mongo.every(30, 25)]
    )
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) * 45 // 50])  # cut inside document 23
    mongo.write_bson(tmp_path / "deal.bson", [mongo.deal("d-1")])

    with pytest.raises(CommandError, match=r"unitData.bson: unreadable after 22 documents \(byte \d+\)"):
        run_import(tmp_path, "--batch", "10")

    assert UnitData.objects.count() == 22  # every document before the cut
    assert Deal.objects.count() == 1  # the other collections are imported all the same
    path.write_bytes(whole)
    assert "25 read from 1 file(s), 3 imported, 22 skipped" in run_import(tmp_path, "--batch", "10")


def test_invalid_json_is_reported_with_its_line(tmp_path):
    path = mongo.write_json_lines(tmp_path / "apisLog.json", [mongo.log(), mongo.log()])
    path.write_text(path.read_text() + '{"_id": {"$oid": "5f1d7a0e2c8b4a0001a1b2c3"}, "message": \n')

    with pytest.raises(
        CommandError, match=r"apisLog.json: invalid JSON at line 4: Expecting value \(document from line 3\)"
    ):
        run_import(tmp_path)

    assert ApisLog.objects.count() == 2


def test_a_requested_collection_without_a_file_is_an_error(tmp_path):
    mongo.write_bson(tmp_path / "unitData.bson", [mongo.unit_data()])

    with pytest.raises(CommandError, match="no export file for deal"):
        run_import(tmp_path, "--collections", "unitData", "deal")

    assert "unitData: 1 read" in run_import(tmp_path, "--collections", "unitData")


def test_a_missing_directory_exits_non_zero_with_a_clear_message(tmp_path):
    env = sqlite_env(tmp_path, APIS_SECRET_KEY="test")

    result = subprocess.run(
        [APIS, "manage", "import_mongodump", str(tmp_path / "nowhere")],
        env=env,
        capture_output=True,
        text=True,
    )

    assert result.returncode == 1
    assert f"{tmp_path / 'nowhere'}: no such directory" in result.stderr


def test_imported_downtimes_are_not_extracted_again_from_the_imported_unit_data(tmp_path):
    times = mongo.every(30, 20)
    modes = ["heteronomous" if 5 <= n < 8 else "autonomous" for n in range(20)]
    mongo.write_bson(
        tmp_path / "unitData.bson",
        [mongo.unit_data("E001", at, mode) for at, mode in zip(times, modes, strict=True)],
    )
    mongo.write_bson(tmp_path / "downtime.bson", [mongo.downtime("E001", times[5], times[8])])
    mongo.write_bson(tmp_path / "downtimeStatus.bson", [mongo.status("E001", times[-1])])
    run_import(tmp_path)

    assert extract_pass() == 20

    assert list(Downtime.objects.values_list("down_datetime", "recovery_datetime")) == [(times[5], times[8])]


def test_a_newer_stored_status_and_an_already_open_downtime_are_kept(tmp_path):
    times = mongo.every(60, 4)
    DowntimeStatus.objects.create(
        community_id=COMMUNITY, cluster_id=CLUSTER, unit_id="E001", last_time=times[2]
    )
    Downtime.objects.create(
        community_id=COMMUNITY, cluster_id=CLUSTER, unit_id="E001", down_datetime=times[1]
    )
    mongo.write_bson(
        tmp_path / "downtimeStatus.bson", [mongo.status("E001", times[1]), mongo.status("E002", times[3])]
    )
    mongo.write_bson(
        tmp_path / "downtime.bson",
        [mongo.downtime("E001", times[0], None), mongo.downtime("E001", times[0], times[1])],
    )

    report = run_import(tmp_path)

    assert line(report, "downtimeStatus").endswith("1 imported, 1 skipped (already present), 0 rejected")
    assert DowntimeStatus.objects.get(unit_id="E001").last_time == times[2]
    assert line(report, "downtime").endswith("1 imported, 1 skipped (already present), 0 rejected")
    assert set(Downtime.objects.values_list("down_datetime", "recovery_datetime")) == {
        (times[1], None),
        (times[0], times[1]),
    }
