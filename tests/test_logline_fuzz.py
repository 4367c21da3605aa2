"""The log line scanner: the same results as apis-log's regular-expression grammar (kept here only as the
oracle), in linear time on the inputs that made the regular expressions backtrack for minutes, and no
exception and a bounded time on any text at all."""

import re
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from apis.apis_log.collector import Collector, CollectorConfig
from apis.apis_log.models import ApisLog
from apis.apis_log.parse import HEADER_LIMIT, LEVELS, LogLine, parse_line
from apis.apis_log.rows import COLUMNS
from tests.helpers import ADVERSARIAL

# ---- the oracle: the grammar as it was, a backtracking regular expression per format -----------------

_TAIL = r"\[(?P<thread>.*?)\] (?P<datetime>\S+) (?P<level>\S+) \[(?P<logger>.*?)\]  (?P<message>.*)\Z"
_REGEX_FORMATS = [
    re.compile(r"\[\[\[(?P<program>[^:\]]*?)(?::(?P<unit>.*?))?\]\]\] " + _TAIL, re.DOTALL),
    re.compile(r"\[\[(?P<unit>.*?)\]\] " + _TAIL, re.DOTALL),
    re.compile(_TAIL, re.DOTALL),
]


def regex_parse_line(text: str) -> LogLine | None:
    """The parser before the scanner replaced it (exponential on forged lines: short inputs only)."""
    for pattern in _REGEX_FORMATS:
        match = pattern.match(text)
        if match is None:
            continue
        parts = match.groupdict()
        try:
            moment = datetime.fromisoformat(parts["datetime"])
        except ValueError:
            return None
        if moment.tzinfo is None:
            return None
        return LogLine(
            program=parts.get("program"),
            unit=parts.get("unit"),
            thread=parts["thread"],
            datetime=moment,
            level=parts["level"],
            logger=parts["logger"],
            message=parts["message"],
        )
    return None


# ---- generated lines --------------------------------------------------------------------------------

# The characters the grammar turns on, plus a few ordinary and white-space ones (\S is Unicode-aware).
_TRICKY = st.sampled_from([*"[]: \n\t\u00a0aZ0+-T.", "]] ", "] ", "]  ", "]]] [", "[[[", " ["])
_FIELD = st.lists(_TRICKY, max_size=6).map("".join)
_ZONES = st.sampled_from(
    [UTC, timezone(timedelta(hours=9)), timezone(timedelta(hours=-12)), timezone(timedelta(hours=14))]
)
_ISO_TIME = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=_ZONES).map(
    lambda moment: moment.isoformat()
)
_TIME_WORD = st.one_of(
    _ISO_TIME,
    st.sampled_from(
        ["2020-01-01T00:00:00", "yesterday", "2020-11-24T12:16:09.437+09:00", "0001-01-01T00:00"]
    ),
    _FIELD,
)
_LEVEL_WORD = st.one_of(st.sampled_from([*LEVELS, "info", "LOUD"]), _FIELD)


@st.composite
def well_formed_lines(draw) -> str:
    """Lines of the four formats, with fields full of brackets, colons, spaces and newlines."""
    prefix = draw(
        st.sampled_from(["[[[{p}:{u}]]] ", "[[[{p}]]] ", "[[{u}]] ", ""]).map(
            lambda form: form.format(p=draw(_FIELD), u=draw(_FIELD))
        )
    )
    thread, logger, message = draw(_FIELD), draw(_FIELD), draw(_FIELD)
    return f"{prefix}[{thread}] {draw(_TIME_WORD)} {draw(_LEVEL_WORD)} [{logger}]  {message}"


_PIECES = st.sampled_from(
    [
        *(
            "[[[",
            "[[",
            "[",
            "]]] ",
            "]] ",
            "] ",
            "]  ",
            "]",
            ":",
            " ",
            "  ",
            "\n",
            "a",
            "E0[0]3",
            "INFO",
            "x.Y",
        ),
        *("2020-01-01T00:00:00+09:00", "0001-01-01T00:00:00+14:00", "]]] [", "] x y [", "]  m"),
        *(
            "] 2020-01-01T00:00:00Z INFO [",
            "] 2020-01-01T00:00:00+09:00 FINE [",
            "] 2020-01-01T00:00:00 INFO [",
        ),
    ]
)
_ASSEMBLED = st.tuples(st.sampled_from(["[[[", "[[", "["]), st.lists(_PIECES, max_size=16)).map(
    lambda parts: parts[0] + "".join(parts[1])
)


