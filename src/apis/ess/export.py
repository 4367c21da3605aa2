"""Downloads streamed in constant memory: CSV (PostgreSQL ``COPY … TO STDOUT``, SQLite cursor iteration) and
Parquet (row groups from a server-side cursor), optionally gzip-compressed while streaming."""

import csv
import io
import json
import sqlite3
import zlib
from collections.abc import Iterator

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq

from apis.ess.params import Selection
from apis.ess.query import Query
from apis.ess.sites import connect, discard, parse_stored_time

CHUNK_BYTES = 256 * 1024
ROW_GROUP_ROWS = 65_536
GZIP_LEVEL = 1  # fast: the stream is bound by the database and the network, not by the ratio


def _guarded(selection: Selection, chunks: Iterator[bytes]) -> Iterator[bytes]:
    """End the read-only transaction after a complete stream; drop the connection after an interrupted one."""
    complete = False
    try:
        yield from chunks
        complete = True
    finally:
        connection = connect(selection.site)
        if complete and isinstance(connection, psycopg.Connection):
            connection.rollback()
        elif not complete:
            discard(selection.site)


def _pg_csv(selection: Selection, query: Query) -> Iterator[bytes]:
    connection = connect(selection.site)
    cursor = psycopg.ClientCursor(connection)
    sql = cursor.mogrify(*query.stream())
    buffer = bytearray()
    with cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)") as copy:
        for data in copy:
            buffer += data
            if len(buffer) >= CHUNK_BYTES:
                yield bytes(buffer)
                buffer.clear()
    if buffer:
        yield bytes(buffer)


def _sqlite_csv(selection: Selection, query: Query) -> Iterator[bytes]:
    connection: sqlite3.Connection = connect(selection.site)
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow([column.field for column in query.columns])
    cursor = connection.execute(*query.stream())
    while rows := cursor.fetchmany(2_000):
        writer.writerows(rows)
        if text.tell() >= CHUNK_BYTES:
            yield text.getvalue().encode()
            text.seek(0)
            text.truncate()
    yield text.getvalue().encode()


def csv_chunks(selection: Selection, query: Query) -> Iterator[bytes]:
    """The CSV file (header row, then every row in key order) in chunks of about ``CHUNK_BYTES``."""
    produce = _pg_csv if selection.site.vendor == "postgresql" else _sqlite_csv
    return _guarded(selection, produce(selection, query))


def _arrow_type(kind: str, selection: Selection) -> pa.DataType:
    if kind == "time":
        return pa.timestamp("us", tz=selection.site.zone_name)
    return {"int": pa.int64(), "float": pa.float64()}.get(kind, pa.string())


def _arrow_value(kind: str, value, selection: Selection):
    if value is None:
        return None
    if kind == "time" and isinstance(value, str):
        return parse_stored_time(value, selection.site.zone)
    if kind in ("json", "text") and not isinstance(value, str):
        return json.dumps(value)
    return value


class _Sink(io.RawIOBase):
    """A write-only file whose written bytes are taken out after every row group."""

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[bytes] = []
        self.position = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.chunks.append(bytes(data))
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks.clear()
        return data


def _rows(selection: Selection, query: Query) -> Iterator[list[tuple]]:
    connection = connect(selection.site)
    sql, params = query.stream(raw_time=True)
    if selection.site.vendor == "postgresql":
        with connection.cursor(name="ess_parquet") as cursor:
            cursor.itersize = ROW_GROUP_ROWS
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(ROW_GROUP_ROWS):
                yield rows
        return
    cursor = connection.execute(sql, params)
    while rows := cursor.fetchmany(ROW_GROUP_ROWS):
        yield rows


def _parquet(selection: Selection, query: Query) -> Iterator[bytes]:
    columns = query.columns
    schema = pa.schema([(c.field, _arrow_type(c.kind, selection)) for c in columns])
    sink = _Sink()
    with pq.ParquetWriter(sink, schema, compression="zstd") as writer:
        for rows in _rows(selection, query):
            arrays = [
                pa.array([_arrow_value(c.kind, row[i], selection) for row in rows], type=schema.field(i).type)
                for i, c in enumerate(columns)
            ]
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
            yield sink.take()
    yield sink.take()


def parquet_chunks(selection: Selection, query: Query) -> Iterator[bytes]:
    """The Parquet file, one row group of at most ``ROW_GROUP_ROWS`` rows at a time."""
    return _guarded(selection, _parquet(selection, query))


def gzipped(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """``chunks`` as one gzip stream, flushed after every chunk so that the download keeps moving."""
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)
    for chunk in chunks:
        yield compressor.compress(chunk) + compressor.flush(zlib.Z_SYNC_FLUSH)
    yield compressor.flush()
