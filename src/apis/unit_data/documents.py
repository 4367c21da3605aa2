"""Compact storage of unit-data documents.

A document is kept exactly as stored at ingest (the API returns the same JSON): its compact JSON text
(key order kept, no spaces, non-ASCII as UTF-8) compressed by zstd with a dictionary trained on APIS unit
data. A stored blob starts with one byte naming the dictionary: 0 is none, ``n`` is the file
``dictionaries/unit-data-<n>.zdict`` of this package. A shipped dictionary never changes (the rows written
with it depend on it); a better one is added under the next number and becomes ``CURRENT``.
"""

import json
import threading
from functools import cache
from pathlib import Path

import zstandard

CURRENT = 1  # the dictionary new documents are compressed with
LEVEL = 9  # about 80 bytes per APIS document at ~20 µs (level 3: 95 bytes, 19: 81 bytes at 600 µs)
_DIRECTORY = Path(__file__).with_name("dictionaries")
_local = threading.local()  # zstandard's (de)compressors must not be shared between threads


@cache
def dictionary(number: int) -> zstandard.ZstdCompressionDict | None:
    """The shipped dictionary ``number`` (None for 0)."""
    if number == 0:
        return None
    data = (_DIRECTORY / f"unit-data-{number}.zdict").read_bytes()
    return zstandard.ZstdCompressionDict(data, dict_type=zstandard.DICT_TYPE_FULLDICT)


def _codec(kind: str, number: int) -> zstandard.ZstdCompressor | zstandard.ZstdDecompressor:
    codecs = _local.__dict__.setdefault(kind, {})
    if number not in codecs:
        data = dictionary(number)
        if kind == "compress":
            codecs[number] = zstandard.ZstdCompressor(
                level=LEVEL, dict_data=data, write_checksum=False, write_dict_id=False
            )
        else:
            codecs[number] = zstandard.ZstdDecompressor(dict_data=data)
    return codecs[number]


def document_text(document: dict) -> bytes:
    """The compact JSON text of ``document`` (what is compressed, and what a round trip gives back)."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def encode(document: dict, number: int = CURRENT) -> bytes:
    """The stored form of ``document``: the dictionary byte, then the compressed JSON text."""
    return bytes((number,)) + _codec("compress", number).compress(document_text(document))


def decode(blob: bytes | memoryview) -> dict:
    """The document stored as ``blob`` (the inverse of :func:`encode`)."""
    blob = bytes(blob)
    text = _codec("decompress", blob[0]).decompress(blob[1:])
    return json.loads(text)
