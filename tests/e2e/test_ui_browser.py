"""The web UI in real headless Chromium against the real server: editor, live DAG, alerts, kkok."""

from __future__ import annotations

import json
import re
import time

import httpx
import jwt
from playwright.sync_api import Page, expect
from uibrowser import browser

from kapacitrio.models.timefmt import format_rfc3339
from tests.e2e.secureenv import ADMIN, SECRET, SECURE_ENV

S = 1_000_000_000

BROKEN = """dbrp "db"."rp"

var data = stream
    |from(
        .measurement('cpu')
"""

SCRIPT = """dbrp "db"."rp"

var crit = 50.0

var data = stream
    |from()
        .measurement('cpu')

data
    |log()
    |httpOut('out')

data
    |alert()
        .crit(lambda: "value" > crit)
        .message('{{ .ID }} is {{ .Level }}')
        .topic('cpu')
"""


def _write(server, lines: str) -> None:
    r = httpx.post(f"{server.url}/write", params={"db": "db", "rp": "rp"}, content=lines)
    assert r.status_code == 204, r.text


def _counter(page: Page, node: str, key: str):
    return page.locator(f'svg.dag [data-node="{node}"] [data-counter="{key}"]')


def test_define_enable_watch_dag_alert_live_and_kkok(server, tmp_path):
    with browser(tmp_path / "profile") as ctx:
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{server.url}/#/tasks/new")
        expect(page.get_by_role("heading", name="New task")).to_be_visible()
        page.get_by_label("ID").fill("cpu_ui")
        page.get_by_label("DBRPs").fill("")

        # the keyboard: Tab indents in the editor; Escape, then Tab, leaves it
        editor = page.get_by_label("TICKscript")
        editor.fill("stream")
        editor.press("Home")
        editor.press("Tab")
        expect(editor).to_have_value("    stream")
        editor.press("Escape")
        editor.press("Tab")
        assert page.evaluate("document.activeElement.id") != "script"

        # a parse error, shown at its line as you type
        page.get_by_label("TICKscript").fill(BROKEN)
        error = page.locator("#editor-error")
        expect(error).to_contain_text(re.compile(r"Line [56], char \d+"))
        line = int(re.search(r"Line (\d+)", error.inner_text()).group(1))
        expect(page.locator(f'.gutter [data-line="{line}"]')).to_have_class(re.compile(r"\bbad\b"))
        expect(page.get_by_label("TICKscript")).to_have_attribute("aria-invalid", "true")

        # a method-resolution error too, then the fix
        page.get_by_label("TICKscript").fill(SCRIPT.replace(".measurement(", ".measurment(", 1))
        expect(error).to_contain_text("Line 7, char")
        page.get_by_label("TICKscript").fill(SCRIPT)
        expect(page.locator("#check-state")).to_have_text("The script is valid.")
        expect(error).to_be_hidden()
        expect(page.locator('svg.dag [data-node="alert4"]')).to_be_visible()
        page.get_by_label("TICKscript").fill(SCRIPT.replace("    |log()", "|log()"))
        page.get_by_role("button", name="Format").click()
        formatted = server.client.post(
            "/kapacitor/v1preview/tasks/format", json={"script": SCRIPT}
        ).json()["script"]
        expect(page.get_by_label("TICKscript")).to_have_value(formatted)

        page.get_by_text("Vars", exact=True).click()
        page.get_by_label("Vars as JSON").fill('{"crit": {"type": "float", "value": 90}}')
        page.get_by_role("button", name="Define task").click()
        expect(page.get_by_role("heading", name="Task cpu_ui")).to_be_visible()
        task = server.client.get("/kapacitor/v1/tasks/cpu_ui").json()
        assert task["status"] == "disabled" and task["dbrps"] == [{"db": "db", "rp": "rp"}]
        assert task["vars"]["crit"] == {"type": "float", "value": 90, "description": ""}
        expect(page.locator("details", has_text="Vars").locator("table")).to_contain_text("90")

        page.locator(".task-form").get_by_role("button", name="Enable").click()
        expect(page.locator(".task-summary")).to_contain_text("executing")
        # an update of the defined task (PATCH) keeps it running with the new script
        page.get_by_label("TICKscript").fill(formatted.replace("{{ .Level }}", "now {{ .Level }}"))
        expect(page.locator("#check-state")).to_have_text("The script is valid.")
        page.locator(".task-form").get_by_role("button", name="Save").click()
        expect(page.locator("#status")).to_contain_text("Task cpu_ui saved.")
        task = server.client.get("/kapacitor/v1/tasks/cpu_ui?script-format=raw").json()
        assert "now {{ .Level }}" in task["script"] and task["executing"] is True
        expect(_counter(page, "from1", "emitted")).to_have_text("0")

        # points in: the counters move, httpOut shows a table, the log tail shows the log node
        _write(server, "cpu,host=a value=10\ncpu,host=a value=60\n")  # 60: below crit=90
        expect(_counter(page, "from1", "emitted")).to_have_text("2")
        expect(_counter(page, "http_out3", "collected")).to_have_text("2")
        expect(
            page.locator("section", has_text="httpOut endpoints").locator("table")
        ).to_contain_text("20")
        expect(page.get_by_label("Task log")).to_contain_text("node=log2")

        # an alert arrives live on the alerts page's feed
        page.get_by_role("link", name="Alerts", exact=True).click()
        expect(page.locator("#feed-state")).to_have_text("open")
        _write(server, "cpu,host=a value=95\n")
        event = page.locator('ol.events li[data-topic="cpu"]').first
        expect(event).to_contain_text("CRITICAL")
        expect(event).to_contain_text("cpu:nil is now CRITICAL")
        expect(page.locator("table", has_text="Topic")).to_contain_text("CRITICAL")

        # the event's details on its topic page
        page.get_by_role("link", name="cpu", exact=True).first.click()
        page.get_by_role("button", name="Show event cpu:nil").click()
        details = page.locator("#event-details")
        expect(details).to_contain_text("cpu:nil is now CRITICAL")
        history = details.locator("table", has_text="Changes seen")
        expect(history.locator("tbody tr")).to_have_count(1)
        cells = history.locator("tbody td")  # the change the feed brought: OK -> CRITICAL
        expect(cells.nth(1)).to_have_text("CRITICAL")
        expect(cells.nth(2)).to_have_text("OK")

        # kkok: define a filter from the page, then disable it
        page.get_by_role("link", name="kkok", exact=True).click()
        page.get_by_label("Filter ID").fill("quiet")
        page.get_by_label("Filter (JSON)").fill('{"type": "discard", "if": "alert.Host === \'x\'"}')
        page.get_by_role("button", name="Save filter").click()
        expect(page.locator('[data-filter-state="quiet"]')).to_have_text("enabled")
        page.get_by_role("button", name="Disable quiet").click()
        expect(page.locator('[data-filter-state="quiet"]')).to_have_text("disabled")
        assert server.client.get("/filters/quiet").json()["disabled"] is True
        page.get_by_role("button", name="Enable quiet").click()
        expect(page.locator('[data-filter-state="quiet"]')).to_have_text("enabled")
        page.get_by_label("Inactivate quiet until").fill("2031-05-06T07:08")
        page.get_by_role("button", name="Inactivate quiet", exact=True).click()
        expect(page.locator('[data-filter-state="quiet"]')).to_contain_text(
            "inactive until 2031-05"
        )
        assert server.client.get("/filters/quiet").json()["inactive"].startswith("2031-05-0")
        page.get_by_label("Expire quiet at").fill("2032-01-02T03:04")
        page.get_by_role("button", name="Set expiry of quiet").click()
        expect(page.locator("tr", has_text="quiet")).to_contain_text("2032-01-0")
        assert server.client.get("/filters/quiet").json()["expire"].startswith("2032-01-0")
        page.get_by_label("Route ID").fill("ops")
        page.get_by_label("Transports (JSON array)").fill(
            '[{"type": "slack", "url": "http://127.0.0.1:1/x"}]'
        )
        page.get_by_role("button", name="Save route").click()
        expect(page.get_by_role("button", name="Edit route ops")).to_be_visible()
        assert server.client.get("/routes/ops").json()[0]["type"] == "slack"
        assert errors == []


