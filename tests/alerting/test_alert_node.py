"""The alert node in a running task: fields and tags it adds, recoveries, inhibition, restore, errors."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import trio

from kapacitrio.alerting import levels
from kapacitrio.alerting.event import EventState
from kapacitrio.alerting.handlers.base import Handler
from kapacitrio.alerting.service import AlertService
from kapacitrio.engine.clock import VirtualClock
from kapacitrio.engine.taskmaster import TaskStartError, open_taskmaster
from kapacitrio.pipeline.build import compile_task
from tests.alerting.conftest import settle

S = 1_000_000_000
T0 = 31536000 * S


class Recorder(Handler):
    def __init__(self) -> None:
        self.events = []

    async def handle(self, event):
        self.events.append(event)


async def run_stream(script: str, lines: list[str], service: AlertService | None = None, task="t"):
    """Run a stream task over lines; returns (service, node stats, recorder on topic 'out')."""
    service = service or AlertService()
    rec = Recorder()
    async with trio.open_nursery() as nursery:
        await nursery.start(service.run)
        service.attach_task_handlers("out", [rec])
        async with open_taskmaster(VirtualClock(T0), SimpleNamespace(alerts=service)) as tm:
            running = await tm.start_task(task, compile_task(script, "stream"), [("db", "rp")])
            for line in lines:
                await tm.write("db", "rp", "s", line)
            await tm.stop_task(task)
            info = running.node_stats()
        await settle(service)
        nursery.cancel_scope.cancel()
    alert_stats = next(v for k, v in info.items() if k.startswith("alert"))
    return service, alert_stats, rec


def lines(*values, host="a") -> list[str]:
    return [f"cpu,host={host} value={v} {31536000 + i}" for i, v in enumerate(values)]


SCRIPT = """
stream
    |from().measurement('cpu').groupBy('host')
    |alert()
        .warn(lambda: "value" > 50)
        .crit(lambda: "value" > 90)
        .topic('out')
        {extra}
"""


async def test_levels_messages_and_stats():
    _, stats, rec = await run_stream(
        SCRIPT.format(
            extra=".message('{{ .ID }} {{ .Level }} {{ index .Fields \"value\" }} {{ .Duration }}')"
        ),
        lines(10, 60, 95, 95, 20, 20),
    )
    assert [e.state.message for e in rec.events] == [
        "cpu:host=a WARNING 60 0s",
        "cpu:host=a CRITICAL 95 1s",
        "cpu:host=a CRITICAL 95 2s",
        "cpu:host=a OK 20 3s",
    ]
    assert [e.previous_level for e in rec.events] == [0, 2, 3, 3]
    assert stats["alerts_triggered"] == 4
    assert (stats["oks_triggered"], stats["warns_triggered"], stats["crits_triggered"]) == (1, 1, 2)
    assert rec.events[0].data.group == "host=a"
    assert rec.events[0].data.task_name == "t"


async def test_no_recoveries_updates_state_but_sends_nothing():
    service, stats, rec = await run_stream(
        SCRIPT.format(extra=".noRecoveries()"), lines(95, 10, 95)
    )
    assert [e.state.level for e in rec.events] == [levels.CRITICAL, levels.CRITICAL]
    assert rec.events[1].state.duration == 0  # a new episode after the silent recovery
    assert rec.events[0].alert_json()["recoverable"] is False


async def test_default_details_are_html_escaped_json():
    _, _, rec = await run_stream(SCRIPT.format(extra=""), lines(95))
    details = rec.events[0].state.details
    assert details.startswith("{&#34;Name&#34;:&#34;cpu&#34;,&#34;TaskName&#34;:&#34;t&#34;,")
    assert "&#34;Group&#34;:&#34;host=a&#34;" in details
    assert details.endswith("}\n")


async def test_predicate_errors_count_as_false():
    script = """
stream
    |from().measurement('cpu')
    |alert()
        .crit(lambda: "missing" > 1)
        .warn(lambda: "value" > 1)
        .topic('out')
"""
    _, stats, rec = await run_stream(script, lines(5))
    assert [e.state.level for e in rec.events] == [levels.WARNING]
    assert stats["errors"] >= 1


async def test_inhibition_drops_matching_category():
    script = """
var data = stream |from().measurement('cpu').groupBy('host')
data
    |alert()
        .category('system')
        .inhibit('app', 'host')
        .crit(lambda: "value" > 90)
