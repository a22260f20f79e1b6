"""Fixtures for the kkok unit tests: a router on trio's clock and an alert maker."""

from __future__ import annotations

import pytest

from kapacitrio.kkok.alert import Alert
from kapacitrio.kkok.clock import TrioClock
from kapacitrio.kkok.filters import FilterEnv, make_filter
from kapacitrio.kkok.js import JSEngine
from kapacitrio.kkok.router import Router
from kapacitrio.models.timefmt import parse_rfc3339

START = parse_rfc3339("2026-01-01T00:00:00Z")


def make_alert(title: str = "disk full", **kw) -> Alert:
    kw.setdefault("from_", "monitor")
    kw.setdefault("date", START)
    kw.setdefault("host", "web1")
    return Alert(title=title, **kw)


@pytest.fixture
def clock():
    return TrioClock(START)


@pytest.fixture
def env(clock):
    return FilterEnv(JSEngine(0.2), clock)


@pytest.fixture
def build(env):
    def _build(params: dict, fid: str = "f1"):
        return make_filter(fid, params, env, dynamic=True)

    return _build


@pytest.fixture
def router(clock):
    return Router(clock=clock, initial_interval=1, max_interval=4, js_time_limit=0.2, retry_delay=0)
