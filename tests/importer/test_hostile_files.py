"""``import_mongodump`` on hostile export files: a document larger than BSON's limit (a gzip bomb included)
is skipped in bounded memory, a document that does not decode or holds a value no column can hold is
rejected with its reason, and the import goes on with the next documents. Only a file that cannot be read
on (cut off, or a length after which no later document can be found) stops, naming the place."""

import gzip
import io
import json
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import bson
import psycopg
import pytest
from bson import DatetimeMS
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from apis.deal.models import Deal
from apis.downtime.models import DowntimeStatus
from apis.importer.sources import MAX_DOCUMENT_BYTES, MAX_DOCUMENT_CHARS
from apis.unit_data.models import UnitData
from tests.helpers import APIS, command_env
from tests.importer import documents as mongo

BOMB_BYTES = 512 << 20
PEAK_LIMIT_MB = 300


def run_import(directory: Path) -> str:
    out = io.StringIO()
    call_command("import_mongodump", str(directory), stdout=out, stderr=io.StringIO())
    return out.getvalue()


def good_units(count: int, first: int = 0) -> list[dict]:
    return [mongo.unit_data("E001", at) for at in mongo.every(30, first + count)[first:]]


def encoded(documents: list[dict]) -> bytes:
    return b"".join(bson.encode(document) for document in documents)


def string_document(size: int, field: str = "pad") -> tuple[bytes, bytes]:
    """The head and tail of a BSON document ``{field: "x…"}`` of exactly ``size`` bytes (the string's
    characters go between them)."""
    overhead = 4 + 1 + len(field) + 1 + 4 + 1 + 1  # length, type, name, NUL, string length, NUL, end
    characters = size - overhead
    head = size.to_bytes(4, "little") + b"\x02" + field.encode() + b"\x00"
    return head + (characters + 1).to_bytes(4, "little"), b"\x00\x00"


def gzip_bomb(path: Path, before: bytes, size: int, after: bytes, fill: bytes = b"x") -> Path:
    """A ``.gz`` file that really decompresses to ``before``, a document of ``size`` bytes and ``after``:
    gzip members, the 1 MiB of filling compressed once (a few KB on disk for hundreds of MiB)."""
    head, tail = string_document(size)
    chunk = 1 << 20
    filling = size - len(head) - len(tail)
    member = gzip.compress(fill * chunk, compresslevel=9)
    with path.open("wb") as file:
        file.write(gzip.compress(before + head))
        for _ in range(filling // chunk):
            file.write(member)
        file.write(gzip.compress(fill * (filling % chunk) + tail + after))
    return path


def json_gzip_bomb(path: Path, before: bytes, characters: int, after: bytes) -> Path:
    """A ``.json.gz`` of lines: ``before``, ``{"pad": "x…"}`` of ``characters`` characters, ``after``."""
    chunk = 1 << 20
    member = gzip.compress(b"x" * chunk, compresslevel=9)
    with path.open("wb") as file:
        file.write(gzip.compress(before + b'{"pad": "'))
        for _ in range(characters // chunk):
            file.write(member)
        file.write(gzip.compress(b'"}\n' + after))
    return path


def json_lines(documents: list) -> bytes:
    return "".join(bson.json_util.dumps(document) + "\n" for document in documents).encode()


@pytest.fixture(scope="module")
def migrated_sqlite(tmp_path_factory) -> Path:
    """An SQLite database migrated once by a real ``apis manage migrate``, copied for each test."""
    path = tmp_path_factory.mktemp("import-db") / "template.sqlite3"
    subprocess.run(
        [APIS, "manage", "migrate", "-v0"], env=command_env(f"sqlite:///{path}", path.parent), check=True
    )
    return path


@pytest.fixture
def process_database(request, tmp_path) -> str:
    """A database an ``apis`` subprocess imports into: the test database on PostgreSQL (for a test marked
    ``django_db(transaction=True)``, emptied after it), a migrated copy on SQLite; its URL."""
    if connection.vendor == "postgresql":
        return "postgresql://{USER}:{PASSWORD}@{HOST}:{PORT}/{NAME}".format(**connection.settings_dict)
    copy = tmp_path / "apis.sqlite3"
    shutil.copy(request.getfixturevalue("migrated_sqlite"), copy)
    return f"sqlite:///{copy}"


def unit_rows(database_url: str) -> int:
    table = UnitData._meta.db_table
    if database_url.startswith("postgresql"):
        with psycopg.connect(database_url) as database:
            return database.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    with sqlite3.connect(database_url.removeprefix("sqlite:///")) as database:
        return database.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


# Runs a command and writes the peak resident memory of its children (KB) to a file. The command is
# started from this small process: a child's ``ru_maxrss`` also counts the pages it shared with its parent
# before ``exec``, and the test process itself holds hundreds of MB.
_PEAK_OF_CHILD = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[2:])\n"
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.exit(code)\n"
)


