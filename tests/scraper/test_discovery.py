"""Static targets and Prometheus file_sd files, re-read when they change (on a mock clock)."""

from __future__ import annotations

import json
import os
import time

import pytest
import trio

from kapacitrio.engine.clock import NS, TrioClock
from kapacitrio.scraper.config import FileDiscoveryConfig, StaticDiscoveryConfig
from kapacitrio.scraper.discovery import (
    WATCH_EVERY,
    DiscoveryError,
    FileDiscoverer,
    parse_groups,
    static_targets,
)


def test_static_targets_carry_the_labels():
    cfg = StaticDiscoveryConfig(True, "s", ["a:1", "b:2"], {"region": "eu"})
    assert static_targets(cfg) == [
        {"region": "eu", "__address__": "a:1"},
        {"region": "eu", "__address__": "b:2"},
    ]


def test_json_and_yaml_groups():
    js = json.dumps([{"targets": ["a:1"], "labels": {"env": "prod"}}, {"targets": ["b:2"]}])
    assert parse_groups(js, "/t.json") == [
        {"env": "prod", "__meta_filepath": "/t.json", "__address__": "a:1"},
        {"__meta_filepath": "/t.json", "__address__": "b:2"},
    ]
    yml = "- targets: ['c:3']\n  labels: {env: dev}\n"
    assert parse_groups(yml, "/t.yml") == [
        {"env": "dev", "__meta_filepath": "/t.yml", "__address__": "c:3"}
    ]
    assert parse_groups("", "/empty.yaml") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "Expecting"),
        ('{"targets": []}', "expected a list of target groups"),
        ('[{"targets": "a:1"}]', "targets must be a list of strings"),
        ('[{"targets": ["a:1"], "labels": {"n": 1}}]', "labels must map strings to strings"),
        ("[3]", "group 0 is not an object"),
    ],
)
def test_bad_files_are_refused_with_the_reason(text, message):
    with pytest.raises(DiscoveryError, match=message):
        parse_groups(text, "/bad.json")


def test_file_discovery_config_checks_paths():
    from kapacitrio.config import ConfigError, load

    with pytest.raises(ConfigError, match="is not valid for file discovery"):
        load(
            None,
            env={
                "KAPACITOR_FILE_DISCOVERY_0_ID": "f",
                "KAPACITOR_FILE_DISCOVERY_0_FILES": "/a/*/b.json",
            },
        )


async def test_file_changes_and_bad_files_are_followed(tmp_path, autojump_clock):
    path = tmp_path / "targets.json"
    path.write_text(json.dumps([{"targets": ["a:1"]}]))
    cfg = FileDiscoveryConfig(True, "f", [str(tmp_path / "*.json")], "1h")
    disc = FileDiscoverer(cfg, TrioClock(1000 * NS))
    seen: list[list[str]] = []

    async def update(label_sets):
        seen.append(sorted(ls["__address__"] for ls in label_sets))

    async def until(cond) -> None:
        # Files are read in worker threads: let them finish (in real time) without moving the clock.
        deadline = time.monotonic() + 10
        while not cond():
            assert time.monotonic() < deadline, seen
            await trio.sleep(0)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(disc.run, update)
        await until(lambda: seen == [["a:1"]])
        path.write_text(json.dumps([{"targets": ["a:1", "b:2"]}]))
        os.utime(path, ns=(1, 2))  # a different mtime even within one filesystem tick
        await trio.sleep(WATCH_EVERY / NS * 2)
        await until(lambda: seen[-1] == ["a:1", "b:2"])
        (tmp_path / "more.json").write_text(json.dumps([{"targets": ["c:3"]}]))
        await trio.sleep(WATCH_EVERY / NS * 2)
        await until(lambda: seen[-1] == ["a:1", "b:2", "c:3"])
        path.write_text("not json")  # a broken file keeps its last good targets
        os.utime(path, ns=(3, 4))
        await trio.sleep(WATCH_EVERY / NS * 2)
        await until(lambda: disc.errors == 1)
        assert seen[-1] == ["a:1", "b:2", "c:3"]
        (tmp_path / "more.json").unlink()
        await trio.sleep(WATCH_EVERY / NS * 2)
        await until(lambda: seen[-1] == ["a:1", "b:2"])
        count = len(seen)
        await trio.sleep(30)  # nothing changed: no update before refresh-interval
        assert len(seen) == count
        await trio.sleep(3600)  # refresh-interval: read again even without a change
        await until(lambda: len(seen) == count + 1)
        nursery.cancel_scope.cancel()
