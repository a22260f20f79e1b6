"""The `/config` API in process: response shapes, redaction, paths and status codes."""

from __future__ import annotations

import json

import pytest

API = "/kapacitor/v1/config"


async def get(harness, path: str):
    r = await harness.client.get(API + path)
    return r.status_code, await r.get_json()


async def post(harness, path: str, body=None, data: bytes | None = None):
    if data is not None:
        r = await harness.client.post(API + path, data=data)
    else:
        r = await harness.client.post(API + path, json=body)
    return r.status_code, await r.get_data(as_text=True)


async def test_get_all_sections(harness) -> None:
    status, body = await get(harness, "")
    assert status == 200
    assert body["link"] == {"rel": "self", "href": API}
    assert {"smtp", "influxdb", "slack", "httppost", "pagerduty2"} <= set(body["sections"])
    assert not {"http", "storage", "logging", "config-override"} & set(body["sections"])
    assert body["sections"]["smtp"]["link"] == {"rel": "self", "href": f"{API}/smtp"}


async def test_get_single_section_and_element(harness) -> None:
    status, body = await get(harness, "/smtp")
    assert status == 200
    assert body["link"] == {"rel": "self", "href": f"{API}/smtp"}
    [element] = body["elements"]
    status, single = await get(harness, "/smtp/")
    assert status == 200 and single == element
    assert single["link"] == {"rel": "self", "href": f"{API}/smtp/"}
    options = single["options"]
    assert options["password"] is True  # set in the file, never shown
    assert options["host"] == "smtp.example.com" and options["port"] == 587
    assert options["from"] == "kapacitor@example.com" and options["global"] is False
    assert "idle-timeout" in options and "hunter2" not in str(single)
    assert single["redacted"] == ["password"]
    assert list(options) == sorted(options)


async def test_list_section_elements_keyed_by_name(harness) -> None:
    status, body = await get(harness, "/influxdb")
    assert status == 200
    hrefs = [e["link"]["href"] for e in body["elements"]]
    assert hrefs == [f"{API}/influxdb/localhost", f"{API}/influxdb/remote"]
    status, remote = await get(harness, "/influxdb/remote")
    assert status == 200
    assert remote["options"]["username"] == "jim" and remote["options"]["password"] is True
    status, local = await get(harness, "/influxdb/localhost")
    assert local["options"]["password"] is False


async def test_sections_without_secrets_have_no_redacted_list(harness) -> None:
    status, body = await get(harness, "/httppost/")
    assert status == 200  # basic-auth is secret
    assert body["redacted"] == ["basic-auth"] and body["options"]["basic-auth"] is False
    status, body = await get(harness, "/sensu/")
    assert status == 200 and "redacted" not in body


@pytest.mark.parametrize(
    ("path", "status", "error"),
    [
        ("/", 400, "section not specified, do you have an extra trailing '/'?"),
        ("/nope", 404, "unknown section: nope"),
        ("/http/", 404, "unknown section: http"),
        ("/influxdb/ghost", 404, "unknown section/element: influxdb/ghost"),
        ("/smtp/x", 404, "unknown section/element: smtp/x"),
        ("/smtp/x/y", 400, "section not specified, do you have an extra trailing '/'?"),
    ],
)
async def test_get_errors(harness, path: str, status: int, error: str) -> None:
    assert await get(harness, path) == (status, {"error": error})


async def test_post_sets_redacted_secret_and_answers_204(harness) -> None:
    status, text = await post(harness, "/slack/", {"set": {"url": "https://hooks/secret"}})
    assert (status, text) == (204, "")
    status, body = await get(harness, "/slack/")
    assert body["options"]["url"] is True and "hooks/secret" not in str(body)
    assert harness.config.get("slack")[0].url == "https://hooks/secret"


async def test_durations_read_back_in_go_form(harness) -> None:
    status, _ = await post(harness, "/influxdb/remote", {"set": {"timeout": "90s"}})
    assert status == 204
    status, body = await get(harness, "/influxdb/remote")
    assert body["options"]["timeout"] == "1m30s"
    assert body["options"]["startup-timeout"] == "5m0s"
    assert isinstance(body["options"]["urls"], list)  # not a duration: as it is


async def test_preview_base_path_works_too(harness) -> None:
    r = await harness.client.post("/kapacitor/v1preview/config/smtp/", json={"set": {"port": 2525}})
    assert r.status_code == 204
    r = await harness.client.get("/kapacitor/v1preview/config/smtp/")
    assert (await r.get_json())["options"]["port"] == 2525


@pytest.mark.parametrize(
    ("path", "kwargs", "status", "error"),
    [
        ("/smtp/", {"data": b"{not json"}, 400, "failed to decode JSON: invalid JSON"),
        ("/smtp/", {"data": b""}, 400, "failed to decode JSON: invalid JSON"),
        ("/smtp/", {"body": [1]}, 400, "failed to decode JSON: expected an object, got array"),
        ("", {"body": {"set": {"a": 1}}}, 400, "no section specified"),
        ("/nope/", {"body": {"set": {"a": 1}}}, 404, "unknown section: nope"),
        (
            "/smtp/",
            {"body": {"set": {"port": True}}},
            400,
            "failed to override configuration smtp/: cannot set option port: "
            "cannot convert bool into int",
        ),
        (
            "/smtp/",
            {"body": {"set": {"enabled": "yes"}}},
            400,
            "failed to override configuration smtp/: cannot set option enabled: "
            "wrong kind string, expected value of kind bool: false",
        ),
    ],
)
async def test_post_errors(harness, path, kwargs, status, error) -> None:
    got_status, text = await post(harness, path, **kwargs)
    assert (got_status, json.loads(text)) == (status, {"error": error})
    assert harness.config.get("smtp").port == 587 and harness.config.get("smtp").enabled


async def test_disabled_service_answers_403(harness) -> None:
    h = await harness.restart(env={"KAPACITOR_CONFIG_OVERRIDE_ENABLED": "false"})
    forbidden = {"error": "config override service is not enabled"}
    assert await get(h, "") == (403, forbidden)
    assert await get(h, "/smtp/") == (403, forbidden)
    status, _ = await post(h, "/smtp/", {"set": {"port": 1}})
    assert status == 403
