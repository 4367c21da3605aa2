"""The durable spools, one per report kind: written before sent, in order, bounded with a SEVERE message per
refused report, surviving a restart, and taking over what the old single-spool layout left."""

import logging

import pytest

from apis.ccc.sender import merged_body
from apis.ccc.spool import Spool, SpoolFull, open_spools


def names(paths) -> list[str]:
    return [path.name for path in paths]


def test_each_kind_has_its_own_spool_and_order(tmp_path):
    spools = open_spools(tmp_path, 10, 10**6)
    for kind in ("unitData", "deal", "unitData"):
        spools[kind].put(b"[]")
    assert names(spools["unitData"].pending(0)) == [
        "000000000000.unitData.json",
        "000000000001.unitData.json",
    ]
    assert names(spools["deal"].pending(0)) == ["000000000000.deal.json"]
    assert spools["deal"].directory == tmp_path / "deal"


def test_a_new_spool_on_the_same_directory_continues_where_the_old_one_stopped(tmp_path):
    old = Spool(tmp_path, "unitData", 10, 10**6)
    old.put(b'[{"datasetId": 1}]')
    old.put(b'[{"datasetId": 2}]')
    (tmp_path / "000000000009.unitData.tmp").write_bytes(b"[{")  # a write cut short by a crash
    (tmp_path / "notes.txt").write_text("not the spool's")
    new = Spool(tmp_path, "unitData", 10, 10**6)
    assert len(new) == 2 and not list(tmp_path.glob("*.tmp"))
    assert [path.read_bytes() for path in new.pending(0)] == [b'[{"datasetId": 1}]', b'[{"datasetId": 2}]']
    assert new.put(b"[]").name == "000000000002.unitData.json"
    assert (tmp_path / "notes.txt").exists()


@pytest.mark.parametrize(("max_files", "max_bytes"), [(2, 10**7), (100, 2 * (1024 * 1024 + 2) + 10)])
def test_a_full_spool_refuses_new_reports_loudly_and_keeps_the_old_ones(
    tmp_path, caplog, max_files, max_bytes
):
    spool = Spool(tmp_path, "deal", max_files, max_bytes)
    body = b"[" + b" " * (1024 * 1024) + b"]"
    spool.put(body)
    spool.put(body)
    with caplog.at_level(logging.ERROR), pytest.raises(SpoolFull):
        spool.put(body)
    assert "spool full (2 reports" in caplog.text and "deal report dropped (1 dropped so far)" in caplog.text
    assert len(spool) == 2 and spool.refused == 1
    spool.remove(spool.pending(0)[:1])
    assert spool.put(b"[]").name == "000000000002.deal.json", "room again once a report is sent"


def test_a_rejected_report_leaves_the_spool_for_its_rejected_directory(tmp_path):
    spool = Spool(tmp_path, "unitData", 10, 10**6)
    first = spool.put(b"[1]")
    spool.put(b"[2]")
    target = spool.reject(first)
    assert target == tmp_path / "rejected" / first.name and target.read_bytes() == b"[1]"
    assert names(Spool(tmp_path, "unitData", 10, 10**6).pending(0)) == ["000000000001.unitData.json"]


@pytest.mark.parametrize(("max_files", "max_bytes"), [(3, 10**6), (100, 9)])
def test_rejected_reports_are_kept_within_the_spools_bounds_oldest_deleted_first(
    tmp_path, caplog, max_files, max_bytes
):
    spool = Spool(tmp_path, "deal", max_files, max_bytes)
    with caplog.at_level(logging.WARNING):
        for number in range(5):
            spool.reject(spool.put(b"[%d]" % number))
    kept = sorted(path.name for path in (tmp_path / "rejected").iterdir())
    assert kept == ["000000000002.deal.json", "000000000003.deal.json", "000000000004.deal.json"]
    assert spool.rejected == 5 and len(spool) == 0
    assert "1 oldest rejected deal reports deleted" in caplog.text


def test_the_old_single_spool_layout_is_moved_into_the_spools_of_its_kinds(tmp_path):
    for name, body in [
        ("000000000003.unitData.json", b"[3]"),
        ("000000000004.deal.json", b"[4]"),
        ("000000000005.unitData.json", b"[5]"),
    ]:
        (tmp_path / name).write_bytes(body)
    (tmp_path / "rejected").mkdir()
    (tmp_path / "rejected" / "000000000001.deal.json").write_bytes(b"[1]")
    (tmp_path / "completed-deals.cursor").write_text("17")
    spools = open_spools(tmp_path, 10, 10**6)
    assert [path.read_bytes() for path in spools["unitData"].pending(0)] == [b"[3]", b"[5]"]
    assert [path.read_bytes() for path in spools["deal"].pending(0)] == [b"[4]"]
    assert (tmp_path / "deal" / "rejected" / "000000000001.deal.json").read_bytes() == b"[1]"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["deal", "unitData"]
    assert spools["unitData"].put(b"[6]").name == "000000000006.unitData.json", "the sequence goes on"


def test_consecutive_reports_are_merged_into_one_array(tmp_path):
    spool = Spool(tmp_path, "unitData", 10, 10**6)
    for body in (b'[{"a": 1}]', b"[]", b'[{"b": 2}, {"c": 3}]'):
        spool.put(body)
    body, used = merged_body(spool.pending(0))
    assert body == b'[{"a": 1},{"b": 2}, {"c": 3}]' and len(used) == 3
