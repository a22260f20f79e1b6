"""sideload from a directory of YAML/JSON files and from an HTTP source."""

import json

from kapacitrio.models.point import Barrier
from tests.nodes.helpers import FakeCtx, bt, node, pt
from tests.nodes.receiver import Receiver


def side(source, ctx=None, **props):
    props.setdefault("order", ["host/{{.host}}.yml", "service/{{.service}}.json", "default.yml"])
    props.setdefault("fields", {"cpu_threshold": 0.0, "owner_id": 0, "enabled": False})
    props.setdefault("tags", {"team": "none"})
    n = node("sideload", ctx=ctx, source=source, **props)
    got = []

    async def flusher():
        got.extend(n.out)
        n.out = []

    n._flusher = flusher
    return n, got


async def test_file_source_first_hit_wins(tmp_path):
    (tmp_path / "host").mkdir()
    (tmp_path / "service").mkdir()
    (tmp_path / "host" / "A.yml").write_text("cpu_threshold: 95\nteam: ops\n")
    (tmp_path / "service" / "db.json").write_text(
        json.dumps({"cpu_threshold": 50.5, "owner_id": 7})
    )
    (tmp_path / "default.yml").write_text("enabled: true\nowner_id: 1\n")
    ctx = FakeCtx()
    n, got = side(f"file://{tmp_path}", ctx=ctx)
    p = pt(0, {"v": 1}, {"host": "A", "service": "db"})
    n.point(p, 0)  # held until the source is loaded
    n.barrier(Barrier("", p.time), 0)  # and so is what follows it
    assert n.out == []
    await n.run_background()
    assert len(got) == 2 and isinstance(got[1], Barrier)
    assert got[0].fields == {"v": 1, "cpu_threshold": 95.0, "owner_id": 7, "enabled": True}
    assert got[0].tags == {"host": "A", "service": "db", "team": "ops"}
    n.point(pt(1, {"v": 2}, {"host": "B", "service": "x"}), 0)
    (q,) = n.out
    assert q.fields == {"v": 2, "cpu_threshold": 0.0, "owner_id": 1, "enabled": True}
    assert q.tags["team"] == "none"
    assert ctx.errors == []


async def test_type_mismatch_is_an_error_and_uses_default(tmp_path):
    (tmp_path / "default.yml").write_text("owner_id: notanumber\n")
    ctx = FakeCtx()
    n, _ = side(f"file://{tmp_path}", ctx=ctx)
    await n.run_background()
    n.batch(bt(1, [(0, {"v": 1})], {"host": "A"}), 0)
    (b,) = n.out
    assert b.points[0].fields["owner_id"] == 0
    assert "owner_id" in ctx.errors[0][1]


async def test_http_source(nursery):
    doc = {"host/A.yml": {"cpu_threshold": 80.0}, "default.yml": {"owner_id": 3}}
    rx = Receiver(reply=json.dumps(doc).encode())
    await nursery.start(rx.serve)
    n, _ = side(rx.url + "/side")
    await n.run_background()
    n.point(pt(0, {"v": 1}, {"host": "A"}), 0)
    assert n.out[0].fields["cpu_threshold"] == 80.0 and n.out[0].fields["owner_id"] == 3
    assert rx.requests[0].method == "GET"


async def test_unreadable_source_logs_and_uses_defaults(tmp_path):
    (tmp_path / "default.yml").write_text("- not\n- a mapping\n")
    ctx = FakeCtx()
    n, _ = side(f"file://{tmp_path}", ctx=ctx)
    await n.run_background()
    assert "failed to load" in ctx.errors[0][1]
    n.point(pt(0, {"v": 1}, {"host": "A"}), 0)
    assert n.out[0].fields["owner_id"] == 0


def test_convert_type_like_kapacitor():
    import pytest

    from kapacitrio.engine.nodes.sideload import convert_type

    assert convert_type(5, 0.0) == 5.0 and type(convert_type(5, 0.0)) is float
    assert convert_type(5.0, 0) == 5 and type(convert_type(5.0, 0)) is int
    assert convert_type("42", 0) == 42 and convert_type("2.5", 0.0) == 2.5
    assert convert_type("T", False) is True and convert_type("0", True) is False
    assert convert_type(1e20, "") == "100000000000000000000"
    assert convert_type(2.5, "") == "2.5" and convert_type(3.0, "") == "3"
    assert convert_type(True, "") == "true" and convert_type(7, "") == "7"
    with pytest.raises(ValueError, match="cannot convert value of type float64 to type int64"):
        convert_type(5.5, 0)
    with pytest.raises(ValueError, match="cannot convert value of type bool to type float64"):
        convert_type(True, 0.0)
    with pytest.raises(ValueError, match="cannot convert string to bool"):
        convert_type("maybe", False)
