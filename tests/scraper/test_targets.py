"""Target relabelling and the sample-to-point mapping of Kapacitor's scraper."""

from __future__ import annotations

import math

from kapacitrio.scraper.targets import build_target, sample_point


def test_a_target_gets_instance_job_scheme_path_and_params():
    t = build_target(
        "job1",
        {"__address__": "h:9100", "region": "eu", "__meta_filepath": "/x.json"},
        "http",
        "/metrics",
        {"module": ["http_2xx", "second"], "x": ["1"]},
    )
    assert t is not None
    assert t.url == "http://h:9100/metrics?module=http_2xx&module=second&x=1"
    assert dict(t.labels) == {"instance": "h:9100", "region": "eu"}
    assert t.instance == "h:9100"


def test_discovered_labels_override_scheme_path_param_and_instance():
    t = build_target(
        "j",
        {
            "__address__": "h:1",
            "__scheme__": "https",
            "__metrics_path__": "probe",
            "__param_module": "icmp",
            "instance": "nice-name",
        },
        "http",
        "/metrics",
        {"module": ["http_2xx", "keep"]},
    )
    assert t.url == "https://h:1/probe?module=icmp&module=keep"
    assert dict(t.labels) == {"instance": "nice-name"}


def test_a_target_without_address_is_skipped():
    assert build_target("j", {"region": "eu"}, "http", "/metrics", {}) is None


def test_a_sample_is_a_point_named_after_it_with_labels_as_tags_and_a_value_field():
    t = build_target("j", {"__address__": "h:1", "dc": "a"}, "http", "/metrics", {})
    p = sample_point(
        t, "http_requests_bucket", {"le": "0.5", "dc": "inner", "job": "x"}, 3, 7, "db", "rp"
    )
    assert p.name == "http_requests_bucket"
    assert p.fields == {"value": 3.0}
    assert isinstance(p.fields["value"], float)
    assert p.time == 7
    assert p.tags == {
        "__name__": "http_requests_bucket",
        "le": "0.5",
        "dc": "a",
        "exported_dc": "inner",
        "exported_job": "x",
        "instance": "h:1",
    }
    assert "job" not in p.tags


def test_nan_samples_are_dropped_but_infinities_kept():
    t = build_target("j", {"__address__": "h:1"}, "http", "/metrics", {})
    assert sample_point(t, "g", {}, math.nan, 1, "d", "r") is None
    assert sample_point(t, "g", {}, math.inf, 1, "d", "r").fields["value"] == math.inf


def test_scraper_config_checks_like_kapacitor():
    import pytest

    from kapacitrio.config import ConfigError, load

    def env(**kw):
        base = {"KAPACITOR_SCRAPER_0_ENABLED": "true", "KAPACITOR_SCRAPER_0_DB": "d"}
        base.update({f"KAPACITOR_SCRAPER_0_{k.upper()}": v for k, v in kw.items()})
        return base

    with pytest.raises(ConfigError, match="scraper config must be given an rp"):
        load(None, env=env())
    with pytest.raises(ConfigError, match="discoverer-service 'consul' is not supported"):
        load(None, env=env(rp="r", discoverer_service="consul"))
    with pytest.raises(ConfigError, match="unknown discoverer-service 'nope'"):
        load(None, env=env(rp="r", discoverer_service="nope"))
    with pytest.raises(ConfigError, match="unknown scraper type 'graphite'"):
        load(None, env=env(rp="r", type="graphite"))
    cfg = load(None, env=env(rp="r", discoverer_service="file-discovery", blacklist="a:1,b:2"))
    assert cfg.get("scraper")[0].blacklist == ["a:1", "b:2"]