data
    |alert()
        .category('app')
        .crit(lambda: "value" > 50)
        .topic('out')
"""
    _, _, rec = await run_stream(
        script,
        [
            f"cpu,host=a value=60 {31536000}",
            f"cpu,host=a value=95 {31536001}",
            f"cpu,host=a value=96 {31536002}",
            f"cpu,host=b value=80 {31536003}",
            f"cpu,host=a value=70 {31536004}",
        ],
    )
    # host=a: sent before the inhibitor is active, and again once it recovers (70 < 90)
    assert [(e.state.id, e.state.time) for e in rec.events] == [
        ("cpu:host=a", T0),
        ("cpu:host=b", T0 + 3 * S),
        ("cpu:host=a", T0 + 4 * S),
    ]


async def test_restored_state_sends_recovery_after_restart():
    service = AlertService()
    topic = "out"
    service.topic(topic).events["cpu:host=a"] = EventState(
        "cpu:host=a", "was critical", "", T0 - 10 * S, 0, levels.CRITICAL
    )
    _, _, rec = await run_stream(SCRIPT.format(extra=""), lines(10), service=service)
    (ev,) = rec.events
    assert ev.state.level == levels.OK
    assert ev.previous_level == levels.CRITICAL
    assert ev.state.duration == 10 * S


async def test_fields_and_tags_added_downstream():
    script = """
stream
    |from().measurement('cpu')
    |alert()
        .crit(lambda: "value" > 90)
        .messageField('msg')
        .durationField('dur')
        .levelTag('lvl')
        .idField('eid')
    |httpOut('out')
"""
    service = AlertService()
    async with trio.open_nursery() as nursery:
        await nursery.start(service.run)
        async with open_taskmaster(VirtualClock(T0), SimpleNamespace(alerts=service)) as tm:
            await tm.start_task("t", compile_task(script, "stream"), [("db", "rp")])
            for line in lines(95, 96):
                await tm.write("db", "rp", "s", line)
            with trio.fail_after(5):
                while True:
                    out = tm.http_out("t", "out")
                    if out and out.get("series"):
                        break
                    await trio.sleep(0.01)
        nursery.cancel_scope.cancel()
    (series,) = out["series"]
    assert series["tags"] == {"host": "a", "lvl": "CRITICAL"}
    assert series["columns"] == ["time", "dur", "eid", "msg", "value"]
    assert series["values"] == [
        ["1971-01-01T00:00:01Z", 1 * S, "cpu:nil", "cpu:nil is CRITICAL", 96.0]
    ]


async def test_bad_template_stops_task_start():
    script = """
stream
    |from().measurement('cpu')
    |alert().id('{{ .Name ').crit(lambda: TRUE)
"""
    service = AlertService()
    async with open_taskmaster(VirtualClock(T0), SimpleNamespace(alerts=service)) as tm:
        with pytest.raises(TaskStartError, match="unclosed action"):
            await tm.start_task("t", compile_task(script, "stream"), [("db", "rp")])


async def test_global_service_handler_and_forced_state_changes_only(nursery, sections, receiver):
    from kapacitrio.alerting.handlers.slack import SlackConfig

    sections["slack"] = [
        SlackConfig(
            enabled=True, url=f"{receiver.url}/slack", global_=True, state_changes_only=True
        )
    ]
    service = AlertService(config=sections)
    script = """
stream
    |from().measurement('cpu')
    |alert()
        .crit(lambda: "value" > 90)
"""
    await run_stream(script, lines(95, 96, 97, 10), service=service)
    texts = [r.json()["attachments"][0]["text"] for r in receiver.requests]
    assert texts == ["cpu:nil is CRITICAL", "cpu:nil is OK"]


async def test_explicit_handler_replaces_global_one(nursery, sections, receiver):
    from kapacitrio.alerting.handlers.slack import SlackConfig

    sections["slack"] = [SlackConfig(enabled=True, url=f"{receiver.url}/global", global_=True)]
    service = AlertService(config=sections)
    script = f"""
stream
    |from().measurement('cpu')
    |alert()
        .crit(lambda: "value" > 90)
        .post('{receiver.url}/explicit')
        .slack().channel('#x')
"""
    await run_stream(script, lines(95), service=service)
    assert sorted(r.path for r in receiver.requests) == ["/explicit", "/global"]
    slack = next(r for r in receiver.requests if r.path == "/global")
    assert slack.json()["channel"] == "#x"
