"""The raw log and the daily figures as CSV or JSON lines, streamed.

Shared by ``consent-ui export``/``stats`` and the dashboard's downloads: rows come from
a generator and leave as text chunks, so memory stays constant for millions of records.
CSV values are those the log keeps (``categories`` its JSON list, ``gpc`` 0 or 1, an
empty cell for a null); JSON lines keep the types (a list, a boolean, null).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from .store import COLUMNS

#: The formats of ``consent-ui export`` (and their media types on the web).
FORMATS = {"csv": "text/csv", "jsonl": "application/jsonl"}
#: Rows per chunk of text: few enough writes, small enough chunks.
CHUNK_ROWS = 500


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, list | tuple):
        return json.dumps(list(value), separators=(",", ":"))
    return value


def table(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """A header and rows as CSV (RFC 4180: CRLF line ends), in chunks."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for count, row in enumerate(rows, start=1):
        writer.writerow([_cell(v) for v in row])
        if count % CHUNK_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def records(rows: Iterable[Mapping[str, Any]], fmt: str) -> Iterator[str]:
    """Log records (``Store.export`` rows, ``COLUMNS`` in order) as ``fmt``."""
    if fmt == "csv":
        return table(COLUMNS, ([row[c] for c in COLUMNS] for row in rows))
    if fmt == "jsonl":
        return _lines(rows)
    raise ValueError(f"no export format {fmt!r} ({', '.join(FORMATS)})")


def _lines(rows: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    chunk: list[str] = []
    for row in rows:
        chunk.append(json.dumps({c: row[c] for c in COLUMNS}, ensure_ascii=False) + "\n")
        if len(chunk) >= CHUNK_ROWS:
            yield "".join(chunk)
            chunk.clear()
    yield "".join(chunk)
