"""Deals from apis-main's deal-log files, written here the way apis-main writes them (see
``apis_web_double``) in one directory per node: merged by dealId keeping the newest copy, reported again
only when the content changed, never replaced by a node's stale copy, and not re-read after a restart; and
the fallback on apis-web's reduced ``/deals``."""

import json
import logging
import time

import httpx
import pytest

from apis.ccc import dealreporting
from apis.ccc.dealreporting import DealLogScanner, LiveDealsFallback, reduced_deal
from tests.ccc.apis_web_double import (
    ApisWebDouble,
    activated,
    cumulating,
    cut_short,
    deal,
    finished,
    write_deal_log,
)


class Spooled:
    """What the scanner hands to the spool, round by round."""

    def __init__(self) -> None:
        self.rounds: list[list[dict]] = []
        self.full = False

    def __call__(self, deals: list[dict]) -> bool:
        if self.full:
            return False
        self.rounds[-1].extend(json.loads(json.dumps(deals)))
        return True

    def round(self, scanner) -> list[dict]:
        self.rounds.append([])
        scanner.cycle(self)
        return self.rounds[-1]


@pytest.fixture
def nodes(tmp_path):
    return [tmp_path / "E001" / "dealLog", tmp_path / "E002" / "dealLog", tmp_path / "E003" / "dealLog"]


@pytest.fixture
def scanner(tmp_path, nodes):
    return DealLogScanner(nodes, tmp_path / "deal-log-state.json")


def test_the_same_deal_in_two_units_files_is_reported_once_with_the_copy_that_is_further_along(
    scanner, nodes
):
    older = write_deal_log(nodes[1], cumulating("d1", "2020/01/01-10:05:00", 20.0))
    time.sleep(0.02)
    write_deal_log(nodes[0], cumulating("d1", "2020/01/01-10:06:00", 30.0))
    older.touch()  # the node with the older state wrote last: the file times cannot tell which is newer
    spooled = Spooled()
    [reported] = spooled.round(scanner)
    assert (reported["dealId"], reported["cumulateAmountWh"]) == ("d1", 30.0)


def test_a_stale_rewrite_after_the_final_write_never_replaces_the_final_deal(scanner, nodes):
    write_deal_log(nodes[0], finished("d2", "2020/01/01-10:09:00", 51.0))
    write_deal_log(nodes[1], finished("d2", "2020/01/01-10:09:00", 51.0))
    spooled = Spooled()
    [final] = spooled.round(scanner)
    assert final["deactivateDateTime"] == "2020/01/01-10:09:00"
    # E002's periodic rewrite lands after the disposal write with the state it read a moment before.
    write_deal_log(nodes[1], cumulating("d2", "2020/01/01-10:08:55", 49.0))
    assert spooled.round(scanner) == []
    write_deal_log(nodes[0], cumulating("d2", "2020/01/01-10:08:55", 49.0))
    assert spooled.round(scanner) == [], "both copies stale now: still older than what was reported"


def test_a_deal_rewritten_while_live_is_reported_again_only_when_its_content_changed(scanner, nodes):
    spooled = Spooled()
    write_deal_log(nodes[0], activated("d3"))
    write_deal_log(nodes[1], activated("d3"))
    assert [item["dealId"] for item in spooled.round(scanner)] == ["d3"]
    assert spooled.round(scanner) == [], "nothing changed"
    write_deal_log(nodes[0], cumulating("d3", "2020/01/01-10:01:00", 5.0))
    [changed] = spooled.round(scanner)
    assert changed["cumulateAmountWh"] == 5.0
    write_deal_log(nodes[0], cumulating("d3", "2020/01/01-10:01:00", 5.0))  # rewritten, same content
    write_deal_log(nodes[1], cumulating("d3", "2020/01/01-10:01:00", 5.0))
    assert spooled.round(scanner) == []
    write_deal_log(nodes[1], finished("d3", "2020/01/01-10:02:00", 51.0))
    [done] = spooled.round(scanner)
    assert done["deactivateDateTime"] == "2020/01/01-10:02:00"


def test_a_live_deal_still_being_rewritten_is_refreshed_and_a_finished_one_is_not(
    scanner, nodes, monkeypatch
):
    monkeypatch.setattr(dealreporting, "LIVE_REFRESH_SEC", 0.0)
    spooled = Spooled()
    write_deal_log(nodes[0], cumulating("live", "2020/01/01-10:01:00", 5.0))
    write_deal_log(nodes[0], finished("done", "2020/01/01-10:01:00", 51.0))
    assert {item["dealId"] for item in spooled.round(scanner)} == {"live", "done"}
    write_deal_log(nodes[0], cumulating("live", "2020/01/01-10:01:00", 5.0))
    write_deal_log(nodes[0], finished("done", "2020/01/01-10:01:00", 51.0))
    assert [item["dealId"] for item in spooled.round(scanner)] == ["live"]
    assert spooled.round(scanner) == [], "files not rewritten: apis-main no longer holds the deal"


def test_a_deal_not_yet_activated_is_not_reported(scanner, nodes):
    write_deal_log(nodes[0], deal("fresh"))
    write_deal_log(nodes[0], deal("reset", reset=[{"dateTime": "2020/01/01-10:00:30", "reason": "x"}]))
    assert [item["dealId"] for item in Spooled().round(scanner)] == ["reset"]


