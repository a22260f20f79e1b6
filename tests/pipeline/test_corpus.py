"""Every conformance stream/batch script compiles into a pipeline."""

import glob
import json
import os

import pytest

from kapacitrio.pipeline.build import compile_task
from tests.corpus_location import CONFORMANCE

ROOT = str(CONFORMANCE)
FILES = sorted(glob.glob(f"{ROOT}/stream/*.json") + glob.glob(f"{ROOT}/batch/*.json"))


@pytest.mark.skipif(not FILES, reason="conformance corpus not present")
@pytest.mark.parametrize("path", FILES, ids=[os.path.basename(f)[:-5] for f in FILES])
def test_case_script_compiles(path):
    with open(path) as fh:
        case = json.load(fh)
    script = case["script"].replace("__POST_URL__", "http://127.0.0.1:1/x")
    task_type = case.get("kind", "stream")
    pipeline = compile_task(script, task_type)
    assert pipeline.nodes[0].kind == task_type
    ids = [n.id for n in pipeline.nodes]
    assert ids == sorted(set(ids)) and ids[0] == 0
    for node in pipeline.nodes[1:]:
        assert node.parents or node.kind == "stats", node.name
        for parent in node.parents:
            assert node in parent.children
