"""The conformance corpus replayed through the replay player: the same httpOut results as live.

Each stream or batch case whose expectation is an httpOut result is written to a recording file,
replayed from it with its recorded times (`recording-time`) on the fast clock, and its endpoint
compared with the expected result.
"""

from __future__ import annotations

import glob
import json
from pathlib import Path

import pytest

from kapacitrio.casetest.compare import diff_result
from kapacitrio.casetest.runner import _json_roundtrip, decode_batch
from kapacitrio.models.lineprotocol import parse_line
from kapacitrio.pipeline.build import compile_task
from kapacitrio.replay.files import BatchWriter, StreamWriter, read_batch_sources
from kapacitrio.replay.player import Player
from kapacitrio.replay.replays import FileBlocks
from tests.corpus_location import CONFORMANCE

CORPUS = CONFORMANCE


def _cases() -> list[dict]:
    out = []
    for path in sorted(glob.glob(str(CORPUS / "*" / "*.json"))):
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        for case in doc if isinstance(doc, list) else [doc]:
            if not isinstance(case, dict) or case.get("kind") not in ("stream", "batch"):
                continue
            expect = case.get("expect") or {}
            needs_receiver = "{{RECEIVER" in case["script"] or "__POST_URL__" in case["script"]
            if "httpOut" in expect and "startError" not in expect and not needs_receiver:
                out.append(case)
    return out


CASES = _cases()

#: Cases the engine is known to get wrong live are not held against the replay either.
_KNOWN = Path(__file__).resolve().parents[1] / "conformance_known_failures.txt"
KNOWN = {
    line.partition("|")[0].strip()
    for line in (_KNOWN.read_text(encoding="utf-8").splitlines() if _KNOWN.exists() else [])
    if line.strip() and not line.startswith("#")
}
PARAMS = [
    pytest.param(
        c, id=c["name"], marks=[pytest.mark.xfail(strict=False)] if c["name"] in KNOWN else []
    )
    for c in CASES
]


@pytest.mark.skipif(not CASES, reason="conformance corpus not found")
@pytest.mark.parametrize("case", PARAMS)
async def test_replayed_case_matches(case: dict, tmp_path: Path) -> None:
    """The case's data goes through a recording file, then into the replay."""
    kind = case["kind"]
    dbrps = [(d["db"], d["rp"]) for d in case.get("dbrps") or []]
    pipeline = compile_task(case["script"], kind)
    p = Player(case["name"], pipeline, dbrps, None, recording_time=True, now=lambda: 0)
    if kind == "batch":
        path = tmp_path / "r.brpl"
        writer = BatchWriter(path)
        for i, src in enumerate(case.get("batches") or []):
            writer.write(i, [decode_batch(b) for b in src])
        writer.close()
        await p.play_batches(read_batch_sources(path))
    else:
        path = tmp_path / "r.srpl"
        stream = StreamWriter(path)
        stream.write(parse_line(d["line"], 1, 0, d["db"], d["rp"]) for d in case.get("data") or [])
        stream.close()
        await p.play_stream(FileBlocks(path))
    exp = case["expect"]["httpOut"]
    source = p.task.ctx.http_out[exp["endpoint"]]
    diff = diff_result(
        _json_roundtrip(source.result()), exp["result"], bool(exp.get("ignoreOrder")), "httpOut"
    )
    assert not diff, diff
