"""Every section of Kapacitor's sample configuration is read, ignored with a warning, or refused."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from kapacitrio.config import ConfigError, load, sections
from kapacitrio.configaudit import IGNORED, REFUSED_WHEN_ENABLED
from kapacitrio.services import plugin_modules

SAMPLE = Path(__file__).with_name("kapacitor_sample.conf")
plugin_modules()  # every section a plugin registers


def sample_text(tmp_path: Path) -> str:
    return (
        SAMPLE.read_text()
        .replace("@DATA@", str(tmp_path / "data"))
        .replace("@LOAD@", str(tmp_path / "load"))
    )


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kapacitor.conf"
    path.write_text(text)
    return path


def test_every_sample_section_is_supported_or_audited():
    doc = tomllib.loads(SAMPLE.read_text())
    known = set(sections()) | set(REFUSED_WHEN_ENABLED) | set(IGNORED)
    tables = [k for k, v in doc.items() if isinstance(v, dict | list)]
    assert [t for t in tables if t not in known] == []
    assert {"udp", "scraper", "static-discovery", "file-discovery", "load", "udf"} <= set(
        sections()
    )


def test_the_sample_config_loads_with_one_warning_per_unsupported_section(tmp_path):
    cfg = load(write(tmp_path, sample_text(tmp_path)), env={})
    warned = [w.split("]")[0].lstrip("[") for w in cfg.warnings]
    assert sorted(warned) == sorted(
        [
            "kubernetes", "reporting", "stats", "swarm", "collectd", "opentsdb", "azure",
            "consul", "dns", "ec2", "gce", "marathon", "nerve", "serverset", "static", "triton",
        ]
    )  # fmt: skip
    assert all("not supported by kapacitrio" in w for w in cfg.warnings)
    # and the supported ones are read, not warned about
    assert cfg.get("scraper")[0].name == "myscraper"
    assert cfg.get("static-discovery")[0].targets == ["localhost:9100"]
    assert cfg.get("load").enabled is True


@pytest.mark.parametrize(
    ("old", "new", "name"),
    [
        ("[collectd]\n  enabled = false", "[collectd]\n  enabled = true", "collectd"),
        ("[opentsdb]\n  enabled = false", "[opentsdb]\n  enabled = true", "opentsdb"),
        ("[[consul]]\n  enabled = false", "[[consul]]\n  enabled = true", "consul"),
        ("[kubernetes]\n  enabled = false", "[kubernetes]\n  enabled = true", "kubernetes"),
    ],
)
def test_an_enabled_input_kapacitrio_lacks_stops_the_load(tmp_path, old, new, name):
    text = sample_text(tmp_path)
    assert old in text
    with pytest.raises(
        ConfigError, match=rf"^\[{name}\] is enabled, but kapacitrio does not support"
    ):
        load(write(tmp_path, text.replace(old, new)), env={})


@pytest.mark.parametrize(
    "var", ["KAPACITOR_COLLECTD_ENABLED", "KAPACITOR_DNS_0_ENABLED", "KAPACITRIO_FLUXTASK_ENABLED"]
)
def test_enabling_one_from_the_environment_stops_the_load_too(tmp_path, var):
    with pytest.raises(ConfigError, match="is enabled, but kapacitrio does not support"):
        load(write(tmp_path, sample_text(tmp_path)), env={var: "true"})


def test_harmless_sections_stay_warnings_even_when_enabled(tmp_path):
    text = "[reporting]\nenabled = true\n[[swarm]]\nenabled = true\n"
    cfg = load(write(tmp_path, text), env={"KAPACITOR_STATS_ENABLED": "true"})
    assert len(cfg.warnings) == 2


def test_an_unknown_section_is_still_a_plain_warning(tmp_path):
    cfg = load(write(tmp_path, "[frobnicator]\nx = 1\n"), env={})
    assert cfg.warnings == ["unknown config key or section 'frobnicator' ignored"]
