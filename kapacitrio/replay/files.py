"""Recording payload files under `<data-dir>/replay/`: gzip line protocol (stream), gzip JSON lines (batch).

Stream recordings (`<id>.srpl`) are gzip-compressed line protocol with nanosecond times. The database
and retention policy of the lines that follow are given by context comments, as `influx_inspect
export` writes them::

    # CONTEXT-DATABASE: telegraf
    # CONTEXT-RETENTION-POLICY: autogen
    cpu,host=a usage=1.5 1700000000000000000

Batch recordings (`<id>.brpl`) are gzip-compressed JSON lines, one batch a line:
`{"source": i, "name": ..., "tags": {...}, "tmax": ns, "byname": bool, "dims": [...],
"points": [{"time": ns, "fields": {...}, "tags": {...}}]}`, where `source` is the index of the
task's batch source (query node, in pipeline order) that produced it.

Readers and writers here are blocking; callers run them with `trio.to_thread`.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from kapacitrio.influxdb.lineprotocol import EncodeError, encode
from kapacitrio.models.lineprotocol import LineProtocolError, parse_line
from kapacitrio.models.point import Batch, BatchPoint, Dimensions, Point

STREAM_EXT = ".srpl"
BATCH_EXT = ".brpl"

_DB = "# CONTEXT-DATABASE: "
_RP = "# CONTEXT-RETENTION-POLICY: "


class RecordingFileError(Exception):
    """A recording file cannot be read."""


class StreamWriter:
    """Appends points to a stream recording; context lines are written when the dbrp changes."""

    def __init__(self, path: Path) -> None:
        self._f: IO[bytes] = gzip.open(path, "wb", compresslevel=6)
        self._dbrp: tuple[str, str] | None = None
        self.count = 0

    def write(self, points: Iterable[Point]) -> None:
        """Encode and append points (points nothing can be stored of are skipped)."""
        out: list[str] = []
        for p in points:
            try:
                line = encode(p.name, p.tags, p.fields, p.time)
            except EncodeError:
                continue
            if (p.db, p.rp) != self._dbrp:
                self._dbrp = (p.db, p.rp)
                out.append(f"{_DB}{p.db}\n{_RP}{p.rp}\n")
            out.append(line + "\n")
            self.count += 1
        if out:
            self._f.write("".join(out).encode("utf-8"))

    def close(self) -> None:
        self._f.close()


class StreamReader:
    """Reads a stream recording in blocks of points; `progress` is the share of the file read."""

    def __init__(self, path: Path) -> None:
        self._raw = open(path, "rb")  # noqa: SIM115 - closed in close()
        self._size = max(1, path.stat().st_size)
        try:
            self._f = gzip.GzipFile(fileobj=self._raw, mode="rb")
        except OSError as exc:
            self._raw.close()
            raise RecordingFileError(str(exc)) from exc
        self._db = ""
        self._rp = ""
        self._lineno = 0

    @property
    def progress(self) -> float:
        return min(1.0, self._raw.tell() / self._size)

    def read(self, max_points: int = 5000) -> list[Point]:
        """The next points (at most `max_points`); an empty list at the end of the file."""
        out: list[Point] = []
        try:
            while len(out) < max_points:
                raw = self._f.readline()
                if not raw:
                    break
                self._lineno += 1
                line = raw.decode("utf-8").strip()
                if not line:
                    continue
                if line.startswith("#"):
                    self._context(line)
                    continue
                out.append(parse_line(line, 1, 0, self._db, self._rp))
        except (OSError, EOFError, UnicodeDecodeError, LineProtocolError) as exc:
            raise RecordingFileError(f"line {self._lineno}: {exc}") from exc
        return out

    def _context(self, line: str) -> None:
        if line.startswith(_DB):
            self._db = line[len(_DB) :]
        elif line.startswith(_RP):
            self._rp = line[len(_RP) :]

    def close(self) -> None:
        self._f.close()
        self._raw.close()


def read_all_points(path: Path) -> list[Point]:
    """Every point of a stream recording."""
    reader = StreamReader(path)
    try:
        out: list[Point] = []
        while block := reader.read():
            out.extend(block)
        return out
    finally:
        reader.close()


# -- batches


def batch_to_json(source: int, b: Batch) -> dict[str, Any]:
    """One recorded batch as its JSON line."""
    return {
        "source": source,
        "name": b.name,
        "tags": b.tags,
        "tmax": b.tmax,
        "byname": b.dimensions.by_name,
        "dims": list(b.dimensions.tag_names),
        "points": [{"time": p.time, "fields": p.fields, "tags": p.tags} for p in b.points],
    }


def batch_from_json(doc: Any) -> tuple[int, Batch]:
    """(source index, batch) from a JSON line; raises `RecordingFileError` on a bad shape."""
    try:
        tags = {str(k): str(v) for k, v in (doc.get("tags") or {}).items()}
        points = [
            BatchPoint(int(p["time"]), dict(p.get("fields") or {}), dict(p.get("tags") or tags))
            for p in doc.get("points") or []
        ]
        dims = Dimensions(bool(doc.get("byname")), tuple(doc.get("dims") or sorted(tags)))
        batch = Batch(str(doc.get("name") or ""), tags, int(doc["tmax"]), points, "", dims)
        return int(doc.get("source") or 0), batch
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise RecordingFileError(f"bad batch record: {exc}") from exc


class BatchWriter:
    """Appends batches to a batch recording."""

    def __init__(self, path: Path) -> None:
        self._f: IO[bytes] = gzip.open(path, "wb", compresslevel=6)
        self.count = 0

    def write(self, source: int, batches: Iterable[Batch]) -> None:
        lines = [json.dumps(batch_to_json(source, b), separators=(",", ":")) for b in batches]
        if lines:
            self._f.write(("\n".join(lines) + "\n").encode("utf-8"))
            self.count += len(lines)

    def close(self) -> None:
        self._f.close()


def iter_batches(path: Path) -> Iterator[tuple[int, Batch]]:
    """Every (source index, batch) of a batch recording, in recorded order."""
    try:
        with gzip.open(path, "rb") as f:
            for n, raw in enumerate(f, 1):
                if not raw.strip():
                    continue
                try:
                    doc = json.loads(raw)
                except ValueError as exc:
                    raise RecordingFileError(f"line {n}: {exc}") from exc
                yield batch_from_json(doc)
    except (OSError, EOFError) as exc:
        raise RecordingFileError(str(exc)) from exc


def read_batch_sources(path: Path) -> list[list[Batch]]:
    """The batches of a batch recording, one list per source index."""
    sources: list[list[Batch]] = []
    for i, b in iter_batches(path):
        if i < 0 or i > 10_000:
            raise RecordingFileError(f"bad batch source index {i}")
        while len(sources) <= i:
            sources.append([])
        sources[i].append(b)
    return sources
