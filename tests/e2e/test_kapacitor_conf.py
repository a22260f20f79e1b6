"""End-to-end: a kapacitor.conf shaped like Kapacitor's sample starts, with one warning per
unsupported section; enabling an input kapacitrio lacks stops the start naming it."""

from __future__ import annotations

import pytest

from tests.configaudit.test_audit import sample_text


def test_the_sample_kapacitor_conf_starts_and_warns_once_per_section(server_factory, tmp_path):
    (tmp_path / "load").mkdir()
    server = server_factory(config=sample_text(tmp_path))
    assert server.client.get("/kapacitor/v1/ping").status_code == 204
    logs = server.run_logs()
    for name in ("reporting", "stats", "collectd", "consul", "static", "swarm"):
        assert logs.count(f"[{name}] is not supported by kapacitrio") == 1, name
    assert "lvl=warn" in logs


def test_an_enabled_collectd_input_stops_the_start(server_factory, tmp_path):
    text = sample_text(tmp_path).replace(
        "[collectd]\n  enabled = false", "[collectd]\n  enabled = true"
    )
    server = server_factory(config=text, start=False)
    with pytest.raises(RuntimeError) as info:
        server.start(timeout=15)
    assert "exited with 1" in str(info.value)
    assert "[collectd] is enabled, but kapacitrio does not support a collectd input" in str(
        info.value
    )
