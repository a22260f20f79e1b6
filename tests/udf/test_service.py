"""The UDF service's start: every function asked for its Info at once; a failing one is named."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import trio

from kapacitrio.udf.config import parse_function
from kapacitrio.udf.service import UDFService

AGENTS = str(Path(__file__).resolve().parent / "agents.py")


def _fn(name: str, agent: str, timeout: str = "10s"):
    return parse_function(
        name, {"prog": sys.executable, "args": ["-u", AGENTS, agent], "timeout": timeout}
    )


def test_infos_are_loaded_together_and_a_failure_is_named():
    fns = {f"m{i}": _fn(f"m{i}", "moving_avg") for i in range(4)}
    svc = UDFService(None, fns)
    trio.run(svc.load_infos)
    assert sorted(svc.infos()) == ["m0", "m1", "m2", "m3"]
    assert svc.infos()["m0"].options == {
        "as": ("string",),
        "field": ("string",),
        "size": ("int64",),
    }
    fns["bad"] = parse_function("bad", {"prog": "/nonexistent/agent"})
    svc = UDFService(None, {"bad": fns["bad"], "m0": fns["m0"]})
    with pytest.raises(OSError) as err:
        trio.run(svc.load_infos)
    assert str(err.value) == (
        'failed to load process info for "bad": '
        "fork/exec /nonexistent/agent: no such file or directory"
    )
    assert "m0" in svc.infos()  # the others were still asked
