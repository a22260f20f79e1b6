"""The router's index: exact dbrp and measurement, wildcards, removal."""

from __future__ import annotations

from kapacitrio.engine.router import ANY, Router


def test_exact_and_wildcard_measurements() -> None:
    r = Router()
    r.add("cpu-task", [("db", "rp")], {"cpu"})
    r.add("all-task", [("db", "rp")], {ANY})
    r.add("other-db", [("db2", "rp")], {"cpu"})
    assert r.targets("db", "rp", "cpu") == ["cpu-task", "all-task"]
    assert r.targets("db", "rp", "mem") == ["all-task"]
    assert r.targets("db2", "rp", "cpu") == ["other-db"]
    assert r.targets("db2", "rp", "mem") == []
    assert r.targets("nope", "rp", "cpu") == []


def test_empty_db_or_rp_matches_any() -> None:
    r = Router()
    r.add("t", [("", "")], {"cpu"})
    assert r.targets("x", "y", "cpu") == ["t"]


def test_remove_and_reindex() -> None:
    r = Router()
    r.add("a", [("db", "rp")], {"cpu", "mem"})
    assert r.targets("db", "rp", "mem") == ["a"]
    r.remove("a")
    assert r.targets("db", "rp", "mem") == []
    r.add("b", [("db", "rp")], {"mem"})
    assert r.targets("db", "rp", "mem") == ["b"]


def test_lookup_cost_does_not_depend_on_unmatched_tasks() -> None:
    r = Router()
    for i in range(1000):
        r.add(f"t{i}", [("db", "rp")], {f"m{i}"})
    by_meas, wild = r.table("db", "rp")
    assert wild == [] and by_meas["m5"] == ["t5"] and "cpu" not in by_meas


def test_equal_target_lists_are_one_object() -> None:
    r = Router()
    r.add("join", [("db", "rp")], {"a", "b"})
    r.add("all", [("db", "rp")], {ANY})
    r.add("only-a", [("db", "rp")], {"a"})
    by_meas, wild = r.table("db", "rp")
    assert by_meas["a"] == ["join", "all", "only-a"]
    assert by_meas["b"] == ["join", "all"]
    r.remove("only-a")
    by_meas, wild = r.table("db", "rp")
    assert by_meas["a"] is by_meas["b"]
    assert by_meas["a"] == ["join", "all"] and wild == ["all"]
