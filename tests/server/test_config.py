"""Unit tests of the configuration: TOML, sections, environment overrides, errors."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from kapacitrio import config
from kapacitrio.config import ConfigError, as_dict, duration_ns, host_port, load


@dataclass
class _TestSection:
    SECRETS = ("password",)
    enabled: bool = False
    port: int = 25
    ratio: float = 0.5
    password: str = ""
    addrs: list[str] = field(default_factory=list)

    def validate(self) -> None:
        if not 0 < self.port < 65536:
            raise ValueError(f"invalid port {self.port}")


@dataclass
class _TestMulti:
    name: str = ""
    url: str = ""


@pytest.fixture(autouse=True)
def _registered():
    """Register the throwaway sections for each test only, so other tests never see them."""
    config.section("testsvc")(_TestSection)
    config.section("test-multi", many=True)(_TestMulti)
    yield
    config.unregister("testsvc")
    config.unregister("test-multi")


def write(tmp_path, text: str):
    p = tmp_path / "k.toml"
    p.write_text(text)
    return p


def test_defaults_without_file():
    cfg = load(None, env={})
    assert cfg.http.bind_address == ":9092"
    assert cfg.data_dir == "./data"
    assert str(cfg.db_path) == "data/kapacitrio.db"
    assert cfg.get("testsvc").port == 25
    assert cfg.get("influxdb") == []
    assert cfg.get("config-override").enabled is True


def test_file_uses_kapacitor_names(tmp_path):
    p = write(
        tmp_path,
        'data_dir = "/var/lib/k"\nskip-config-overrides = true\n'
        '[http]\nbind-address = "127.0.0.1:1234"\n'
        '[testsvc]\nenabled = true\nport = 2525\nratio = 1\naddrs = ["a", "b"]\n'
        '[[test-multi]]\nname = "one"\n[[test-multi]]\nname = "two"\nurl = "http://x"\n'
        '[[influxdb]]\nname = "local"\nurls = ["http://127.0.0.1:8086"]\nenabled = true\n',
    )
    cfg = load(p, env={})
    assert cfg.data_dir == "/var/lib/k" and cfg.skip_config_overrides is True
    assert host_port(cfg.http.bind_address) == ("127.0.0.1", 1234)
    s = cfg.get("testsvc")
    assert (s.enabled, s.port, s.ratio, s.addrs) == (True, 2525, 1.0, ["a", "b"])
    assert [m.name for m in cfg.get("test-multi")] == ["one", "two"]
    assert cfg.get("influxdb")[0].urls == ["http://127.0.0.1:8086"]
    assert cfg.warnings == []


def test_unknown_keys_are_warnings_not_errors(tmp_path):
    cfg = load(write(tmp_path, "[testsvc]\nnosuchkey = true\n[nosuch]\nx = 1\n"), env={})
    assert len(cfg.warnings) == 2
    assert any("nosuchkey" in w for w in cfg.warnings)


@pytest.mark.parametrize(
    "text, named",
    [
        ("[http]\nauth-enabeld = true\n", "auth-enabeld"),
        ("[htpp]\nauth-enabled = true\n", "htpp"),
    ],
)
def test_unknown_security_keys_stop_the_load(tmp_path, text, named):
    with pytest.raises(ConfigError, match=named):
        load(write(tmp_path, text), env={})


def test_unknown_security_environment_variable_stops_the_load():
    with pytest.raises(ConfigError, match="KAPACITOR_HTTP_AUTH_ENABLE"):
        load(None, env={"KAPACITOR_HTTP_AUTH_ENABLE": "true"})
    assert load(None, env={"KAPACITOR_HTTP_AUTH_ENABLED": "true"}).http.auth_enabled is True


def test_environment_overrides(tmp_path):
    p = write(tmp_path, '[testsvc]\nport = 2525\n[[test-multi]]\nname = "one"\n')
    env = {
        "KAPACITOR_HTTP_BIND_ADDRESS": ":9999",
        "KAPACITOR_DATA_DIR": "/tmp/d",
        "KAPACITOR_SKIP_CONFIG_OVERRIDES": "true",
        "KAPACITOR_TESTSVC_PORT": "587",
        "KAPACITOR_TESTSVC_ENABLED": "true",
        "KAPACITOR_TESTSVC_ADDRS": "x, y",
        "KAPACITOR_TEST_MULTI_0_URL": "http://a",
        "KAPACITOR_TEST_MULTI_1_NAME": "two",
        "KAPACITOR_CONFIG_OVERRIDE_ENABLED": "false",
        "KAPACITOR_UNRELATED_THING": "ignored",
        "KAPACITRIO_TESTSVC_PORT": "465",
    }
    cfg = load(p, env=env)
    assert cfg.http.bind_address == ":9999"
    assert cfg.data_dir == "/tmp/d" and cfg.skip_config_overrides is True
    s = cfg.get("testsvc")
    assert (s.port, s.enabled, s.addrs) == (465, True, ["x", "y"])
    multi = cfg.get("test-multi")
    assert [(m.name, m.url) for m in multi] == [("one", "http://a"), ("two", "")]
    assert cfg.get("config-override").enabled is False


@pytest.mark.parametrize(
    "text,env,needle",
    [
        ("[testsvc]\nport = 0\n", {}, "invalid port 0"),
        ('[testsvc]\nport = "many"\n', {}, "invalid value"),
        ("[testsvc]\nenabled = 3\n", {}, "invalid value"),
        ("", {"KAPACITOR_TESTSVC_PORT": "x"}, "invalid value 'x'"),
        ("", {"KAPACITOR_HTTP_BIND_ADDRESS": "nowhere"}, "invalid bind address"),
        ("[http\n", {}, "invalid config file"),
        ("[testsvc]\nport = 99999\n", {}, "[testsvc]"),
    ],
)
def test_bad_values_are_config_errors(tmp_path, text, env, needle):
    with pytest.raises(ConfigError) as err:
        load(write(tmp_path, text), env=env)
    assert needle in str(err.value)


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config file"):
        load(tmp_path / "nope.toml", env={})


def test_as_dict_redacts_secrets():
    s = _TestSection(password="hunter2")
    assert as_dict(s)["password"] == "hunter2"
    assert as_dict(s, redact=True)["password"] is True
    assert "addrs" in as_dict(s)


def test_duration_parsing():
    assert duration_ns("10s") == 10_000_000_000
    assert duration_ns("1h30m") == 5_400_000_000_000
    assert duration_ns("1.5s") == 1_500_000_000
    assert duration_ns(7) == 7
    assert duration_ns("0") == 0
    for bad in ("10", "s", "1x", "1s2"):
        with pytest.raises(ValueError):
            duration_ns(bad)


def test_sample_config_file_loads():
    from pathlib import Path

    from kapacitrio.services import plugin_modules

    plugin_modules()  # their config sections register on import
    sample = Path(__file__).resolve().parents[2] / "config" / "kapacitrio.toml"
    cfg = load(sample, env={})
    assert cfg.warnings == []
    assert cfg.http.bind_address == ":9092"
    assert cfg.get("influxdb")[0].default is True


def test_environment_list_elements_and_unknown_keys():
    env = {
        "KAPACITOR_INFLUXDB_0_URLS_0": "http://a:8086",
        "KAPACITOR_INFLUXDB_0_URLS_1": "http://b:8086",
        "KAPACITOR_INFLUXDB_1_NOSUCHKEY": "x",
        "KAPACITOR_TESTSVC_ADDRS_0": "first",
    }
    cfg = load(None, env=env)
    clusters = cfg.get("influxdb")
    assert len(clusters) == 1  # an unknown key makes no element
    assert clusters[0].urls == ["http://a:8086", "http://b:8086"]
    assert cfg.get("testsvc").addrs == ["first"]
