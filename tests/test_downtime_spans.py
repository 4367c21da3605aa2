"""The availability rule on a record timeline and the in-memory edit of a unit's downtimes
(``apis.downtime.spans``), at their edges: equal times, open ends, touching stretches, rows edited twice."""

from datetime import UTC, datetime, timedelta

from apis.downtime.spans import UnitRows, down_spans, merge_spans

T0 = datetime(2026, 1, 1, tzinfo=UTC)
TOLERANCE = timedelta(seconds=120)


def t(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_of_records_at_the_same_time_only_the_first_counts_and_the_rest_of_the_timeline_still_does():
    points = [(t(0), False), (t(0), True), (t(30), False), (t(300), False), (t(330), True), (t(360), False)]
    assert down_spans(points, TOLERANCE, open_end=False) == [(t(30), t(300)), (t(330), t(360))]


def test_a_down_stretch_running_into_a_down_last_record_becomes_one_open_span():
    points = [(t(0), True), (t(30), True)]
    assert down_spans(points, TOLERANCE, open_end=True) == [(t(0), None)]
    assert down_spans([(t(0), False), (t(30), True)], TOLERANCE, open_end=True) == [(t(30), None)]


def test_an_open_span_absorbs_every_later_span_whatever_their_order():
    assert merge_spans([(t(50), t(60)), (t(10), None), (t(10), t(20))]) == [(t(10), None)]
    assert merge_spans([(t(10), t(20)), (t(10), None)]) == [(t(10), None)]


def loaded(*spans: tuple[float, float | None]) -> UnitRows:
    rows = UnitRows()
    for pk, (start, end) in enumerate(spans, start=1):
        rows.load(pk, t(start), None if end is None else t(end))
    return rows


def spans_of(rows: UnitRows) -> list[tuple[datetime, datetime | None]]:
    return sorted((row.start, row.end) for row in rows.live())


def test_a_row_touching_the_stretch_is_merged_with_the_new_span():
    rows = loaded((0, 100))
    rows.replace(t(100), t(400), [(t(100), t(200))])
    assert spans_of(rows) == [(t(0), t(200))]
    assert rows.new == [] and rows.deleted == []


def test_rows_outside_the_stretch_stay_as_they_are():
    rows = loaded((0, 50), (500, 600))
    rows.replace(t(100), t(400), [(t(150), t(200))])
    assert spans_of(rows) == [(t(0), t(50)), (t(150), t(200)), (t(500), t(600))]
    assert [row.changed for row in rows.rows.values()] == [False, False]


def test_a_new_row_is_dropped_when_a_later_stretch_says_up():
    rows = UnitRows()
    rows.replace(t(0), t(400), [(t(100), t(200))])
    rows.replace(t(0), t(400), [])
    assert rows.live() == [] and rows.deleted == []


def test_loading_a_row_again_keeps_what_the_pass_made_of_it():
    rows = loaded((0, 100))
    rows.replace(t(50), t(400), [])
    rows.load(1, t(0), t(100))
    assert spans_of(rows) == [(t(0), t(50))]
