"""The override service: merging, persistence, startup, skipping, atomic updates, change hooks."""

from __future__ import annotations

import pytest

from kapacitrio.configoverride.action import UpdateAction, decode
from kapacitrio.configoverride.merge import OverrideError
from kapacitrio.configoverride.service import KIND
from kapacitrio.storage.db import Transaction


def act(section: str, element: str = "", has_element: bool = True, **body) -> UpdateAction:
    return decode(section, element, has_element, body)


async def test_set_changes_the_live_section_and_is_stored(harness) -> None:
    await harness.service.update(act("smtp", set={"host": "h2", "port": "2525"}))
    smtp = harness.config.get("smtp")
    assert (smtp.host, smtp.port, smtp.username) == ("h2", 2525, "bob")
    docs = await harness.service.store.list(KIND)
    assert docs == [
        {
            "section": "smtp",
            "element": "",
            "options": {"host": "h2", "port": "2525"},
            "create": False,
        }
    ]


async def test_overrides_apply_on_startup_after_file_and_environment(harness) -> None:
    await harness.service.update(act("smtp", set={"port": 2525}))
    h = await harness.restart(env={"KAPACITOR_SMTP_PORT": "26", "KAPACITOR_SMTP_HOST": "envhost"})
    smtp = h.config.get("smtp")
    assert (smtp.host, smtp.port) == ("envhost", 2525)  # env beats file, override beats env


async def test_skip_config_overrides_keeps_file_values_but_shows_overrides(harness) -> None:
    await harness.service.update(act("smtp", set={"port": 2525}))
    h = await harness.restart(env={"KAPACITOR_SKIP_CONFIG_OVERRIDES": "true"})
    assert h.config.get("smtp").port == 587
    [(name, merged)] = await h.service.elements("smtp")
    assert (name, merged.port) == ("", 2525)
    # Fixing through the API puts the section in force again.
    await h.service.update(act("smtp", delete=["port"], set={"host": "fixed"}))
    assert (h.config.get("smtp").host, h.config.get("smtp").port) == ("fixed", 587)


async def test_disabled_service_applies_nothing(harness) -> None:
    await harness.service.update(act("smtp", set={"port": 2525}))
    h = await harness.restart(env={"KAPACITOR_CONFIG_OVERRIDE_ENABLED": "false"})
    assert h.config.get("smtp").port == 587 and h.service.enabled is False


async def test_set_then_delete_restores_the_file_value_and_drops_the_document(harness) -> None:
    await harness.service.update(act("smtp", set={"port": 2525}))
    await harness.service.update(act("smtp", delete=["port", "not-set-anyway"]))
    assert harness.config.get("smtp").port == 587
    assert await harness.service.store.list(KIND) == []


async def test_set_and_delete_of_one_option_in_one_request_deletes(harness) -> None:
    await harness.service.update(act("smtp", set={"port": 2525}))
    await harness.service.update(act("smtp", set={"port": 1}, delete=["port"]))
    assert harness.config.get("smtp").port == 587


async def test_underscore_spelling_is_the_same_option(harness) -> None:
    await harness.service.update(act("smtp", set={"idle_timeout": "1m"}))
    await harness.service.update(act("smtp", delete=["idle-timeout"]))
    assert harness.config.get("smtp").idle_timeout == "30s"


async def test_add_set_and_remove_list_elements(harness) -> None:
    svc = harness.service
    await svc.update(act("influxdb", has_element=False, add={"name": "ex", "urls": ["http://e:1"]}))
    await svc.update(act("influxdb", "ex", set={"username": "u"}))
    clusters = {c.name: c for c in harness.config.get("influxdb")}
    assert list(clusters) == ["localhost", "remote", "ex"]
    assert (clusters["ex"].urls, clusters["ex"].username) == (["http://e:1"], "u")
    h = await harness.restart()
    assert [c.name for c in h.config.get("influxdb")] == ["localhost", "remote", "ex"]
    await h.service.update(act("influxdb", has_element=False, remove=["ex"]))
    assert [c.name for c in h.config.get("influxdb")] == ["localhost", "remote"]


async def test_removing_an_override_of_a_file_element_reverts_it(harness) -> None:
    svc = harness.service
    await svc.update(act("influxdb", "remote", set={"username": "ann"}))
    assert harness.config.get("influxdb")[1].username == "ann"
    await svc.update(act("influxdb", has_element=False, remove=["remote"]))
    assert [(c.name, c.username) for c in harness.config.get("influxdb")] == [
        ("localhost", ""),
        ("remote", "jim"),
    ]


async def test_empty_list_section_has_an_unnamed_default_element(harness) -> None:
    assert harness.config.get("slack") == []
    await harness.service.update(act("slack", set={"enabled": True, "url": "http://x/hook"}))
    [slack] = harness.config.get("slack")
    assert (slack.workspace, slack.enabled, slack.url) == ("", True, "http://x/hook")


