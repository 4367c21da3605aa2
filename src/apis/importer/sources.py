"""The files of a MongoDB export and streaming readers for them.

* ``mongodump``: ``<collection>.bson`` (also ``.bson.gz`` from ``--gzip``), directly in the directory or in
  its database subdirectories (``DIR/<db>/<collection>.bson``); read with ``bson.decode_file_iter``.
* ``mongoexport``: ``<collection>.json`` (also ``.json.gz``): extended JSON, one document per line, pretty
  printed, or one JSON array (``--jsonArray``); read incrementally with ``bson.json_util``.

Both readers hold one document at a time (plus a read buffer), whatever the file size. A file that cannot
be read to its end raises ``SourceError`` naming the file and the place.
"""

import codecs
import gzip
import json
import zlib
from collections.abc import Iterator, Sequence
from datetime import UTC
from functools import partial
from pathlib import Path
from typing import BinaryIO

import bson
from bson import json_util
from bson.codec_options import CodecOptions, DatetimeConversion
from bson.errors import InvalidBSON

SUFFIXES = (".bson", ".bson.gz", ".json", ".json.gz")
CODEC_OPTIONS = CodecOptions(tz_aware=True, tzinfo=UTC, datetime_conversion=DatetimeConversion.DATETIME_AUTO)
JSON_OPTIONS = json_util.JSONOptions(
    tz_aware=True, tzinfo=UTC, datetime_conversion=DatetimeConversion.DATETIME_AUTO
)
READ_BYTES = 1 << 20
# The largest document a JSON reader buffers before it calls the file invalid (BSON's limit is 16 MiB).
MAX_DOCUMENT_CHARS = 64 << 20
_WHITESPACE = " \t\r\n"


class SourceError(Exception):
    """A directory or file that cannot be read; the message names it."""


def find_sources(directory: Path, collections: Sequence[str]) -> dict[str, list[Path]]:
    """The export files of each collection in ``directory`` and in its subdirectories (one level)."""
    if not directory.is_dir():
        raise SourceError(f"{directory}: no such directory")
    try:
        folders = [directory, *sorted(path for path in directory.iterdir() if path.is_dir())]
    except OSError as error:
        raise SourceError(f"{directory}: {error.strerror or error}") from None
    return {
        name: [
            folder / f"{name}{suffix}"
            for folder in folders
            for suffix in SUFFIXES
            if (folder / f"{name}{suffix}").is_file()
        ]
        for name in collections
    }


class Source:
    """One export file; iterate ``documents()`` and watch ``position`` (bytes read of ``size``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.size = path.stat().st_size
            self._raw = path.open("rb")
        except OSError as error:
            raise SourceError(f"{path}: {error.strerror or error}") from None
        self._stream: BinaryIO = gzip.GzipFile(fileobj=self._raw) if path.name.endswith(".gz") else self._raw
        self._count = 0

    @property
    def position(self) -> int:
        return self._raw.tell()

    def close(self) -> None:
        self._raw.close()

    def documents(self) -> Iterator[object]:
        """Every document of the file, in order (JSON values that are not objects included)."""
        reader = _json_documents if ".json" in self.path.name else _bson_documents
        try:
            for document in reader(self._stream):
                self._count += 1
                yield document
        except (InvalidBSON, OSError, EOFError, zlib.error, UnicodeDecodeError) as error:
            raise SourceError(
                f"{self.path}: unreadable after {self._count} documents (byte {self.position}): {error}"
            ) from None
        except _BadJson as error:
            raise SourceError(f"{self.path}: invalid JSON at line {error.line}: {error.reason}") from None


def _bson_documents(stream: BinaryIO) -> Iterator[dict]:
    return bson.decode_file_iter(stream, CODEC_OPTIONS)


class _BadJson(Exception):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(line, reason)
        self.line, self.reason = line, reason


def _json_documents(stream: BinaryIO) -> Iterator[object]:
    """Decode concatenated JSON values (lines or pretty printed), or the items of one top-level array."""
    decoder = json.JSONDecoder(
        object_pairs_hook=partial(json_util.object_pairs_hook, json_options=JSON_OPTIONS)
    )
    reader = _Chars(stream)
    array: bool | None = None
    while reader.skip(_WHITESPACE + ("," if array else "")):
        if array is None:
            array = reader.take("[")
            continue
        if array and reader.take("]"):
            if reader.skip(_WHITESPACE):
                raise _BadJson(reader.line(), "data after the closing ]")
            return
        yield reader.decode(decoder)
    if array:
        raise _BadJson(reader.line(), "the array is not closed")


class _Chars:
    """A text buffer over a byte stream that keeps only what is not decoded yet."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self._text = ""
        self._start = 0
        self._lines_done = 0
        self._eof = False

    def _more(self, size: int = READ_BYTES) -> bool:
        """Read up to ``size`` more bytes, dropping what is consumed; False at the end of the stream."""
        if self._eof:
            return False
        chunk = self._stream.read(size)
        self._eof = not chunk
        self._lines_done += self._text.count("\n", 0, self._start)
        self._text = self._text[self._start :] + self._decoder.decode(chunk, final=self._eof)
        self._start = 0
        return True

    def skip(self, characters: str) -> bool:
        """Skip ``characters``; False when the stream ends first."""
        while True:
            while self._start < len(self._text) and self._text[self._start] in characters:
                self._start += 1
            if self._start < len(self._text):
                return True
            if not self._more():
                return False

    def take(self, character: str) -> bool:
        """Consume ``character`` if it comes next (call after ``skip``)."""
        if self._text[self._start] == character:
            self._start += 1
            return True
        return False

    def decode(self, decoder: json.JSONDecoder) -> object:
        """The next JSON value, reading on (in growing chunks) while it is incomplete."""
        chunk = READ_BYTES
        while True:
            try:
                value, end = decoder.raw_decode(self._text, self._start)
            except json.JSONDecodeError as error:
                if len(self._text) - self._start < MAX_DOCUMENT_CHARS and self._more(chunk):
                    chunk *= 2
                    continue
                raise _BadJson(
                    self.line(error.pos), f"{error.msg} (document from line {self.line()})"
                ) from None
            self._start = end
            return value

    def line(self, position: int | None = None) -> int:
        """The 1-based line number of ``position`` in the buffer (default: the read position)."""
        at = self._start if position is None else position
        return self._lines_done + self._text.count("\n", 0, at) + 1
