"""End-to-end: the config override API changes a running server's handlers and survives restarts."""

from __future__ import annotations

from tests.e2e.test_alerts_api import Receiver, define, wait_for, write

SLACK_TASK = """
stream
    |from().measurement('cpu')
    |alert()
        .crit(lambda: "value" > 90)
        .message('{{ .ID }} value={{ index .Fields "value" }}')
        .slack()
        .channel('#ops')
"""

API = "/kapacitor/v1/config"


def _slack(c) -> dict:
    r = c.get(f"{API}/slack/")
    assert r.status_code == 200, r.text
    return r.json()


def test_slack_url_set_through_the_api_takes_effect_live_and_persists(server_factory):
    slack = Receiver()
    try:
        server = server_factory()
        c = server.client
        define(c, "cpu_alert", SLACK_TASK)
        before = _slack(c)
        assert before["options"]["url"] is False and before["options"]["enabled"] is False
        assert before["redacted"] == ["url", "token"]

        # Not configured yet: the handler fails (logged), nothing arrives.
        write(c, "cpu value=95 1\n")
        assert wait_for(lambda: "service is not enabled" in server.run_logs())
        assert slack.bodies == []

        r = c.post(f"{API}/slack/", json={"set": {"enabled": True, "url": f"{slack.url}/hook"}})
        assert r.status_code == 204, r.text
        after = _slack(c)
        assert after["options"]["url"] is True  # redacted: only whether it is set
        assert after["options"]["enabled"] is True
        assert slack.url not in r.text + str(after)

        write(c, "cpu value=96 2\n")
        bodies = slack.wait(1)
        assert len(bodies) == 1, server.run_logs()
        assert slack.paths == ["/hook"]
        assert bodies[0]["channel"] == "#ops"
        assert bodies[0]["attachments"][0]["text"] == "cpu:nil value=96"

        server.restart()
        c = server.client
        assert _slack(c)["options"]["url"] is True
        write(c, "cpu value=97 3\n")
        bodies = slack.wait(2)
        assert len(bodies) == 2, server.run_logs()
        assert bodies[1]["attachments"][0]["text"] == "cpu:nil value=97"

        # skip-config-overrides: stored overrides are kept (and shown) but not put in force.
        server.extra_env["KAPACITOR_SKIP_CONFIG_OVERRIDES"] = "true"
        server.restart()
        c = server.client
        write(c, "cpu value=98 4\n")
        assert wait_for(lambda: "service is not enabled" in server.run_logs())
        assert len(slack.bodies) == 2

        # Deleting the override brings back the file's (empty) value, live.
        del server.extra_env["KAPACITOR_SKIP_CONFIG_OVERRIDES"]
        server.restart()
        c = server.client
        r = c.post(f"{API}/slack/", json={"delete": ["url", "enabled"]})
        assert r.status_code == 204, r.text
        assert _slack(c)["options"]["url"] is False
    finally:
        slack.httpd.shutdown()


POST_TASK = """
stream
    |from().measurement('cpu')
    |alert()
        .crit(lambda: "value" > 90)
        .post()
        .endpoint('ops')
"""


def test_httppost_endpoint_changed_through_the_api_is_used_by_a_running_task(server_factory):
    receiver = Receiver()
    try:
        config = f'[[httppost]]\nendpoint = "ops"\nurl = "{receiver.url}/old"\n'
        server = server_factory(config=config)
        c = server.client
        define(c, "cpu_post", POST_TASK)
        write(c, "cpu value=95 1\n")
        assert len(receiver.wait(1)) == 1
        r = c.post(f"{API}/httppost/ops", json={"set": {"url": f"{receiver.url}/new"}})
        assert r.status_code == 204, r.text
        write(c, "cpu value=96 2\n")
        assert len(receiver.wait(2)) == 2, server.run_logs()
        assert receiver.paths == ["/old", "/new"]
        server.restart()
        write(server.client, "cpu value=97 3\n")
        assert len(receiver.wait(3)) == 3, server.run_logs()
        assert receiver.paths[-1] == "/new"
    finally:
        receiver.httpd.shutdown()