def import_process(directory: Path, database_url: str) -> tuple[int, str, int]:
    """Run ``apis manage import_mongodump`` as a process; its exit code, report and peak resident memory
    in MB (``getrusage(RUSAGE_CHILDREN).ru_maxrss`` in the process that started it)."""
    peak = directory.parent / "peak-kb"
    done = subprocess.run(
        [sys.executable, "-c", _PEAK_OF_CHILD, str(peak), APIS, "manage", "import_mongodump", str(directory)],
        env=command_env(database_url, directory.parent),
        capture_output=True,
        text=True,
    )
    return done.returncode, done.stdout + done.stderr, int(peak.read_text()) // 1024


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["bson.gz", "json.gz"])
def test_a_gzip_bomb_is_skipped_in_bounded_memory_and_the_documents_after_it_are_imported(
    tmp_path, process_database, kind
):
    dump = tmp_path / "dump"
    dump.mkdir()
    path = dump / f"unitData.{kind}"
    if kind == "bson.gz":
        gzip_bomb(path, encoded(good_units(1)), BOMB_BYTES, encoded(good_units(3, first=1)))
    else:
        json_gzip_bomb(path, json_lines(good_units(1)), BOMB_BYTES, json_lines(good_units(3, first=1)))
    assert path.stat().st_size < 1 << 20  # a small file …
    with gzip.open(path) as unpacked:  # … that really holds the whole document
        assert sum(len(block) for block in iter(lambda: unpacked.read(1 << 24), b"")) > BOMB_BYTES

    code, report, peak_mb = import_process(dump, process_database)

    assert code == 0, report
    assert "unitData: 5 read from 1 file(s), 4 imported, 0 skipped (already present), 1 rejected" in report
    reason = "larger than BSON's limit: 536,870,912 bytes" if kind == "bson.gz" else "larger than"
    assert f"rejected: unitData.{kind} document 2: {reason}" in report
    assert peak_mb < PEAK_LIMIT_MB
    assert unit_rows(process_database) == 4


@pytest.mark.django_db
def test_a_bson_document_up_to_the_limit_is_imported_and_one_byte_more_is_rejected(tmp_path):
    at_limit = mongo.unit_data("E002")
    at_limit["pad"] = ""
    at_limit["pad"] = "x" * (MAX_DOCUMENT_BYTES - len(bson.encode(at_limit)))
    over = mongo.unit_data("E003")
    over["pad"] = ""
    over["pad"] = "x" * (MAX_DOCUMENT_BYTES + 1 - len(bson.encode(over)))
    assert len(bson.encode(at_limit)) == MAX_DOCUMENT_BYTES == len(bson.encode(over)) - 1
    mongo.write_bson(tmp_path / "unitData.bson", [*good_units(1), at_limit, over, *good_units(1, first=1)])

    report = run_import(tmp_path)

    assert "4 read from 1 file(s), 3 imported, 0 skipped (already present), 1 rejected" in report
    assert f"document 3: larger than BSON's limit: {MAX_DOCUMENT_BYTES + 1:,} bytes" in report
    assert len(UnitData.objects.get(reported_unit__unit_id="E002").data["pad"]) > 16 << 20