def _define(server, task_id: str, status: str = "disabled") -> None:
    r = server.client.post(
        "/kapacitor/v1/tasks",
        json={
            "id": task_id,
            "type": "stream",
            "dbrps": [{"db": "db", "rp": "rp"}],
            "script": "stream\n    |from()\n        .measurement('cpu')\n    |alert()\n        .crit(lambda: \"value\" > 80)\n        .topic('cpu')\n",
            "status": status,
        },
    )
    assert r.status_code == 200, r.text


def _record(server) -> None:
    """A finished stream recording `rec1` of task `rec_task` (ended by a point past its stop)."""
    c = server.client
    base = time.time_ns() // S * S
    stop = base + 3600 * S
    r = c.post(
        "/kapacitor/v1/recordings/stream",
        json={"id": "rec1", "task": "rec_task", "stop": format_rfc3339(stop)},
    )
    assert r.status_code == 201, r.text
    lines = [f"cpu,host=a value={v} {base + i * S}" for i, v in enumerate([10, 90, 20])]
    lines.append(f"cpu,host=a value=1 {stop + S}")
    for line in lines:
        _write(server, line)
    deadline = time.monotonic() + 20
    while c.get("/kapacitor/v1/recordings/rec1").json()["status"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_lists_handlers_replays_and_service_tests(server, tmp_path):
    for task_id in ("cpu_a", "cpu_b", "mem_a"):
        _define(server, task_id)
    _define(server, "rec_task", status="enabled")
    with browser(tmp_path / "profile") as ctx:
        page = ctx.new_page()
        page.on("dialog", lambda d: d.accept())
        page.goto(f"{server.url}/")
        rows = page.locator("main table tbody tr")
        expect(rows).to_have_count(4)
        page.get_by_label("Filter by pattern").fill("cpu*")
        expect(rows).to_have_count(2)
        expect(page.locator("main table")).not_to_contain_text("mem_a")
        page.get_by_role("button", name="Enable cpu_a").click()
        expect(page.get_by_role("button", name="Disable cpu_a")).to_be_visible()
        assert server.client.get("/kapacitor/v1/tasks/cpu_a").json()["executing"] is True
        expect(rows.filter(has_text="cpu_a")).to_contain_text("enabled")
        page.get_by_role("button", name="Delete cpu_b").click()
        expect(rows).to_have_count(1)
        assert server.client.get("/kapacitor/v1/tasks/cpu_b").status_code == 404

        # a topic's handlers: create from YAML, edit, delete
        _write(server, "cpu,host=a value=95\n")
        page.goto(f"{server.url}/#/alerts/cpu")
        expect(page.get_by_role("heading", name=re.compile("Topic cpu"))).to_contain_text(
            "CRITICAL"
        )
        form = page.get_by_label("Handler definition (YAML or JSON)")
        form.fill("id: to-log\nkind: log\noptions:\n  path: /tmp/ui-test.log\n")
        page.get_by_role("button", name="Create handler").click()
        expect(page.locator("section", has_text="Handlers").locator("table")).to_contain_text(
            "to-log"
        )
        handlers = "/kapacitor/v1/alerts/topics/cpu/handlers"
        assert (
            server.client.get(f"{handlers}/to-log").json()["options"]["path"] == "/tmp/ui-test.log"
        )
        form.fill("id: bad\nkind: log\noptions: [")
        page.get_by_role("button", name="Create handler").click()
        expect(page.locator("#status")).to_contain_text("not valid YAML")
        page.get_by_role("button", name="Edit handler to-log").click()
        expect(form).to_have_value(re.compile("path: /tmp/ui-test.log"))
        form.fill(
            '{"id": "to-log", "kind": "log", "match": "changed()", "options": {"path": "/tmp/b.log"}}'
        )
        page.get_by_role("button", name="Save handler").click()
        expect(page.locator("section", has_text="Handlers").locator("table")).to_contain_text(
            "changed()"
        )
        assert server.client.get(f"{handlers}/to-log").json()["options"]["path"] == "/tmp/b.log"
        page.get_by_role("button", name="Delete handler to-log").click()
        expect(page.locator("section", has_text="Handlers")).to_contain_text("No handlers")

        # templates: listed with their vars, deletable
        r = server.client.post(
            "/kapacitor/v1/templates",
            json={
                "id": "tpl",
                "type": "stream",
                "script": "var m string\nstream|from().measurement(m)",
            },
        )
        assert r.status_code == 200, r.text
        page.goto(f"{server.url}/#/templates")
        expect(page.locator("main tbody tr", has_text="tpl")).to_contain_text("m")
        page.get_by_role("button", name="Delete template tpl").click()
        expect(page.locator("main")).to_contain_text("No templates.")
        assert server.client.get("/kapacitor/v1/templates/tpl").status_code == 404

        # a replay's progress and result
        _record(server)
        page.goto(f"{server.url}/#/replays")
        expect(page.locator("section", has_text="Recordings").locator("table")).to_contain_text(
            "rec1"
        )
        page.get_by_label("Task", exact=True).select_option("rec_task")
        page.get_by_label("Recording", exact=True).select_option("rec1")
        page.get_by_role("button", name="Start replay").click()
        replay = page.locator("section", has_text="Replays").locator("tbody tr").first
        expect(replay).to_contain_text("finished")
        expect(replay).to_contain_text("ok")
        assert replay.locator("progress").get_attribute("value") == "1"

        # a service test: run one and see its result
        page.goto(f"{server.url}/#/services")
        page.get_by_label("Service").select_option("smtp")
        options = page.get_by_label("Options (JSON)")
        expect(options).to_have_value(re.compile('"subject": "test subject"'))
        opts = {"to": ["a@example.com"], "subject": "s", "body": "b"}
        options.fill(json.dumps(opts))
        page.get_by_role("button", name="Run test").click()
        expected = server.client.post("/kapacitor/v1/service-tests/smtp", json=opts).json()
        text = "smtp: success." if expected["success"] else f"smtp failed: {expected['message']}"
        expect(page.locator("#service-result")).to_have_text(text)
        expect(page.get_by_role("region", name="Results").locator("tbody tr")).to_have_count(1)


def test_sign_in_with_password_and_with_token(server_factory, tmp_path):
    srv = server_factory(env=SECURE_ENV)
    with browser(tmp_path / "profile") as ctx:
        page = ctx.new_page()
        page.goto(f"{srv.url}/#/alerts")
        dialog = page.get_by_role("dialog", name="Sign in")
        expect(dialog).to_be_visible()
        expect(dialog).to_contain_text("unable to parse authentication credentials")
        page.get_by_label("Username").fill("admin")
        page.get_by_label("Password").fill("wrong")
        page.get_by_role("button", name="Sign in").click()
        expect(dialog).to_contain_text("authorization failed")
        page.get_by_label("Password").fill(ADMIN[1])
        page.get_by_role("button", name="Sign in").click()
        expect(dialog).to_be_hidden()
        expect(page.locator("#feed-state")).to_have_text("open")  # the feed took the credentials
        expect(page.get_by_role("region", name="Topics")).to_contain_text("No topics yet")

        # a second tab of a fresh session signs in with a JWT instead
        token = jwt.encode({"username": "admin", "exp": 4102444800}, SECRET, algorithm="HS256")
        other = ctx.new_page()
        other.goto(f"{srv.url}/#/alerts")
        other.get_by_label("Token").fill(token)
        other.get_by_role("button", name="Sign in").click()
        expect(other.locator("#feed-state")).to_have_text("open")
        other.goto(f"{srv.url}/#/tasks")
        expect(other.get_by_role("heading", name="Tasks")).to_be_visible()
        expect(other.locator("main")).to_contain_text("No tasks yet.")
        expect(other.get_by_role("dialog", name="Sign in")).to_be_hidden()
        other.goto(f"{srv.url}/#/kkok")  # kkok's root paths take the same credentials
        expect(other.get_by_role("region", name="Filters, in order")).to_contain_text("No filters.")
        expect(other.get_by_role("dialog", name="Sign in")).to_be_hidden()