def test_httppost_node_follows_its_endpoint_when_overridden(server_factory):
    receiver = Receiver()
    try:
        config = (
            f'[[httppost]]\nendpoint = "rows"\nurl = "{receiver.url}/old"\n'
            'headers = { X-Team = "a" }\n'
        )
        server = server_factory(config=config)
        c = server.client
        define(
            c, "rows", "stream\n    |from().measurement('cpu')\n    |httpPost().endpoint('rows')\n"
        )
        write(c, "cpu value=1 1\n")
        assert len(receiver.wait(1)) == 1
        r = c.post(f"{API}/httppost/rows", json={"set": {"url": f"{receiver.url}/new"}})
        assert r.status_code == 204, r.text
        write(c, "cpu value=2 2\n")
        assert len(receiver.wait(2)) == 2, server.run_logs()
        assert receiver.paths == ["/old", "/new"]
        assert receiver.bodies[1]["series"][0]["values"][0][1] == 2
    finally:
        receiver.httpd.shutdown()


def test_influxdb_clusters_added_and_removed(server_factory):
    config = '[[influxdb]]\nname = "localhost"\nurls = ["http://127.0.0.1:1"]\n'
    server = server_factory(config=config)
    c = server.client
    add = {"add": {"name": "example", "urls": ["http://10.0.0.1:8086"], "password": "pw"}}
    r = c.post(f"{API}/influxdb", json=add)
    assert r.status_code == 204, r.text
    r = c.get(f"{API}/influxdb")
    names = [e["options"]["name"] for e in r.json()["elements"]]
    assert names == ["localhost", "example"]
    ex = c.get(f"{API}/influxdb/example").json()
    assert ex["link"]["href"] == f"{API}/influxdb/example"
    assert (
        ex["options"]["password"] is True
        and ex["options"]["token"] is False
        and ex["redacted"] == ["password", "token"]
    )

    server.restart()
    c = server.client
    assert c.get(f"{API}/influxdb/example").status_code == 200
    r = c.post(f"{API}/influxdb", json={"remove": ["example"]})
    assert r.status_code == 204, r.text
    r = c.get(f"{API}/influxdb/example")
    assert r.status_code == 404
    assert r.json() == {"error": "unknown section/element: influxdb/example"}


def test_bad_input_is_a_clear_error_and_changes_nothing(server_factory):
    server = server_factory(config='[smtp]\nhost = "mail.example.com"\nport = 25\n')
    c = server.client
    cases = [
        ("/nope/", {"set": {"a": 1}}, 404, "unknown section: nope"),
        (
            "/smtp/",
            {"set": {"host": "other", "bogus": 1}},
            400,
            "failed to override configuration smtp/: unknown options [bogus] in section smtp",
        ),
        (
            "/smtp/",
            {"set": {"host": "other", "port": "many"}},
            400,
            "failed to override configuration smtp/: cannot set option port: "
            'cannot convert string "many" into int',
        ),
        (
            "/smtp",
            {"add": {"name": "x"}},
            400,
            'failed to apply update: section "smtp" is not a list, cannot add new element',
        ),
        (
            "/smtp",
            {"set": {"host": "other"}},
            400,
            "failed to apply update: invalid update action: "
            "element not specified, are you missing a trailing '/'?",
        ),
    ]
    for path, body, status, error in cases:
        r = c.post(API + path, json=body)
        assert (r.status_code, r.json()) == (status, {"error": error}), path
    r = c.post(
        f"{API}/smtp/", content=b'{"set": {"host": ', headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400
    assert r.json()["error"].startswith("failed to decode JSON")
    r = c.get(f"{API}/nope")
    assert (r.status_code, r.json()) == (404, {"error": "unknown section: nope"})
    options = c.get(f"{API}/smtp/").json()["options"]
    assert (options["host"], options["port"]) == ("mail.example.com", 25)


def test_disabled_override_service_is_forbidden(server_factory):
    server = server_factory(config="[config-override]\nenabled = false\n")
    for r in (
        server.client.get(API),
        server.client.post(f"{API}/smtp/", json={"set": {"enabled": True}}),
    ):
        assert r.status_code == 403
        assert r.json() == {"error": "config override service is not enabled"}


def test_get_all_sections_of_a_running_server(server_factory):
    server = server_factory(config='[kkok]\napi-token = "s3cr3t-kkok-token"\n')
    r = server.client.get(API)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["link"] == {"rel": "self", "href": API}
    sections = body["sections"]
    assert {"influxdb", "kkok", "slack", "smtp", "httppost", "pagerduty2"} <= set(sections)
    assert "http" not in sections and "s3cr3t-kkok-token" not in r.text
    [kkok] = sections["kkok"]["elements"]
    assert kkok["options"]["api-token"] is True and kkok["redacted"] == ["api-token"]
    [pd] = sections["pagerduty2"]["elements"]
    assert pd["redacted"] == ["routing-key"]