@pytest.mark.django_db
def test_a_json_document_over_the_limit_is_skipped_and_the_next_ones_are_imported(tmp_path):
    # Escaped quotes and brackets inside the strings: the skip must find the document's real end.
    filler = 'a\\"]}[{' * (MAX_DOCUMENT_CHARS // 7 + 1)
    huge = '{"pad": "' + filler + '", "more": [1, {"y": "}]"}]}\n'
    lines = json_lines(good_units(1)).decode() + huge + json_lines(good_units(2, first=1)).decode()
    (tmp_path / "unitData.json").write_text(lines)

    report = run_import(tmp_path)

    assert "4 read from 1 file(s), 3 imported, 0 skipped (already present), 1 rejected" in report
    assert f"document 2: larger than {MAX_DOCUMENT_CHARS:,} characters (document from line 2)" in report


@pytest.mark.django_db
def test_a_file_cut_inside_a_declared_huge_document_fails_after_the_documents_before(tmp_path):
    head, _ = string_document(BOMB_BYTES)
    (tmp_path / "unitData.bson").write_bytes(encoded(good_units(2)) + head + b"x" * 1000)
    mongo.write_bson(tmp_path / "deal.bson", [mongo.deal("d-1")])

    with pytest.raises(
        CommandError, match=r"unitData\.bson: unreadable after 2 documents .*: the file ends inside"
    ):
        run_import(tmp_path)

    assert UnitData.objects.count() == 2
    assert Deal.objects.count() == 1  # the other collections are imported all the same


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (
            (3).to_bytes(4, "little", signed=True),
            "a document declares 3 bytes; no later document can be found",
        ),
        ((-1).to_bytes(4, "little", signed=True), "a document declares -1 bytes"),
        (b"\x10\x00", "the file ends inside the length of a document (2 of 4 bytes)"),
        (b"\x0d\x00\x00\x00\x10a\x00\x01\x00\x00\x00\x07", "does not end where its length says"),
    ],
)
def test_a_length_that_cannot_be_true_fails_the_file_naming_it(tmp_path, bad, message):
    after = b"" if len(bad) < 4 else encoded(good_units(1, first=2))  # a cut length ends the file
    (tmp_path / "unitData.bson").write_bytes(encoded(good_units(2)) + bad + after)
    mongo.write_bson(tmp_path / "downtimeStatus.bson", [mongo.status("E001", mongo.START)])

    with pytest.raises(CommandError, match=r"unitData\.bson: unreadable after 2 documents") as failure:
        run_import(tmp_path)

    assert message in str(failure.value)
    assert UnitData.objects.count() == 2
    assert DowntimeStatus.objects.count() == 1  # the other collection is imported all the same


def nested(depth: int) -> bytes:
    """A BSON document ``{"a": {"a": … {}}}`` nested ``depth`` levels (bson.encode itself would recurse)."""
    inner = bson.encode({})
    for _ in range(depth):
        body = b"\x03a\x00" + inner + b"\x00"
        inner = (len(body) + 4).to_bytes(4, "little") + body
    return inner


def with_field(document: dict, raw_element: bytes) -> bytes:
    """``document`` encoded with one more raw BSON element appended."""
    data = bson.encode(document)
    body = data[4:-1] + raw_element
    return (len(body) + 5).to_bytes(4, "little") + body + b"\x00"


@pytest.mark.django_db
def test_a_bson_document_that_does_not_decode_is_rejected_and_the_next_ones_are_imported(tmp_path):
    unit = mongo.unit_data("E009")
    bad_utf8 = with_field(unit, b"\x02s\x00\x03\x00\x00\x00\xff\xfe\x00")
    unknown_type = with_field(unit, b"\x99t\x00")
    documents = [nested(5_000), nested(200), bad_utf8, unknown_type]
    (tmp_path / "unitData.bson").write_bytes(
        encoded(good_units(1)) + b"".join(documents) + encoded(good_units(2, first=1))
    )

    report = run_import(tmp_path)

    assert "7 read from 1 file(s), 3 imported, 0 skipped (already present), 4 rejected" in report
    assert "document 2: invalid BSON: maximum recursion depth exceeded" in report
    assert "document 3: nested deeper than 64 levels (field a.a.a." in report
    assert "document 4: invalid BSON:" in report and "document 5: invalid BSON:" in report


