"""The durable spool: ordered, surviving a restart, bounded with a SEVERE message per refused report."""

import logging

import pytest

from apis.ccc.sender import merged_body
from apis.ccc.spool import Spool, SpoolFull


def test_reports_come_back_in_order_and_one_kind_per_batch(tmp_path):
    spool = Spool(tmp_path, 10)
    for kind in ("unitData", "unitData", "deal", "unitData"):
        spool.put(kind, b"[]")
    first = spool.batch(10, 0)
    assert [path.name for path in first] == ["000000000000.unitData.json", "000000000001.unitData.json"]
    spool.remove(first)
    assert [path.name for path in spool.batch(10, 0)] == ["000000000002.deal.json"]


def test_a_new_spool_on_the_same_directory_continues_where_the_old_one_stopped(tmp_path):
    old = Spool(tmp_path, 10)
    old.put("unitData", b'[{"datasetId": 1}]')
    old.put("unitData", b'[{"datasetId": 2}]')
    (tmp_path / "000000000009.unitData.tmp").write_bytes(b"[{")  # a write cut short by a crash
    new = Spool(tmp_path, 10)
    assert len(new) == 2 and not list(tmp_path.glob("*.tmp"))
    assert new.put("deal", b"[]").name == "000000000002.deal.json"


def test_a_full_spool_refuses_new_reports_loudly_and_keeps_the_old_ones(tmp_path, caplog):
    spool = Spool(tmp_path, 2)
    spool.put("unitData", b"[1]")
    spool.put("unitData", b"[2]")
    with caplog.at_level(logging.ERROR), pytest.raises(SpoolFull):
        spool.put("unitData", b"[3]")
    assert "spool full (2 reports" in caplog.text and "1 dropped so far" in caplog.text
    assert [path.read_bytes() for path in spool.batch(10, 0)] == [b"[1]", b"[2]"]


def test_consecutive_reports_are_merged_into_one_array(tmp_path):
    spool = Spool(tmp_path, 10)
    for body in (b'[{"a": 1}]', b"[]", b'[{"b": 2}, {"c": 3}]'):
        spool.put("unitData", body)
    body, used = merged_body(spool.batch(10, 0))
    assert body == b'[{"a": 1},{"b": 2}, {"c": 3}]' and len(used) == 3
