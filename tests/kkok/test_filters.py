"""Every filter type, the common properties and the `if` conditions."""

import json
import sys

import pytest
import trio

from kapacitrio.kkok.errors import KkokError

from .conftest import START, make_alert

NS = 1_000_000_000
PY = sys.executable


# -- construction errors


@pytest.mark.parametrize(
    "params,needle",
    [
        ({}, "type is required"),
        ({"type": "nosuch"}, "no such filter type: nosuch"),
        ({"type": "discard", "bogus": 1}, "unknown parameter bogus"),
        ({"type": "discard", "disabled": "yes"}, "disabled must be a boolean"),
        ({"type": "discard", "if": "alert.Title =="}, "bad JavaScript expression"),
        ({"type": "discard", "if": 5}, "if must be"),
        ({"type": "discard", "if": []}, "if must be"),
        ({"type": "discard", "expire": "tomorrow"}, "RFC3339"),
        ({"type": "route", "routes": "r1"}, "routes must be a list of strings"),
        ({"type": "edit"}, "code is required"),
        ({"type": "exec"}, "command is required"),
        ({"type": "freq", "divisor": 0}, "divisor must not be zero"),
        ({"type": "group", "by": "("}, "bad JavaScript"),
    ],
)
def test_bad_parameters_are_refused(build, params, needle):
    with pytest.raises(KkokError, match=needle):
        build(params)


def test_bad_id_is_refused(build):
    with pytest.raises(KkokError, match="invalid filter id"):
        build({"type": "discard"}, fid="bad id")


def test_params_round_trip(build):
    f = build({"type": "route", "routes": ["a"], "label": "L", "if": "true", "all": True})
    doc = f.to_json()
    assert doc["type"] == "route" and doc["id"] == "f1" and doc["label"] == "L"
    assert doc["if"] == "true" and doc["all"] is True and doc["routes"] == ["a"]
    assert doc["mute_seconds"] == 60 and doc["replace"] is False


# -- discard


async def test_discard_with_condition(build):
    f = build({"type": "discard", "if": 'alert.Host == "web1"'})
    out = await f.process([make_alert(), make_alert(host="db1")])
    assert [a.host for a in out] == ["db1"]


async def test_discard_without_condition_drops_all(build):
    assert await build({"type": "discard"}).process([make_alert(), make_alert()]) == []


async def test_discard_all_condition_sees_array(build):
    f = build({"type": "discard", "all": True, "if": "alerts.length >= 3"})
    assert len(await f.process([make_alert(), make_alert()])) == 2
    assert await f.process([make_alert()] * 3) == []


async def test_command_condition(build, tmp_path):
    script = tmp_path / "cond.py"
    script.write_text(
        "import json, sys\nsys.exit(0 if json.load(sys.stdin)['Host'] == 'web1' else 1)\n"
    )
    f = build({"type": "discard", "if": [PY, str(script)]})
    out = await f.process([make_alert(), make_alert(host="db1")])
    assert [a.host for a in out] == ["db1"]


async def test_command_condition_that_cannot_run_is_an_error(build):
    f = build({"type": "discard", "if": ["/nonexistent/cmd"]})
    with pytest.raises(KkokError, match="could not run"):
        await f.process([make_alert()])


# -- route


async def test_route_adds_without_duplicates(build):
    f = build({"type": "route", "routes": ["a", "b"]})
    (out,) = await f.process([make_alert(routes=["b", "z"])])
    assert out.routes == ["b", "z", "a"]


async def test_route_replace(build):
    f = build({"type": "route", "routes": ["a"], "replace": True})
    (out,) = await f.process([make_alert(routes=["z"])])
    assert out.routes == ["a"]


async def test_route_auto_mute(build, autojump_clock):
    f = build(
        {
            "type": "route",
            "routes": ["loud"],
            "auto_mute": True,
            "mute_seconds": 60,
            "mute_routes": ["quiet"],
        }
    )
    out = await f.process([make_alert(), make_alert()])
    assert [a.routes for a in out] == [["loud"], ["quiet"]]
    await trio.sleep(30)
    (a,) = await f.process([make_alert()])
    assert a.routes == ["quiet"]
    await trio.sleep(31)
    (a,) = await f.process([make_alert()])
    assert a.routes == ["loud"]


# -- group


