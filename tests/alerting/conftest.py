"""Fixtures for alerting tests: a running AlertService with stand-in config, local receivers."""

from __future__ import annotations

from typing import Any

import pytest
import trio

from kapacitrio.alerting import levels
from kapacitrio.alerting.event import Event, EventData, EventState
from kapacitrio.alerting.service import AlertService
from tests.alerting.receiver import TCPReceiver
from tests.httpreceiver import HTTPReceiver


class Sections(dict):
    """A config stand-in: `sections(name)` returns the section value stored under name."""

    def __call__(self, name: str) -> Any:
        return self[name]


@pytest.fixture
def sections() -> Sections:
    return Sections()


@pytest.fixture
async def service(nursery, sections) -> AlertService:
    svc = AlertService(config=sections)
    await nursery.start(svc.run)
    return svc


@pytest.fixture
async def receiver(nursery) -> HTTPReceiver:
    return await nursery.start(HTTPReceiver().serve)


@pytest.fixture
async def tcp_receiver(nursery) -> TCPReceiver:
    return await nursery.start(TCPReceiver().serve)


def make_event(
    level: int = levels.CRITICAL,
    id: str = "cpu:nil",
    message: str | None = None,
    time: int = 31536000000000000,
    duration: int = 0,
    tags: dict[str, str] | None = None,
    name: str = "cpu",
) -> Event:
    msg = message if message is not None else f"{id} is {levels.name(level)}"
    series = {
        "name": name,
        "tags": tags or {},
        "columns": ["time", "value"],
        "values": [["1971-01-01T00:00:00Z", 97.1]],
    }
    data = EventData(
        name=name,
        task_name="task",
        tags=tags or {},
        fields={"value": 97.1},
        result={"series": [series]},
    )
    return Event("", EventState(id, msg, "details", time, duration, level), data)


async def settle(service: AlertService, timeout: float = 10) -> None:
    with trio.fail_after(timeout):
        await service.wait_idle()
