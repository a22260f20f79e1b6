"""The UDF wire format: framing, the generated messages, conversions and the `[udf]` section."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kapacitrio.models.point import Batch, BatchPoint, Dimensions, Point
from kapacitrio.tick.values import Duration
from kapacitrio.udf import convert, wire
from kapacitrio.udf import udf_pb2 as pb
from kapacitrio.udf.agent import exit_text, go_time
from kapacitrio.udf.config import UDFSection, parse_function

ROOT = Path(__file__).resolve().parents[2]


def test_varint_framing_round_trip_in_pieces():
    msgs = []
    for i in range(3):
        r = pb.Response()
        r.keepalive.time = 300 * i
        msgs.append(r)
    r = pb.Response()
    r.point.name = "x" * 200  # a length needing two varint bytes
    msgs.append(r)
    data = b"".join(wire.frame(m) for m in msgs)
    dec = wire.Decoder()
    got = []
    for i in range(len(data)):  # one byte at a time
        got += dec.feed(data[i : i + 1])
    assert got == msgs and dec.pending == 0
    assert wire.varint(300) == b"\xac\x02" and wire.varint(0) == b"\x00"


def test_field_numbers_are_kapacitors():
    # Hand-encoded: Request.point (17) holding Point.fieldsBool (12) {"ok": true} and time (1) = 5.
    entry = b"\x0a\x02ok\x10\x01"
    point = b"\x08\x05" + b"\x62" + bytes([len(entry)]) + entry
    req = pb.Request.FromString(b"\x8a\x01" + bytes([len(point)]) + point)
    assert req.WhichOneof("message") == "point"
    assert req.point.time == 5 and dict(req.point.fieldsBool) == {"ok": True}
    init = pb.Request()
    init.init.taskID = "t"
    init.init.nodeID = "n"
    assert init.SerializeToString() == b"\x12\x06\x12\x01t\x1a\x01n"
    err = pb.Response()
    err.error.error = "boom"
    assert err.SerializeToString() == b"\x32\x06\x0a\x04boom"


def test_bad_stream_is_an_error():
    with pytest.raises(wire.WireError):
        wire.Decoder().feed(b"\x03\xff\xff\xff")
    with pytest.raises(wire.WireError):
        wire.Decoder().feed(b"\xff" * 11)


def test_generated_module_matches_the_proto(tmp_path):
    proto = ROOT / "kapacitrio" / "udf" / "udf.proto"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            f"-I{proto.parent}",
            f"--python_out={tmp_path}",
            str(proto),
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "udf_pb2.py").read_text() == (proto.parent / "udf_pb2.py").read_text()


def test_point_and_batch_conversions():
    p = Point(
        "cpu",
        {"host": "a"},
        {"f": 1.5, "i": 2, "s": "x", "b": True},
        7,
        "db",
        "rp",
        "host=a",
        Dimensions(False, ("host",)),
    )
    req = convert.point_request(p)
    m = req.point
    assert (m.name, m.database, m.retentionPolicy, m.group, list(m.dimensions)) == (
        "cpu",
        "db",
        "rp",
        "host=a",
        ["host"],
    )
    assert dict(m.fieldsDouble) == {"f": 1.5} and dict(m.fieldsInt) == {"i": 2}
    assert dict(m.fieldsString) == {"s": "x"} and dict(m.fieldsBool) == {"b": True}
    back = convert.point(m)
    assert (back.name, back.tags, back.fields, back.time, back.group) == (
        "cpu",
        {"host": "a"},
        p.fields,
        7,
        "host=a",
    )
    b = Batch(
        "cpu",
        {"host": "a"},
        9,
        [BatchPoint(8, {"v": 1.0}, {"host": "a"})],
        "host=a",
        Dimensions(False, ("host",)),
    )
    begin, pt, end = convert.batch_requests(b)
    assert begin.begin.size == 1 and pt.point.time == 8 and end.end.tmax == 9
    asm = convert.BatchAssembler()
    asm.begin_batch(begin.begin)
    assert asm.add(pt.point)
    out = asm.end(end.end)
    assert (out.name, out.tags, out.tmax, out.group) == ("cpu", {"host": "a"}, 9, "host=a")
    assert [(q.time, q.fields) for q in out.points] == [(8, {"v": 1.0})]


def test_option_values_are_typed():
    req = convert.init_request([("o", [True, 3, 2.5, "s", Duration(10**9)])], "task", "node2")
    vals = req.init.options[0].values
    assert [pb.ValueType.Name(v.type) for v in vals] == [
        "BOOL",
        "INT",
        "DOUBLE",
        "STRING",
        "DURATION",
    ]
    assert (
        vals[4].durationValue == 10**9 and req.init.taskID == "task" and req.init.nodeID == "node2"
    )


def test_function_config_checks():
    f = parse_function("m", {"prog": "/bin/x", "args": ["-u"], "env": {"A": "1"}, "timeout": "10s"})
    assert f.timeout == 10**10 and f.args == ("-u",) and f.env == (("A", "1"),)
    assert parse_function("s", {"socket": "/tmp/s"}).socket == "/tmp/s"
    for bad in (
        {},
        {"prog": "a", "socket": "b"},
        {"prog": "a", "args": "x"},
        {"prog": "a", "timeout": "ten"},
        {"prog": "a", "nope": 1},
    ):
        with pytest.raises(ValueError):
            parse_function("bad", bad)
    with pytest.raises(ValueError):
        UDFSection(functions={"x": {"prog": 3}}).validate()


def test_go_texts():
    assert go_time(1_500_000_000_000_000_000) == "2017-07-14 02:40:00 +0000 UTC"
    assert go_time(1_500_000_000_120_000_000) == "2017-07-14 02:40:00.12 +0000 UTC"
    assert exit_text(3) == "exit status 3" and exit_text(-9) == "signal: killed"
