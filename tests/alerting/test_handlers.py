"""Handler kinds against real local receivers: post, tcp, log, exec, publish, aggregate, slack."""

from __future__ import annotations

import json
import stat
import sys

import pytest
import trio

from kapacitrio.alerting import levels
from kapacitrio.alerting.handlers.post import HTTPPostConfig
from kapacitrio.alerting.handlers.slack import SlackConfig
from tests.alerting.conftest import make_event, settle

ALERT_KEYS = [
    "id",
    "message",
    "details",
    "time",
    "duration",
    "level",
    "data",
    "previousLevel",
    "recoverable",
]


async def test_post_sends_kapacitor_alert_json(service, receiver):
    h = service.build_inline(
        "post", [f"{receiver.url}/x"], {"headers": {"X-Token": "t1"}, "endpoint": ""}
    )
    service.attach_task_handlers("t", [h])
    service.handle_event("t", make_event(levels.CRITICAL, duration=5))
    await settle(service)
    (req,) = receiver.requests
    assert req.path == "/x"
    assert req.headers["x-token"] == "t1"
    assert req.headers["content-type"] == "application/json"
    body = req.json()
    assert list(body) == ALERT_KEYS
    assert body["time"] == "1971-01-01T00:00:00Z"
    assert body["duration"] == 5
    assert body["level"] == "CRITICAL"
    assert body["data"]["series"][0]["values"] == [["1971-01-01T00:00:00Z", 97.1]]


async def test_post_endpoint_uses_config_url_headers_auth_and_template(service, sections, receiver):
    sections["httppost"] = [
        HTTPPostConfig(
            endpoint="ep",
            url=f"{receiver.url}/ep",
            headers={"X-From": "config"},
            basic_auth={"username": "u", "password": "p"},
            alert_template=(
                '{"text": "{{.Message}}", "lvl": "{{.Level}}", "t": {{ .Time.Unix }}, '
                '"v": {{ index (index (index .Data.Series 0).Values 0) 1 }}}'
            ),
        )
    ]
    h = service.build_inline("post", [], {"endpoint": "ep", "headers": {}})
    service.attach_task_handlers("t", [h])
    service.handle_event("t", make_event(levels.WARNING, message="disk full"))
    await settle(service)
    (req,) = receiver.requests
    assert req.path == "/ep"
    assert req.headers["x-from"] == "config"
    assert req.headers["authorization"] == "Basic dTpw"
    assert req.json() == {"text": "disk full", "lvl": "WARNING", "t": 31536000, "v": 97.1}


async def test_post_failure_status_is_counted(service, receiver):
    receiver.status = 500
    runners = service.attach_task_handlers("t", [service.build_inline("post", [receiver.url], {})])
    service.handle_event("t", make_event())
    await settle(service)
    assert len(receiver.requests) == 1
    assert runners[0].stats["errors"] == 1


async def test_post_to_closed_port_fails_without_stalling(service):
    runners = service.attach_task_handlers(
        "t", [service.build_inline("post", ["http://127.0.0.1:9/x"], {})]
    )
    service.handle_event("t", make_event())
    await settle(service)
    assert runners[0].stats["errors"] == 1


async def test_tcp_writes_json_lines(service, tcp_receiver):
    service.attach_task_handlers("t", [service.build_inline("tcp", [tcp_receiver.address], {})])
    service.handle_event("t", make_event(levels.INFO))
    service.handle_event("t", make_event(levels.OK))
    await settle(service)
    lines = await tcp_receiver.wait_for(2)
    assert [json.loads(x)["level"] for x in lines] == ["INFO", "OK"]
    assert json.loads(lines[1])["previousLevel"] == "INFO"


