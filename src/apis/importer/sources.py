"""The files of a MongoDB export and streaming readers for them.

* ``mongodump``: ``<collection>.bson`` (also ``.bson.gz`` from ``--gzip``), directly in the directory or in
  its database subdirectories (``DIR/<db>/<collection>.bson``): each document is read by its 4-byte length
  first and decoded with ``bson.decode``.
* ``mongoexport``: ``<collection>.json`` (also ``.json.gz``): extended JSON, one document per line, pretty
  printed, or one JSON array (``--jsonArray``); read incrementally with ``bson.json_util``.

Both readers hold one document at a time (plus a read buffer), whatever the file size, and no document
larger than BSON's limit (``MAX_DOCUMENT_BYTES``; ``MAX_DOCUMENT_CHARS`` characters of JSON): a larger one
is skipped in bounded chunks without being held and yielded as ``Refused``, like a document that cannot be
decoded (too deep, a value out of range). The reader then goes on with the next document. A file that cannot
be read on (cut off, or a BSON length that cannot be true, after which no later document can be found)
raises ``SourceError`` naming the file and the place.
"""

import codecs
import gzip
import json
import re
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import BinaryIO

import bson
from bson import json_util
from bson.codec_options import CodecOptions, DatetimeConversion
from bson.errors import BSONError, InvalidBSON

SUFFIXES = (".bson", ".bson.gz", ".json", ".json.gz")
CODEC_OPTIONS = CodecOptions(tz_aware=True, tzinfo=UTC, datetime_conversion=DatetimeConversion.DATETIME_AUTO)
JSON_OPTIONS = json_util.JSONOptions(
    tz_aware=True, tzinfo=UTC, datetime_conversion=DatetimeConversion.DATETIME_AUTO
)
READ_BYTES = 1 << 20
# BSON's document limit is 16 MiB; MongoDB allows 16 KiB more internally, so no dump holds a larger one.
MAX_DOCUMENT_BYTES = (16 << 20) + (16 << 10)
# The most characters of one JSON document a reader holds: the same memory bound as a BSON document.
MAX_DOCUMENT_CHARS = MAX_DOCUMENT_BYTES
# The smallest BSON document: its length and the terminating NUL.
_MIN_DOCUMENT_BYTES = 5
_WHITESPACE = " \t\r\n"


@dataclass(frozen=True)
class Refused:
    """A document the reader could not decode (or would not hold); ``reason`` says why. The reader has
    skipped it and goes on with the next document."""

    reason: str


@dataclass(frozen=True)
class InvalidValue:
    """An extended-JSON value that does not convert (``{"$date": "0001-01-01T00:00:00+14:00"}``, a bad
    ``$oid``…), standing in its place so that the document is rejected with ``reason``."""

    reason: str


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
        """Every document of the file, in order: JSON values that are not objects included, ``Refused``
        for each one the reader skipped."""
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


def _read(stream: BinaryIO, size: int) -> bytes:
    """Exactly ``size`` bytes (``InvalidBSON`` when the file ends first)."""
    data = stream.read(size)
    if len(data) < size:
        raise InvalidBSON(f"the file ends inside a document ({len(data)} of {size} more bytes)")
    return data


def _skip(stream: BinaryIO, size: int) -> None:
    """Read past ``size`` bytes, ``READ_BYTES`` at a time (``InvalidBSON`` when the file ends first)."""
    while size > 0:
        size -= len(_read(stream, min(size, READ_BYTES)))


def _bson_documents(stream: BinaryIO) -> Iterator[dict | Refused]:
    """Each document by its declared length: a length over ``MAX_DOCUMENT_BYTES`` is skipped unread, a
    document whose content does not decode is refused; a length that cannot be true (less than 5 bytes,
    or not ending on the terminating NUL) loses the place of every later document: ``InvalidBSON``."""
    while head := stream.read(4):
        if len(head) < 4:
            raise InvalidBSON(f"the file ends inside the length of a document ({len(head)} of 4 bytes)")
        size = int.from_bytes(head, "little", signed=True)
        if size < _MIN_DOCUMENT_BYTES:
            raise InvalidBSON(f"a document declares {size} bytes; no later document can be found")
        if size > MAX_DOCUMENT_BYTES:
            _skip(stream, size - 4)
            yield Refused(f"larger than BSON's limit: {size:,} bytes (at most {MAX_DOCUMENT_BYTES:,})")
            continue
        data = head + _read(stream, size - 4)
        if data[-1] != 0:
            raise InvalidBSON(
                f"a document of {size} bytes does not end where its length says; "
                "no later document can be found"
            )
        try:
            document = bson.decode(data, CODEC_OPTIONS)
        except (BSONError, ValueError, OverflowError) as error:
            document = Refused(f"invalid BSON: {error}")
        yield document


