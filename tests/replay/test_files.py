"""Recording files: stream line protocol with dbrp context, batch JSON lines."""

from __future__ import annotations

import gzip

import pytest

from kapacitrio.models.point import Batch, BatchPoint, Dimensions, Point
from kapacitrio.replay.files import (
    BatchWriter,
    RecordingFileError,
    StreamReader,
    StreamWriter,
    read_all_points,
    read_batch_sources,
)


def test_stream_round_trip_keeps_values_types_and_dbrps(tmp_path) -> None:
    path = tmp_path / "r.srpl"
    points = [
        Point(
            "cpu",
            {"host": "a b", "dc": "x,y"},
            {"f": 1.5, "i": 3, "s": 'q"t', "b": True},
            10,
            "db",
            "rp",
        ),
        Point("cpu", {"host": "b"}, {"f": 2.0}, 20, "db", "rp"),
        Point("m em", {}, {"v": -1}, 30, "other", "autogen"),
        Point("cpu", {}, {"f": 3.25}, 40, "db", "rp"),
    ]
    w = StreamWriter(path)
    w.write(points[:2])
    w.write(points[2:])
    w.close()
    text = gzip.decompress(path.read_bytes()).decode()
    assert text.count("# CONTEXT-DATABASE: ") == 3  # written only when the dbrp changes
    got = read_all_points(path)
    assert [(p.name, p.tags, p.fields, p.time, p.db, p.rp) for p in got] == [
        (p.name, p.tags, p.fields, p.time, p.db, p.rp) for p in points
    ]
    assert type(got[0].fields["i"]) is int and type(got[1].fields["f"]) is float


def test_stream_reader_reads_in_blocks_with_progress(tmp_path) -> None:
    path = tmp_path / "r.srpl"
    w = StreamWriter(path)
    w.write(Point("cpu", {}, {"v": i}, i, "db", "rp") for i in range(25))
    w.close()
    r = StreamReader(path)
    sizes = []
    while block := r.read(10):
        sizes.append(len(block))
    assert sizes == [10, 10, 5]
    assert r.progress == 1.0
    r.close()


def test_broken_files_raise_recording_file_error(tmp_path) -> None:
    bad = tmp_path / "bad.srpl"
    bad.write_bytes(b"not gzip at all")
    with pytest.raises(RecordingFileError):
        read_all_points(bad)
    garbage = tmp_path / "garbage.srpl"
    garbage.write_bytes(gzip.compress(b"cpu value=\n"))
    with pytest.raises(RecordingFileError, match="line 1"):
        read_all_points(garbage)
    badjson = tmp_path / "bad.brpl"
    badjson.write_bytes(gzip.compress(b'{"source": 0}\n'))
    with pytest.raises(RecordingFileError):
        read_batch_sources(badjson)


def test_batch_round_trip_by_source(tmp_path) -> None:
    path = tmp_path / "r.brpl"
    dims = Dimensions(True, ("host",))
    b0 = Batch("cpu", {"host": "a"}, 100, [BatchPoint(90, {"mean": 1.0}, {"host": "a"})], "", dims)
    b1 = Batch("mem", {}, 200, [BatchPoint(150, {"v": 2, "s": "x"}, {})], "", Dimensions())
    w = BatchWriter(path)
    w.write(1, [b1])
    w.write(0, [b0, b0])
    w.close()
    sources = read_batch_sources(path)
    assert [len(s) for s in sources] == [2, 1]
    got = sources[0][0]
    assert (got.name, got.tags, got.tmax, got.dimensions) == ("cpu", {"host": "a"}, 100, dims)
    assert [(p.time, p.fields, p.tags) for p in got.points] == [(90, {"mean": 1.0}, {"host": "a"})]
    assert sources[1][0].points[0].fields == {"v": 2, "s": "x"}