def test_a_file_caught_in_the_middle_of_a_rewrite_waits_a_round(scanner, nodes, caplog):
    cut_short(nodes[0], cumulating("d4", "2020/01/01-10:03:00", 10.0))
    (nodes[0] / "2020/01/01" / "d5").parent.mkdir(parents=True, exist_ok=True)
    (nodes[0] / "2020/01/01" / "d5").touch()  # created, not yet written
    spooled = Spooled()
    assert spooled.round(scanner) == []
    write_deal_log(nodes[0], cumulating("d4", "2020/01/01-10:03:00", 10.0))
    write_deal_log(nodes[0], activated("d5"))
    assert {item["dealId"] for item in spooled.round(scanner)} == {"d4", "d5"}
    assert "left out" not in caplog.text


def test_a_file_that_stays_broken_is_left_out_once_and_the_other_copy_reported(scanner, nodes, caplog):
    write_deal_log(nodes[0], cumulating("d6", "2020/01/01-10:03:00", 10.0))
    cut_short(nodes[1], cumulating("d6", "2020/01/01-10:04:00", 15.0))
    (nodes[2] / "2020/01/01").mkdir(parents=True)
    (nodes[2] / "2020/01/01" / "d7").write_text('{"dealId": "another"}')
    spooled = Spooled()
    with caplog.at_level(logging.WARNING):
        assert spooled.round(scanner) == []
        [reported] = spooled.round(scanner)
        assert spooled.round(scanner) == []
    assert reported["cumulateAmountWh"] == 10.0
    left_out = [record.getMessage() for record in caplog.records if "left out" in record.getMessage()]
    assert len(left_out) == 2 and any("is not the file's name" in message for message in left_out)


def test_a_deal_the_service_center_would_refuse_is_left_out_and_the_others_reported(scanner, nodes, caplog):
    write_deal_log(nodes[0], activated("bad", startDateTime="yesterday"))
    write_deal_log(nodes[0], activated("good"))
    with caplog.at_level(logging.WARNING):
        assert [item["dealId"] for item in Spooled().round(scanner)] == ["good"]
    assert "deal bad not reported : not an APIS time: 'yesterday'" in caplog.text


def test_an_unreadable_node_directory_is_logged_once_and_the_others_are_read(tmp_path, nodes, caplog):
    scanner = DealLogScanner([*nodes, tmp_path / "not-mounted"], tmp_path / "state.json")
    write_deal_log(nodes[2], activated("d8"))
    spooled = Spooled()
    with caplog.at_level(logging.WARNING):
        assert [item["dealId"] for item in spooled.round(scanner)] == ["d8"]
        spooled.round(scanner)
    assert caplog.text.count("not-mounted not readable") == 1


def test_a_restarted_scanner_reads_only_the_files_of_the_last_window(tmp_path, nodes, monkeypatch):
    monkeypatch.setattr(dealreporting, "WINDOW_SEC", 0)
    for name in ("a", "b", "c"):
        write_deal_log(nodes[0], activated(name))
        time.sleep(0.05)  # distinct inode change times
    state = tmp_path / "deal-log-state.json"
    assert len(Spooled().round(DealLogScanner(nodes, state))) == 3
    restarted = DealLogScanner(nodes, state)
    write_deal_log(nodes[1], activated("d"))
    assert {item["dealId"] for item in Spooled().round(restarted)} == {"c", "d"}, (
        "the newest file and the new"
    )


def test_deals_the_spool_could_not_take_are_offered_again(scanner, nodes):
    write_deal_log(nodes[0], activated("e"))
    spooled = Spooled()
    spooled.full = True
    assert spooled.round(scanner) == []
    spooled.full = False
    assert [item["dealId"] for item in spooled.round(scanner)] == ["e"]


@pytest.fixture
def apis_web():
    double = ApisWebDouble()
    yield double
    double.close()


def test_without_deal_logs_the_live_deals_of_apis_webs_deals_are_reported(apis_web, monkeypatch):
    apis_web.deals = [activated("x1"), deal("x2", "2020/01/01-10:00:05")]
    with httpx.Client(timeout=5) as client:
        fallback = LiveDealsFallback(client, apis_web.budo_url)
        spooled = Spooled()
        first = spooled.round(fallback)
        assert spooled.round(fallback) == [], "unchanged and refreshed only after LIVE_REFRESH_SEC"
        monkeypatch.setattr(dealreporting, "LIVE_REFRESH_SEC", 0.0)
        apis_web.deals = apis_web.deals[:1]
        again = spooled.round(fallback)
    assert [item["createDateTime"] for item in first] == ["2020/01/01-10:00:00", "2020/01/01-10:00:05"]
    assert first[0] == {
        "chargeUnitId": "E001",
        "dischargeUnitId": "E002",
        "requestUnitId": "E001",
        "acceptUnitId": "E002",
        "createDateTime": "2020/01/01-10:00:00",
        "type": "charge",
        "isMaster": True,
        "dealId": reduced_deal({**_reduced_of(activated("x1"))})["dealId"],
    }
    assert [item["dealId"] for item in again] == [first[0]["dealId"]], "the same id in every round"
    assert set(apis_web.paths) == {"/deals"}


def _reduced_of(full: dict) -> dict:
    return {
        "chargingUnit": full["chargeUnitId"],
        "dischargingUnit": full["dischargeUnitId"],
        "isMasterDeal": full["isMaster"],
        "request": full["type"].upper(),
        "requester": full["requestUnitId"],
        "responder": full["acceptUnitId"],
        "startTime": full["createDateTime"],
    }


@pytest.mark.parametrize(
    "item",
    [
        "text",
        {"chargingUnit": "E001"},
        {**_reduced_of(activated("y")), "request": "BOTH"},
        {**_reduced_of(activated("y")), "startTime": 5},
    ],
)
def test_an_item_of_deals_that_is_not_apis_webs_form_is_not_a_deal(item):
    assert reduced_deal(item) is None