@pytest.mark.django_db
def test_values_no_column_can_hold_are_rejected_and_never_stop_a_batch(tmp_path):
    def unit(n: int, **fields) -> dict:
        return {**mongo.unit_data("E001", mongo.every(30, 20)[n]), **fields}

    documents = [
        unit(1, note="a\x00b"),
        unit(2, emu={"rsoc": DatetimeMS(-(10**15))}),
        unit(3, emu={"when": datetime(1, 1, 1, tzinfo=UTC)}),
        unit(4, emu={"when": datetime(9999, 6, 1, tzinfo=UTC)}),
        unit(5, time=datetime(1899, 12, 31, tzinfo=UTC)),
    ]
    mongo.write_bson(tmp_path / "unitData.bson", [unit(0), *documents, unit(6)])
    logs = [mongo.log(), {**mongo.log(), "_id": "id\x00"}, {**mongo.log(), "_id": {"nested": [1]}}]
    mongo.write_bson(tmp_path / "apisLog.bson", logs)

    report = run_import(tmp_path)

    assert "unitData: 7 read from 1 file(s), 2 imported, 0 skipped (already present), 5 rejected" in report
    assert "document 2: a NUL character (field note)" in report
    assert "document 3: a date outside 1900-01-01 to 9999-01-01 (field emu.rsoc)" in report
    assert "document 4: a date outside 1900-01-01 to 9999-01-01 (field emu.when)" in report
    assert "document 5: a date outside 1900-01-01 to 9999-01-01 (field emu.when)" in report
    assert "document 6: a date outside 1900-01-01 to 9999-01-01 (field time)" in report
    assert "apisLog: 3 read from 1 file(s), 1 imported, 0 skipped (already present), 2 rejected" in report
    assert "apisLog.bson document 2: invalid field _id: a NUL character" in report
    assert "apisLog.bson document 3: invalid field _id: an object of 1 fields" in report


@pytest.mark.django_db
def test_extended_json_that_does_not_convert_is_rejected_and_the_next_lines_are_imported(tmp_path):
    good = json_lines(good_units(1)).decode()
    base = json.loads(bson.json_util.dumps(mongo.unit_data("E002")))
    bad_lines = [
        {**base, "emu": {"at": {"$date": "0001-01-01T00:00:00+14:00"}}},
        {**base, "emu": {"at": {"$date": "9999-12-31T23:59:59-05:00"}}},
        {**base, "emu": {"at": {"$date": {"$numberLong": "-99999999999999"}}}},
        {**base, "emu": {"n": {"$numberLong": "99999999999999999999"}}},
        {**base, "emu": {"n": 10**30}},
        {**base, "emu": {"id": {"$oid": "xyz"}}},
        {**base, "emu": {"d": {"$numberDecimal": "abc"}}},
        {**base, "emu": {"k\u0000": 1}},
    ]
    deep = "[" * 100_000 + "]" * 100_000
    long_number = '{"n": ' + "9" * 5_000 + "}"
    lines = [good, *(json.dumps(line) + "\n" for line in bad_lines), deep + "\n", long_number + "\n"]
    (tmp_path / "unitData.json").write_text("".join(lines) + json_lines(good_units(1, first=1)).decode())

    report = run_import(tmp_path)

    assert "12 read from 1 file(s), 2 imported, 0 skipped (already present), 10 rejected" in report
    for number, reason in [
        (2, "invalid extended JSON $date: date value out of range (field emu.at)"),
        (3, "invalid extended JSON $date: date value out of range (field emu.at)"),
        (4, "a date outside 1900-01-01 to 9999-01-01 (field emu.at)"),
        (5, "an integer beyond 64 bits (field emu.n)"),
    ]:
        assert f"unitData.json document {number}: {reason}" in report
    # Beyond the first five reasons only the count is reported: read them from a smaller file.
    rest = [json.dumps(line) + "\n" for line in bad_lines[4:]] + [deep + "\n", long_number + "\n"]
    (tmp_path / "unitData.json").write_text("".join(rest) + good)
    again = run_import(tmp_path)
    for number, reason in [
        (1, "an integer beyond 64 bits (field emu.n)"),
        (2, "invalid extended JSON $oid: 'xyz' is not a valid ObjectId"),
        (3, "invalid extended JSON $numberDecimal:"),
        (4, "a key holds a NUL character (field emu.k\x00)"),
        (5, "nested too deeply to decode (document from line 5)"),
    ]:
        assert f"unitData.json document {number}: {reason}" in again
    assert "… and 1 more rejected" in again and "1 skipped (already present)" in again


@pytest.mark.django_db
def test_a_deep_item_of_a_json_array_is_rejected_and_the_items_after_it_are_imported(tmp_path):
    items = [bson.json_util.dumps(document) for document in good_units(3)]
    text = "[\n" + items[0] + ",\n" + "[" * 50_000 + "]" * 50_000 + ",\n" + ",\n".join(items[1:]) + "\n]\n"
    (tmp_path / "unitData.json").write_text(text)

    report = run_import(tmp_path)

    assert "4 read from 1 file(s), 3 imported, 0 skipped (already present), 1 rejected" in report
    assert "document 2: nested too deeply to decode (document from line 3)" in report
