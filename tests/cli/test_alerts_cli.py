"""Topics and handlers from the command line, and `watch` on a topic's live feed."""

from __future__ import annotations

import json
import time

from cli_helpers import cli_env, spawn

ALERT_TICK = """stream|from().measurement('{m}')|alert().id('{{{{ index .Tags "host" }}}}')
    .message('{{{{ .ID }}}} is {{{{ .Level }}}}').crit(lambda: "usage" > 90).topic('{topic}')
"""


def alert_task(kap, srv, tmp_path, task_id: str, topic: str, measurement: str) -> None:
    path = tmp_path / f"{task_id}.tick"
    path.write_text(ALERT_TICK.format(m=measurement, topic=topic))
    r = kap("define", task_id, "-type", "stream", "-tick", str(path), "-dbrp", "tg.autogen")
    assert (r.code, r.err) == (0, "")
    assert kap("enable", task_id).code == 0


def write(srv, line: str) -> None:
    r = srv.client.post("/write", params={"db": "tg", "rp": "autogen"}, content=line)
    assert r.status_code == 204


def wait_for_topic(srv, topic: str) -> None:
    deadline = time.monotonic() + 10
    while srv.client.get(f"/kapacitor/v1/alerts/topics/{topic}").status_code != 200:
        assert time.monotonic() < deadline, f"topic {topic} never appeared"
        time.sleep(0.05)


def test_topics_and_events(kap, shared_server, tmp_path):
    alert_task(kap, shared_server, tmp_path, "al1", "cli_sys", "cpu1")
    write(shared_server, "cpu1,host=web1 usage=97")
    wait_for_topic(shared_server, "cli_sys")

    r = kap("list", "topics", "cli_*")
    assert r.code == 0
    assert r.out.splitlines()[0].split() == ["ID", "Level", "Collected"]
    assert r.out.splitlines()[1].split() == ["cli_sys", "CRITICAL", "1"]

    r = kap("show-topic", "cli_sys")
    assert r.code == 0
    lines = r.out.splitlines()
    assert lines[:5] == [
        "ID: cli_sys",
        "Level: CRITICAL",
        "Collected: 1",
        "Handlers: []",
        "Events:",
    ]
    assert lines[6].split()[:5] == ["web1", "CRITICAL", "web1", "is", "CRITICAL"]

    assert kap("delete", "topics", "cli_sys").code == 0
    assert shared_server.client.get("/kapacitor/v1/alerts/topics/cli_sys").status_code == 404
    r = kap("show-topic", "cli_sys")
    assert r.code == 3 and r.err.count("\n") == 1


def test_topic_handlers(kap, shared_server, tmp_path):
    spec = tmp_path / "h.yaml"
    spec.write_text("topic: hsys\nid: tolog\nkind: log\noptions:\n  path: /tmp/cli-alerts.log\n")
    r = kap("define-topic-handler", str(spec))
    assert (r.code, r.err) == (0, "")
    r = kap("list", "topic-handlers")
    assert ["hsys", "tolog", "log"] in [line.split() for line in r.out.splitlines()]
    # TOPIC is the topic (Kapacitor's `%-11v%-11v%-11v` layout, 10 wide at least, plus one).
    r = kap("list", "topic-handlers", "hsys")
    assert r.out == "Topic      ID         Kind       \nhsys       tolog      log        \n"

    r = kap("show-topic-handler", "hsys", "tolog")
    assert r.out.splitlines() == [
        "ID: tolog",
        "Topic: hsys",
        "Kind: log",
        "Match: ",
        'Options: {"path":"/tmp/cli-alerts.log"}',
    ]

    # Defining it again replaces it (JSON this time).
    again = tmp_path / "h.json"
    again.write_text(json.dumps({"topic": "hsys", "id": "tolog", "kind": "log",
                                 "options": {"path": "/tmp/other.log"}}))  # fmt: skip
    assert kap("define-topic-handler", str(again)).code == 0
    handler = shared_server.client.get("/kapacitor/v1/alerts/topics/hsys/handlers/tolog").json()
    assert handler["options"] == {"path": "/tmp/other.log"}

    spec.write_text("topic: hsys\nid: other\nkind: log\noptions:\n  path: /tmp/o.log\n")
    assert kap("define-topic-handler", str(spec)).code == 0
    listed = [
        line.split() for line in kap("list", "topic-handlers", "hsys", "oth*").out.splitlines()
    ]
    assert ["hsys", "other", "log"] in listed and ["hsys", "tolog", "log"] not in listed
    assert kap("list", "topic-handlers", "nosuchtopic").out.splitlines() == [
        "Topic      ID         Kind       "
    ]
    assert kap("delete", "handlers", "hsys", "other").code == 0

    assert kap("delete", "topic-handlers", "hsys", "tolog").code == 0
    r = kap("show-topic-handler", "hsys", "tolog")
    assert r.code == 3 and r.err.count("\n") == 1


def test_define_topic_handler_bad_files(kap, tmp_path):
    no_topic = tmp_path / "nt.yaml"
    no_topic.write_text("id: x\nkind: log\n")
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("topic: [unclosed\n")
    for path, message in (
        (no_topic, "must name its topic"),
        (bad_yaml, "invalid YAML in"),
        (tmp_path / "missing.yaml", "failed to read"),
    ):
        r = kap("define-topic-handler", str(path))
        assert r.code == 3 and message in r.err and r.err.count("\n") == 1


def test_watch_events_prints_current_then_live_events(kap, shared_server, tmp_path):
    alert_task(kap, shared_server, tmp_path, "al2", "cli_watch", "cpu2")
    write(shared_server, "cpu2,host=a usage=95")
    wait_for_topic(shared_server, "cli_watch")

    # The feed starts with the topic's current events.
    r = kap("watch-events", "-n", "1", "cli_watch")
    assert r.code == 0
    first = json.loads(r.out)
    assert (first["topic"], first["id"], first["state"]["level"]) == ("cli_watch", "a", "CRITICAL")

    # With no topic it follows every topic.
    r = kap("watch-events", "-n", "1")
    assert r.code == 0 and json.loads(r.out)["topic"] in ("cli_sys", "cli_watch")

    # Then it follows new ones (a separate process, fed while it runs).
    proc = spawn(
        "watch-events", "-n", "3", "cli_watch", env=cli_env(KAPACITOR_URL=shared_server.url)
    )
    try:
        deadline = time.monotonic() + 15
        n = 0
        while proc.poll() is None:
            assert time.monotonic() < deadline, "watch never saw the live events"
            n += 1
            write(shared_server, f"cpu2,host=b usage={91 + n}")
            time.sleep(0.1)
        out, err = proc.communicate()
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 0 and err == ""
    events = [json.loads(line) for line in out.splitlines()]
    assert len(events) == 3
    assert events[0]["id"] == "a" and {e["id"] for e in events[1:]} == {"b"}