async def test_log_appends_lines_with_mode(service, tmp_path):
    path = tmp_path / "alerts.log"
    service.attach_task_handlers("t", [service.build_inline("log", [str(path)], {"mode": 0o640})])
    service.handle_event("t", make_event(levels.WARNING))
    service.handle_event("t", make_event(levels.OK))
    await settle(service)
    lines = path.read_text().splitlines()
    assert [json.loads(x)["level"] for x in lines] == ["WARNING", "OK"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


@pytest.mark.parametrize(
    "args,props,message",
    [
        (["relative.log"], {}, "must be absolute"),
        (["/tmp/x.log"], {"mode": 0o444}, "must be writable"),
    ],
)
async def test_log_rejects_bad_options(service, args, props, message):
    from kapacitrio.alerting.handlers.base import HandlerOptionError

    with pytest.raises(HandlerOptionError, match=message):
        service.build_inline("log", args, props)


async def test_exec_passes_alert_on_stdin(service, tmp_path):
    out = tmp_path / "out.json"
    script = "import sys; open(sys.argv[1], 'a').write(sys.stdin.read() + '\\n')"
    h = service.build_inline("exec", [sys.executable, "-c", script, str(out)], {})
    runners = service.attach_task_handlers("t", [h])
    service.handle_event("t", make_event(levels.CRITICAL))
    await settle(service)
    assert runners[0].stats["delivered"] == 1
    assert json.loads(out.read_text())["id"] == "cpu:nil"


async def test_exec_failure_is_counted(service):
    h = service.build_inline("exec", [sys.executable, "-c", "import sys; sys.exit(3)"], {})
    runners = service.attach_task_handlers("t", [h])
    service.handle_event("t", make_event())
    await settle(service)
    assert runners[0].stats["errors"] == 1


async def test_publish_recollects_into_topics(service):
    await service.create_handler(
        "src", {"id": "pub", "kind": "publish", "options": {"topics": ["a", "b"]}}
    )
    service.handle_event("src", make_event(levels.WARNING, id="e1"))
    await settle(service)
    assert service.event("a", "e1").level == levels.WARNING
    assert service.event("b", "e1").level == levels.WARNING
    assert service.get_topic("a").collected == 1


async def test_aggregate_publishes_one_summary_per_interval(service, autojump_clock):
    await service.create_handler(
        "src",
        {
            "id": "agg",
            "kind": "aggregate",
            "options": {"id": "summary", "interval": "10s", "topic": "dst"},
        },
    )
    service.handle_event("src", make_event(levels.WARNING, id="a", time=1_000, duration=3))
    service.handle_event("src", make_event(levels.CRITICAL, id="b", time=2_000, duration=1))
    await settle(service)
    await trio.sleep(10.5)
    state = service.event("dst", "summary")
    assert state.message == "Received 2 events in the last 10s."
    assert state.level == levels.CRITICAL
    assert state.time == 2_000
    assert state.duration == 3
    assert state.details == "a is WARNING\nb is CRITICAL"
    await trio.sleep(30)
    assert service.get_topic("dst").collected == 1  # nothing new: nothing sent


async def test_slack_payload_colour_and_token(service, sections, receiver):
    sections["slack"] = [
        SlackConfig(enabled=True, url=f"{receiver.url}/slack", token="tok", channel="#ops")
    ]
    h = service.build_inline("slack", [], {"channel": "", "username": "bot", "iconEmoji": ":x:"})
    service.attach_task_handlers("t", [h])
    for lvl in (levels.INFO, levels.WARNING, levels.CRITICAL, levels.OK):
        service.handle_event("t", make_event(lvl))
    await settle(service)
    bodies = [r.json() for r in receiver.requests]
    assert [b["attachments"][0]["color"] for b in bodies] == ["good", "warning", "danger", "good"]
    assert bodies[0] == {
        "channel": "#ops",
        "username": "bot",
        "icon_emoji": ":x:",
        "text": "",
        "attachments": [
            {
                "fallback": "cpu:nil is INFO",
                "color": "good",
                "text": "cpu:nil is INFO",
                "mrkdwn_in": ["text"],
            }
        ],
    }
    assert receiver.requests[0].headers["authorization"] == "Bearer tok"


async def test_slack_workspaces_and_disabled(service, sections, receiver):
    sections["slack"] = [
        SlackConfig(enabled=True, workspace="a", url=f"{receiver.url}/a", default=True),
        SlackConfig(enabled=False, workspace="b", url=f"{receiver.url}/b"),
    ]
    ra = service.attach_task_handlers("t1", [service.build_inline("slack", [], {})])
    rb = service.attach_task_handlers("t2", [service.build_inline("slack", [], {"workspace": "b"})])
    service.handle_event("t1", make_event())
    service.handle_event("t2", make_event())
    await settle(service)
    assert [r.path for r in receiver.requests] == ["/a"]
    assert ra[0].stats["delivered"] == 1
    assert rb[0].stats["errors"] == 1


async def test_alert_body_is_encoded_like_kapacitor(service, receiver, tcp_receiver):
    event = make_event(levels.WARNING, message="a <b> & c")
    event.data.result["series"][0]["values"] = [["1971-01-01T00:00:00Z", 10.0]]
    event.data.result["series"][0]["tags"] = {"z": "1", "a": "2"}
    service.attach_task_handlers("t", [service.build_inline("post", [receiver.url], {})])
    service.attach_task_handlers("t2", [service.build_inline("tcp", [tcp_receiver.address], {})])
    service.handle_event("t", event)
    service.handle_event("t2", event)
    await settle(service)
    raw = receiver.requests[0].body.decode()
    assert raw.endswith("}\n")
    assert '"message":"a \\u003cb\\u003e \\u0026 c"' in raw
    assert (
        '"data":{"series":[{"name":"cpu","tags":{"a":"2","z":"1"},"columns":["time","value"],"values":[["1971-01-01T00:00:00Z",10]]}]}'
        in raw
    )
    assert raw.startswith('{"id":"cpu:nil","message"')
    (line,) = await tcp_receiver.wait_for(1)
    assert line.decode() + "\n" == raw