async def test_group_by_key_merges_with_defaults(build):
    f = build({"type": "group", "by": "alert.Info.svc", "routes": ["g"], "message": "many"})
    alerts = [
        make_alert("a", info={"svc": "db"}, host="h1"),
        make_alert("b", info={"svc": "db"}, host="h2"),
        make_alert("c", info={"svc": "web"}),
    ]
    out = await f.process(alerts)
    assert len(out) == 2
    merged = next(a for a in out if a.sub)
    single = next(a for a in out if not a.sub)
    assert single.title == "c" and single.routes == []
    assert [s.title for s in merged.sub] == ["a", "b"]
    assert merged.title == "merged alert" and merged.host == "localhost"
    assert merged.from_ == "monitor" and merged.routes == ["g"] and merged.message == ""


async def test_group_differing_from_uses_filter_name(build):
    f = build({"type": "group"})
    (merged,) = await f.process([make_alert(from_="x"), make_alert(from_="y")])
    assert merged.from_ == "filter:f1" and merged.title == "disk full"
    assert merged.host == "web1"


async def test_group_condition_leaves_others(build):
    f = build({"type": "group", "if": 'alert.Host != "solo"', "title": "T"})
    out = await f.process([make_alert("a"), make_alert(host="solo"), make_alert("b")])
    assert [a.host for a in out][0] == "solo"
    assert out[1].title == "T" and len(out[1].sub) == 2


# -- edit


async def test_edit_changes_selected_alerts(build):
    f = build({"type": "edit", "if": 'alert.Host == "web1"', "code": "alert.Title += '!'"})
    out = await f.process([make_alert(), make_alert(host="db")])
    assert [a.title for a in out] == ["disk full!", "disk full"]


# -- exec


async def test_exec_replaces_each_alert(build, tmp_path):
    script = tmp_path / "up.py"
    script.write_text(
        "import json, sys\na = json.load(sys.stdin)\na['Title'] = a['Title'].upper()\n"
        "print(json.dumps(a))\n"
    )
    f = build({"type": "exec", "command": [PY, str(script)]})
    out = await f.process([make_alert("one"), make_alert("two")])
    assert [a.title for a in out] == ["ONE", "TWO"]
    assert out[0].date == START


async def test_exec_all_gets_the_array(build, tmp_path):
    script = tmp_path / "first.py"
    script.write_text("import json, sys\nprint(json.dumps(json.load(sys.stdin)[:1]))\n")
    f = build({"type": "exec", "all": True, "command": [PY, str(script)]})
    out = await f.process([make_alert("one"), make_alert("two")])
    assert [a.title for a in out] == ["one"]


@pytest.mark.parametrize(
    "code,timeout,needle",
    [
        ("import sys; sys.exit(3)", 30, "exited with status 3"),
        ("print('not json')", 30, "not JSON"),
        ("print('{}')", 30, "From is required"),
        ("import time; time.sleep(30)", 1, "timed out after 1s"),
    ],
)
async def test_exec_failures_are_errors(build, code, timeout, needle):
    f = build({"type": "exec", "command": [PY, "-c", code], "timeout": timeout})
    with pytest.raises(KkokError, match=needle):
        await f.process([make_alert()])


# -- freq


async def test_freq_counts_per_class_in_window(build, autojump_clock):
    f = build({"type": "freq", "duration": 60, "divisor": 2, "foreach": "alert.Host", "key": "k"})
    out = await f.process([make_alert(), make_alert(), make_alert(host="other")])
    assert [a.stats["k"] for a in out] == [0.5, 1.0, 0.5]
    await trio.sleep(61)
    (a,) = await f.process([make_alert()])
    assert a.stats["k"] == 0.5


async def test_freq_key_defaults_to_id_and_later_filters_see_stats(build):
    f = build({"type": "freq"}, fid="rate")
    (a,) = await f.process([make_alert()])
    assert a.stats == {"rate": 0.1}
    g = build({"type": "discard", "if": "alert.Stats.rate > 0.05"}, fid="g")
    assert await g.process([a]) == []


# -- state


def test_expire_and_inactive(build):
    f = build({"type": "discard", "expire": "2026-01-01T00:01:00Z"})
    assert f.active(START) and not f.expired(START)
    assert f.expired(START + 60 * NS) and not f.active(START + 60 * NS)
    f.inactive_until = START + 10 * NS
    assert not f.active(START + 5 * NS) and f.active(START + 10 * NS)
    assert "inactive" in f.to_json(START) and "inactive" not in f.to_json(START + 11 * NS)
    assert json.dumps(f.to_json())