class _BadJson(Exception):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(line, reason)
        self.line, self.reason = line, reason


# Skipping a value that is not decoded: the next quote or run of brackets (``[{`` open a level, ``]}``
# close one), and the rest of a string up to its closing quote (a backslash escapes the next character).
_STRUCTURE = re.compile(r'"|[\[\]{}]++')
_STRING_REST = re.compile(r'(?:[^"\\]++|\\.)*+', re.DOTALL)
_SCALAR_END = re.compile(r"[\s,\]}]")
# Errors of ``bson.json_util`` converting a ``$``-wrapper (ObjectId, dates, numbers, binary…).
_EXTENDED_ERRORS = (ValueError, TypeError, ArithmeticError, BSONError)


def _extended(pairs: list[tuple[str, object]]) -> object:
    """``bson.json_util``'s conversion of one object; a wrapper that does not convert becomes an
    ``InvalidValue``, so that its document is rejected and the reader goes on."""
    try:
        return json_util.object_pairs_hook(pairs, JSON_OPTIONS)
    except _EXTENDED_ERRORS as error:
        return InvalidValue(f"invalid extended JSON {pairs[0][0] if pairs else ''}: {error}")


def _json_documents(stream: BinaryIO) -> Iterator[object]:
    """Decode concatenated JSON values (lines or pretty printed), or the items of one top-level array."""
    decoder = json.JSONDecoder(object_pairs_hook=_extended)
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
        """The next JSON value, reading on (in growing chunks) while it is incomplete, up to
        ``MAX_DOCUMENT_CHARS``; a value that is larger or cannot be decoded is skipped: ``Refused``."""
        chunk = READ_BYTES
        while True:
            try:
                value, end = decoder.raw_decode(self._text, self._start)
            except json.JSONDecodeError as error:
                held = len(self._text) - self._start
                # Never more than a read chunk beyond the limit (and whole chunks: cheap re-decoding).
                size = min(chunk, max(READ_BYTES, MAX_DOCUMENT_CHARS + 1 - held))
                if held <= MAX_DOCUMENT_CHARS and self._more(size):
                    chunk *= 2
                    continue
                if held > MAX_DOCUMENT_CHARS:
                    return self._refuse(f"larger than {MAX_DOCUMENT_CHARS:,} characters")
                raise _BadJson(
                    self.line(error.pos), f"{error.msg} (document from line {self.line()})"
                ) from None
            except RecursionError:
                return self._refuse("nested too deeply to decode")
            except ValueError as error:  # an integer of more digits than Python converts (4,300)
                return self._refuse(f"invalid JSON: {error}")
            if end - self._start > MAX_DOCUMENT_CHARS:
                line = self.line()
                self._start = end
                return Refused(f"larger than {MAX_DOCUMENT_CHARS:,} characters (document from line {line})")
            self._start = end
            return value

    def _refuse(self, reason: str) -> Refused:
        """Skip the value at the read position (holding no more than a read chunk of it): ``Refused``."""
        line = self.line()
        if self._text[self._start] in '[{"':
            self._skip_structure()
        else:
            self._skip_scalar()
        return Refused(f"{reason} (document from line {line})")

    def _skip_scalar(self) -> None:
        while (match := _SCALAR_END.search(self._text, self._start)) is None:
            self._start = len(self._text)
            if not self._more():
                return
        self._start = match.start()

    def _skip_structure(self) -> None:
        """Move past the array, object or string at the read position, dropping it as it is read."""
        depth, in_string = 0, False
        while True:
            text, position = self._text, self._start
            while position < len(text):
                if in_string:
                    position = _STRING_REST.match(text, position).end()
                    if position == len(text) or text[position] != '"':
                        break  # the string goes on in the next chunk (after an escaping backslash, maybe)
                    position += 1
                    in_string = False
                    if depth == 0:
                        self._start = position
                        return
                    continue
                match = _STRUCTURE.search(text, position)
                if match is None:
                    position = len(text)
                    break
                position, token = match.end(), match.group()
                if token == '"':
                    in_string = True
                    continue
                closing = token.count("]") + token.count("}")
                if depth - closing > 0:  # the run cannot close the value
                    depth += len(token) - 2 * closing
                    continue
                for index, character in enumerate(token):
                    depth += 1 if character in "[{" else -1
                    if depth == 0:
                        self._start = match.start() + index + 1
                        return
            self._start = position
            if not self._more():
                raise _BadJson(self.line(), "a document is not closed at the end of the file")

    def line(self, position: int | None = None) -> int:
        """The 1-based line number of ``position`` in the buffer (default: the read position)."""
        at = self._start if position is None else position
        return self._lines_done + self._text.count("\n", 0, at) + 1