@pytest.mark.parametrize(
    ("action", "status", "message"),
    [
        (act("nope", set={"a": 1}), 404, "unknown section: nope"),
        (act("http", set={"bind-address": ":1"}), 404, "unknown section: http"),
        (
            act("influxdb", "ghost", set={"username": "x"}),
            404,
            "unknown section/element: influxdb/ghost",
        ),
        (act("smtp", "x", set={"host": "x"}), 404, "unknown section/element: smtp/x"),
        (
            act("influxdb", "remote", set={"name": "other"}),
            400,
            "failed to override configuration influxdb/remote: cannot override element key name",
        ),
        (
            act("smtp", set={"from": ""}),
            400,
            "failed to override configuration smtp/: failed validation: must provide a 'from' address",
        ),
        (
            act("influxdb", has_element=False, add={"urls": []}),
            400,
            'failed to apply update: missing key "name" in "add" map',
        ),
        (
            act("influxdb", has_element=False, add={"name": 5}),
            400,
            'failed to apply update: expected "name" key to be a string, got float64',
        ),
        (
            act("influxdb", has_element=False, add={"name": "remote"}),
            400,
            "failed to override configuration influxdb/: element 'remote' already exists",
        ),
        (
            act("influxdb", "remote", add={"name": "x"}),
            400,
            "failed to apply update: invalid update action: "
            "must not provide an element name when adding an a new override",
        ),
        (
            act("influxdb", "remote", remove=["x"]),
            400,
            "failed to apply update: invalid update action: "
            "must not provide element when removing an override",
        ),
        (
            act("influxdb", has_element=False, add={"name": "x"}, set={"a": 1}),
            400,
            "failed to apply update: invalid update action: "
            "cannot provide both set/delete and add/remove actions in the same update",
        ),
        (act("smtp"), 400, "failed to apply update: invalid update action: no action specified"),
        (
            act("smtp!", set={"a": 1}),
            400,
            'failed to apply update: invalid update action: invalid section name "smtp!"',
        ),
    ],
)
async def test_rejected_updates_change_nothing(harness, action, status, message) -> None:
    before = repr(harness.config.values)
    with pytest.raises(OverrideError) as info:
        await harness.service.update(action)
    assert (info.value.http_status, info.value.message) == (status, message)
    assert repr(harness.config.values) == before
    assert await harness.service.store.list(KIND) == []


def test_decode_rejects_bad_shapes() -> None:
    for body, message in [
        ([], "failed to decode JSON: expected an object, got array"),
        ({"sett": {}}, "failed to decode JSON: unknown key(s) sett"),
        ({"set": []}, 'failed to decode JSON: "set" must be an object'),
        ({"delete": "port"}, 'failed to decode JSON: "delete" must be a list of strings'),
        ({"remove": [1]}, 'failed to decode JSON: "remove" must be a list of strings'),
    ]:
        with pytest.raises(OverrideError) as info:
            decode("smtp", "", True, body)
        assert info.value.message == message


async def test_a_failed_store_write_leaves_store_and_config_unchanged(harness, monkeypatch) -> None:
    svc = harness.service
    await svc.update(act("influxdb", has_element=False, add={"name": "a"}))
    await svc.update(act("influxdb", has_element=False, add={"name": "b"}))
    calls = []
    real_delete = Transaction.delete

    async def flaky_delete(self, kind, id):
        calls.append(id)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return await real_delete(self, kind, id)

    monkeypatch.setattr(Transaction, "delete", flaky_delete)
    with pytest.raises(RuntimeError):
        await svc.update(act("influxdb", has_element=False, remove=["a", "b"]))
    assert calls == ["influxdb/a", "influxdb/b"]
    assert sorted(d["element"] for d in await svc.store.list(KIND)) == ["a", "b"]
    assert [c.name for c in harness.config.get("influxdb")] == ["localhost", "remote", "a", "b"]


async def test_listeners_hear_of_changed_sections(harness) -> None:
    heard = []
    unsubscribe = harness.config.subscribe(lambda name, value: heard.append((name, value.host)))
    await harness.service.update(act("smtp", set={"host": "h3"}))
    unsubscribe()
    await harness.service.update(act("smtp", set={"host": "h4"}))
    assert heard == [("smtp", "h3")]


async def test_a_stored_override_that_no_longer_applies_is_skipped_at_startup(harness) -> None:
    await harness.service.update(act("influxdb", "remote", set={"username": "ann"}))
    await harness.service.update(act("smtp", set={"port": 2525}))
    text = harness.config_text.replace('name = "remote"', 'name = "renamed"')
    h = await harness.restart(text=text)
    assert [(c.name, c.username) for c in h.config.get("influxdb")] == [
        ("localhost", ""),
        ("renamed", "jim"),
    ]
    assert h.config.get("smtp").port == 2525


async def test_a_failing_listener_does_not_undo_an_update(harness) -> None:
    def broken(name, value):
        raise RuntimeError("listener bug")

    harness.config.subscribe(broken)
    await harness.service.update(act("smtp", set={"host": "h5"}))
    assert harness.config.get("smtp").host == "h5"
    assert [d["options"] for d in await harness.service.store.list(KIND)] == [{"host": "h5"}]


async def test_duration_options_must_be_durations(harness) -> None:
    with pytest.raises(OverrideError) as info:
        await harness.service.update(act("influxdb", "remote", set={"timeout": "soon"}))
    assert info.value.message == (
        "failed to override configuration influxdb/remote: "
        'cannot set option timeout: time: invalid duration "soon"'
    )
    await harness.service.update(act("influxdb", "remote", set={"timeout": "1m30s"}))
    assert harness.config.get("influxdb")[1].timeout == "1m30s"
    # A text option whose default is not a duration takes any text.
    await harness.service.update(act("influxdb", "remote", set={"username": "10s"}))
