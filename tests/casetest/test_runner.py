"""The in-process case runner and `kapacitrio test`: verdict lines, totals, exit status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import trio
import trio.testing

from kapacitrio.casetest.receivers import Receivers
from kapacitrio.casetest.runner import decode_batch, run_case
from kapacitrio.cli import main

SCRIPT = """stream
    |from().measurement('cpu').groupBy('host')
    |window().period(2s).every(2s)
    |count('value')
    |httpOut('out')
"""


def stream_case(name: str, count: float) -> dict:
    data = [
        {"db": "db", "rp": "rp", "line": f"cpu,host=a value={i} {31536000000000000 + i * 10**9}"}
        for i in range(3)
    ]
    series = [{"name": "cpu", "tags": {"host": "a"}, "columns": ["time", "count"],
               "values": [["1971-01-01T00:00:02Z", count]]}]  # fmt: skip
    return {
        "name": name,
        "kind": "stream",
        "script": SCRIPT,
        "dbrps": [{"db": "db", "rp": "rp"}],
        "data": data,
        "expect": {"httpOut": {"endpoint": "out", "result": {"series": series}}},
    }


def batch_case(name: str, start_error: str) -> dict:
    return {
        "name": name,
        "kind": "batch",
        "script": "batch|query('SELECT a FROM b; SELECT c FROM d').every(1s)",
        "dbrps": [{"db": "db", "rp": "rp"}],
        "batches": [],
        "expect": {"startError": start_error},
    }


async def test_stream_case_passes_and_fails_with_reason() -> None:
    ok = await run_case(stream_case("good", 2), timeout=0.3)
    assert ok.passed, ok.reason
    bad = await run_case(stream_case("bad", 3), timeout=0.3)
    assert not bad.passed
    assert "values[0][1]: got 2 exp 3" in bad.reason


async def test_batch_start_error_must_match_exactly() -> None:
    good = await run_case(
        batch_case("b", "query must be a single select statement, got 2 statements")
    )
    assert good.passed, good.reason
    bad = await run_case(batch_case("b", "something else"))
    assert not bad.passed and "startError" in bad.reason


def test_cli_prints_verdicts_and_totals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cases.json"
    path.write_text(json.dumps([stream_case("one", 2), stream_case("two", 5)]))
    assert main(["test", "--timeout", "0.3", str(path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "PASS one"
    assert out[1].startswith("FAIL two: httpOut.series[0].values[0][1]")
    assert out[-1] == "1 passed, 1 failed"
    assert main(["test", "--timeout", "0.3", "-k", "one", str(path)]) == 0
    assert capsys.readouterr().out.splitlines() == ["PASS one", "1 passed, 0 failed"]


def test_decode_batch_turns_numbers_into_floats() -> None:
    b = decode_batch(
        {
            "name": "cpu",
            "tags": {"h": "a"},
            "tmax": "1971-01-01T00:00:01Z",
            "byname": True,
            "points": [{"time": "1971-01-01T00:00:00Z", "fields": {"v": 1, "s": "x", "b": True}}],
        }
    )
    assert b.points[0].fields == {"v": 1.0, "s": "x", "b": True}
    assert type(b.points[0].fields["v"]) is float
    assert b.points[0].tags == {"h": "a"}
    assert b.dimensions.by_name and b.dimensions.tag_names == ("h",)


async def test_receivers_record_http_and_tcp() -> None:
    async with trio.open_nursery() as nursery:
        rec = await nursery.start(Receivers().run)
        stream = await trio.open_tcp_stream("127.0.0.1", rec.http_port)
        body = b'{"a": 1}'
        await stream.send_all(
            b"POST /case/x?y=1 HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n%s"
            % (len(body), body)
        )
        reply = await stream.receive_some(1024)
        assert reply.startswith(b"HTTP/1.1 200")
        await stream.aclose()
        tcp = await trio.open_tcp_stream("127.0.0.1", rec.tcp_port)
        await tcp.send_all(b'{"l": 1}\n{"l": 2}\n')
        await tcp.aclose()
        with trio.fail_after(5):
            while not rec.recorder.tcp:
                await trio.testing.wait_all_tasks_blocked(cushion=0.001)
        nursery.cancel_scope.cancel()
    [req] = rec.recorder.http_under("/case")
    assert (req.method, req.path, req.body) == ("POST", "/case/x?y=1", body)
    assert rec.recorder.tcp_lines() == [b'{"l": 1}', b'{"l": 2}']


def test_cli_delegates_tick_corpus_files(capsys: pytest.CaptureFixture[str]) -> None:
    from tests.test_conformance_inprocess import CORPUS

    lex = CORPUS / "tick" / "lex.json"
    if not lex.is_file():
        pytest.skip("no tick corpus")
    first = json.loads(lex.read_text())[0]["name"]
    assert main(["test", "-k", first, str(lex)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert f"PASS {first}" in out and out[-1].endswith("0 failed")