@st.composite
def near_well_formed_lines(draw) -> str:
    """A well-formed line with a few pieces inserted, deleted or doubled anywhere."""
    line = draw(well_formed_lines())
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(line)))
        action = draw(st.sampled_from(["insert", "delete", "double"]))
        if action == "insert":
            line = line[:at] + draw(_PIECES) + line[at:]
        elif action == "delete":
            line = line[:at] + line[at + draw(st.integers(1, 3)) :]
        else:
            line = line[:at] + line[at : at + 6] + line[at:]
    return line


_ORACLE = settings(
    max_examples=1500, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


@_ORACLE
@given(well_formed_lines())
@example("[[[apis-main:E0[0]3]]] [t] 2020-01-01T00:00:00+09:00 INFO [x]  m")
@example("[[[]]] [t] 2020-01-01T00:00:00+09:00 INFO [x]  m")
@example("[[[:]]] [t] 2020-01-01T00:00:00+09:00 INFO [x]  m")
@example("[main] 2020-01-01T00:00:00Z INFO [x.Y]  two\nlines")
def test_well_formed_lines_parse_as_the_regular_expressions_parsed_them(text):
    assert parse_line(text) == regex_parse_line(text)


@_ORACLE
@given(near_well_formed_lines())
def test_near_well_formed_lines_parse_as_the_regular_expressions_parsed_them(text):
    assert parse_line(text) == regex_parse_line(text)


@_ORACLE
@given(_ASSEMBLED)
@example("[[[a:b]]] [[t] x] 2020-01-01T00:00:00Z INFO [l]  m")
@example("[t] 2020-01-01T00:00:00Z] 2020-01-01T00:00:00Z INFO [l]  m")
def test_lines_assembled_from_grammar_pieces_parse_as_the_regular_expressions_parsed_them(text):
    assert parse_line(text) == regex_parse_line(text)


# ---- linear time ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_a_64_kb_backtracking_bomb_parses_in_a_fraction_of_a_second(text):
    began = time.perf_counter()
    parse_line(text)
    assert time.perf_counter() - began < 1.0


def test_a_line_with_a_header_beyond_the_limit_is_unparsed_but_a_long_message_is_kept():
    tail = " 2020-01-01T00:00:00Z INFO [x]  m"
    assert parse_line("[" + "t" * HEADER_LIMIT + "]" + tail) is None
    message = "stack trace line\n" * 3800
    line = parse_line("[[[apis-main:E001]]] [t] 2020-01-01T00:00:00Z SEVERE [x]  " + message)
    assert (line.unit, line.message) == ("E001", message)


# ---- fuzz: any text ---------------------------------------------------------------------------------

_FUZZ = settings(max_examples=500, deadline=timedelta(milliseconds=250), database=None)


def _check_parts(text: str, line: LogLine | None) -> None:
    if line is None:
        return
    assert text.endswith(line.message)
    assert len(text) - len(line.message) <= HEADER_LIMIT
    assert line.thread in text and line.logger in text
    assert line.datetime.tzinfo is not None


@_FUZZ
@given(st.text(max_size=20_000))
def test_arbitrary_text_never_raises_and_returns_promptly(text):
    _check_parts(text, parse_line(text))


@_FUZZ
@given(st.lists(_PIECES, max_size=2000).map("".join))
def test_long_lines_made_of_grammar_pieces_never_raise_and_return_promptly(text):
    _check_parts(text, parse_line(text))


@pytest.fixture(scope="module")
def collector():
    """A collector that keeps every level (its socket is bound, nothing is received)."""
    config = CollectorConfig(
        host="127.0.0.1", port=0, group=None, community_id="c", cluster_id="k", level="ALL"
    )
    collector = Collector(config)
    yield collector
    collector.sock.close()


_DATAGRAMS = st.one_of(
    st.binary(max_size=5000),
    well_formed_lines().map(str.encode),
    st.tuples(
        well_formed_lines(), st.sampled_from(["\x00", "\udcff", "é", "\u2028"]), st.integers(1, 400)
    ).map(lambda parts: parts[0].replace("]", parts[1] * parts[2] + "]", 2).encode(errors="surrogatepass")),
)


@_FUZZ
@given(_DATAGRAMS)
def test_any_datagram_becomes_a_row_that_fits_its_columns_and_the_clock_skew_window(collector, payload):
    received = datetime.now(UTC)
    row = collector.record(payload, "127.0.0.1:9", received)
    if row is None:  # an unknown level or a MongoDB driver line
        return
    values = dict(zip(COLUMNS, row, strict=True))
    for column, value in values.items():
        limit = ApisLog._meta.get_field(column).max_length
        assert value is None or limit is None or len(value) <= limit
        assert not isinstance(value, str) or "\x00" not in value
    assert abs(values["datetime"] - received) <= collector.clock_skew
    assert values["datetime"].utcoffset() == timedelta(0)
