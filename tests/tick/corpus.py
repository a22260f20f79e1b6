"""Loading the TICKscript language cases of the shared conformance corpus."""

from __future__ import annotations

import json

import pytest

from tests.corpus_location import CONFORMANCE

CORPUS_DIR = CONFORMANCE / "tick"


def load_cases(name: str) -> list:
    """The cases of one corpus file as pytest params (id = case name); skipped when absent."""
    path = CORPUS_DIR / name
    if not path.exists():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"{path} not found"))]
    cases = json.loads(path.read_text(encoding="utf-8"))
    return [pytest.param(case, id=case["name"]) for case in cases]
