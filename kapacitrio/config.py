"""Server configuration: TOML sections registered as dataclasses, with `KAPACITOR_*` environment overrides.

A section is a dataclass registered under its `kapacitor.conf` name with `@section("smtp")`.
Keys are written as in Kapacitor (`bind-address`, `data_dir`); `-` and `_` are the same letter, so
the dataclass field `bind_address` reads either spelling. List sections (`[[influxdb]]`) are
registered with `many=True` and give a list of instances. A dataclass may define `validate()`,
raising `ValueError` with a message, and `SECRETS` (names of fields to redact when shown). A section
with `STRICT = True` (the security ones) refuses unknown keys, in the file and the environment, and
a section name misspelled close to a strict one stops the load too: a security setting never fails
open with a warning.

Environment variables override the file: `KAPACITOR_<SECTION>_<KEY>` (`KAPACITOR_HTTP_BIND_ADDRESS`),
`KAPACITOR_<KEY>` for top-level keys (`KAPACITOR_DATA_DIR`), and `KAPACITOR_<SECTION>_<N>_<KEY>`
for element N of a list section. `KAPACITRIO_` works as a prefix too and wins over `KAPACITOR_`.
"""

from __future__ import annotations

import dataclasses
import difflib
import keyword
import os
import re
import tomllib
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from kapacitrio.tick.values import parse_decimal_duration

T = TypeVar("T")

ENV_PREFIXES = ("KAPACITOR_", "KAPACITRIO_")


class ConfigError(Exception):
    """The configuration file or environment holds an invalid value."""


@dataclass(frozen=True, slots=True)
class SectionInfo:
    """A registered section: its name, dataclass and whether it is a list (`[[name]]`)."""

    name: str
    cls: type
    many: bool


_SECTIONS: dict[str, SectionInfo] = {}
#: Extra `validate` steps other packages add to a built-in section (`add_check("http", fn)`).
_SECTION_CHECKS: dict[str, list[Callable[[Any], None]]] = {}


def add_check(name: str, check: Callable[[Any], None]) -> None:
    """Run `check(section)` whenever section `name` is validated (raise `ValueError` to refuse)."""
    checks = _SECTION_CHECKS.setdefault(name, [])
    if check not in checks:
        checks.append(check)


def section(name: str, *, many: bool = False) -> Callable[[type[T]], type[T]]:
    """Class decorator: register a dataclass as the config section `name` (`[name]` or `[[name]]`)."""

    def deco(cls: type[T]) -> type[T]:
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"config section {name!r} must be a dataclass")
        _SECTIONS[name] = SectionInfo(name, cls, many)
        return cls

    return deco


def unregister(name: str) -> None:
    """Remove a registered section (tests that register throwaway sections clean up with this)."""
    _SECTIONS.pop(name, None)


def sections() -> dict[str, SectionInfo]:
    """Every registered section by name."""
    return dict(_SECTIONS)


def norm_key(key: str) -> str:
    """The field name for a config key: `bind-address` and `bind_address` are both `bind_address`.

    Keys that are Python keywords (`from`, `global`) map to fields with a trailing `_`.
    """
    name = key.replace("-", "_").lower()
    return name + "_" if keyword.iskeyword(name) else name


def duration_ns(value: str | int) -> int:
    """Parse a config duration (`"10s"`, `"1h30m"`, or an int of nanoseconds) into nanoseconds."""
    if isinstance(value, bool):
        raise ValueError(f"invalid duration {value!r}")
    if isinstance(value, int):
        return value
    text = value.strip()
    if text in ("0", ""):
        return 0
    try:
        return parse_decimal_duration(text)
    except ValueError:
        raise ValueError(f"invalid duration {value!r}") from None


# -- built-in sections -------------------------------------------------------------------------


@section("http")
@dataclass
class HTTPConfig:
    """`[http]`: the API listener, its TLS and its authentication (checked in `kapacitrio.auth`)."""

    #: Security settings: an unknown or misspelled key stops the start instead of a warning.
    STRICT: typing.ClassVar[bool] = True
    SECRETS: typing.ClassVar[tuple[str, ...]] = ("shared_secret",)

    bind_address: str = ":9092"
    auth_enabled: bool = False
    log_enabled: bool = True
    write_tracing: bool = False
    pprof_enabled: bool = False
    https_enabled: bool = False
    https_certificate: str = ""
    https_private_key: str = ""
    shutdown_timeout: str = "10s"
    #: Key of the HMAC-signed JWTs accepted as `Authorization: Bearer` when auth is enabled.
    shared_secret: str = ""
    #: Origins (`https://ui.example.com`) that get CORS headers; none by default.
    allowed_origins: list[str] = field(default_factory=list)
    #: Largest accepted request body in bytes (after gzip decoding); 0 means no limit.
    max_body_size: int = 25_000_000

    def validate(self) -> None:
        host_port(self.bind_address)
        duration_ns(self.shutdown_timeout)
        if self.max_body_size < 0:
            raise ValueError("max-body-size must not be negative")
        for check in _SECTION_CHECKS.get("http", []):
            check(self)


@section("storage")
@dataclass
class StorageConfig:
    """`[storage]`: where the database lives; empty means `<data_dir>/kapacitrio.db`."""

    boltdb: str = ""


@section("replay")
@dataclass
class ReplayConfig:
    """`[replay]`: where recordings are kept; empty means `<data_dir>/replay`."""

    dir: str = ""


@section("task")
@dataclass
class TaskConfig:
    """`[task]`: task store options kept for compatibility, and the group limit per node."""

    dir: str = ""
    snapshot_interval: str = "1m0s"
    #: Groups one node may hold state for (`working_cardinality`); points of further new groups
    #: are dropped and counted in the node's `errors`. 0 means no limit.
    max_groups_per_node: int = 100_000

    def validate(self) -> None:
        if self.max_groups_per_node < 0:
            raise ValueError("max-groups-per-node must not be negative")


@section("logging")
@dataclass
class LoggingConfig:
    """`[logging]`: log destination (`STDERR`, `STDOUT` or a file path) and minimum level."""

    file: str = "STDERR"
    level: str = "INFO"

    def validate(self) -> None:
        if self.level.upper() not in ("DEBUG", "INFO", "WARN", "WARNING", "ERROR"):
            raise ValueError(f"unknown log level {self.level!r}")


@section("config-override")
@dataclass
class ConfigOverrideConfig:
    """`[config-override]`: whether the configuration API may override sections."""

    enabled: bool = True


@section("deadman")
@dataclass
class DeadmanSection:
    """`[deadman]`: defaults of every `deadman()`; `global = true` adds one to each task's sources."""

    global_: bool = False
    threshold: float = 0.0
    interval: str = "10s"
    id: str = "node 'NODE_NAME' in task '{{ .TaskName }}'"
    message: str = (
        '{{ .ID }} is {{ if eq .Level "OK" }}alive{{ else }}dead{{ end }}: '
        '{{ index .Fields "emitted" | printf "%0.3f" }} points/INTERVAL.'
    )

    def validate(self) -> None:
        if duration_ns(self.interval) <= 0:
            raise ValueError("deadman interval must be positive")


@section("influxdb", many=True)
@dataclass
class InfluxDBConfig:
    """`[[influxdb]]`: one InfluxDB cluster."""

    SECRETS: typing.ClassVar[tuple[str, ...]] = ("password", "token")

    enabled: bool = False
    name: str = "default"
    default: bool = False
    urls: list[str] = field(default_factory=lambda: ["http://localhost:8086"])
    username: str = ""
    password: str = ""
    #: InfluxDB 2 API token for `queryFlux` (`Authorization: Token ...`); else basic auth is used.
    token: str = ""
    ssl_ca: str = ""
    ssl_cert: str = ""
    ssl_key: str = ""
    insecure_skip_verify: bool = False
    timeout: str = "0s"
    disable_subscriptions: bool = False
    subscription_protocol: str = "http"
    subscription_mode: str = "cluster"
    kapacitor_hostname: str = ""
    http_port: int = 0
    udp_bind: str = ""
    udp_buffer: int = 1000
    udp_read_buffer: int = 0
    startup_timeout: str = "5m0s"
    subscriptions_sync_interval: str = "1m0s"
    subscriptions: dict[str, list[str]] = field(default_factory=dict)
    excluded_subscriptions: dict[str, list[str]] = field(default_factory=dict)

    def validate(self) -> None:
        for check in _SECTION_CHECKS.get("influxdb", []):
            check(self)


def host_port(bind: str) -> tuple[str, int]:
    """Split a Go-style bind address (`:9092`, `127.0.0.1:0`, `[::1]:9092`) into host and port."""
    host, sep, port = bind.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"invalid bind address {bind!r}")
    return host.strip("[]"), int(port)


# -- the loaded configuration ------------------------------------------------------------------


@dataclass
class Config:
    """The whole configuration: top-level keys plus one value per registered section."""

    hostname: str = "localhost"
    data_dir: str = "./data"
    skip_config_overrides: bool = False
    default_retention_policy: str = ""
    path: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    #: Keys and sections of the file that kapacitrio does not know (ignored, logged at startup).
    warnings: list[str] = field(default_factory=list)
    #: Called as `fn(name, value)` after `set` replaces a section (see `subscribe`).
    listeners: list[Callable[[str, Any], None]] = field(default_factory=list, repr=False)

    def get(self, name: str) -> Any:
        """The section `name`: a dataclass instance, or a list of them for a list section."""
        if name not in self.values:
            info = _SECTIONS.get(name)
            if info is None:
                raise KeyError(f"unknown config section {name!r}")
            self.values[name] = [] if info.many else info.cls()
        return self.values[name]

    def set(self, name: str, value: Any) -> None:
        """Replace a section's value (used when an override changes it at run time)."""
        self.values[name] = value
        for listener in list(self.listeners):
            listener(name, value)

    def subscribe(self, listener: Callable[[str, Any], None]) -> Callable[[], None]:
        """Call `listener(name, value)` whenever a section is replaced; returns an unsubscribe."""
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener) if listener in self.listeners else None

    @property
    def http(self) -> HTTPConfig:
        return self.get("http")

    @property
    def db_path(self) -> Path:
        """The SQLite database file: always `<data_dir>/kapacitrio.db`."""
        return Path(self.data_dir) / "kapacitrio.db"

    @property
    def replay_dir(self) -> Path:
        return Path(self.get("replay").dir or Path(self.data_dir) / "replay")


_TOP_LEVEL = {
    "hostname": str,
    "data_dir": str,
    "skip_config_overrides": bool,
    "default_retention_policy": str,
}


def load(
    path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> Config:
    """Read the TOML file at `path` (if any), apply environment overrides, validate every section."""
    env = os.environ if env is None else env
    raw: dict[str, Any] = {}
    if path:
        try:
            with open(path, "rb") as fh:
                raw = tomllib.load(fh)
        except OSError as exc:
            raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"invalid config file {path}: {exc}") from exc
    cfg = Config(path=str(path or ""))
    for key, value in raw.items():
        name = key if key in _SECTIONS else None
        if name is None and norm_key(key) in _TOP_LEVEL:
            setattr(cfg, norm_key(key), _coerce(value, _TOP_LEVEL[norm_key(key)], key))
        elif name is not None:
            cfg.values[name] = _build_section(_SECTIONS[name], value, cfg.warnings)
        else:
            _refuse_near_strict(key)
            cfg.warnings.append(_unknown_section(key, value))
    _audit_env(env)
    _apply_env(cfg, env)
    for name, info in _SECTIONS.items():
        value = cfg.get(name)
        for i, item in enumerate(value if info.many else [value]):
            _validate(item, name if not info.many else f"{name}[{i}]")
    return cfg


def _unknown_section(key: str, value: Any) -> str:
    """The warning for a section kapacitrio does not read (refusing ones that would lose data)."""
    from kapacitrio.configaudit import Refused, audit

    try:
        warning = audit(key, value)
    except Refused as exc:
        raise ConfigError(str(exc)) from None
    return warning or f"unknown config key or section {key!r} ignored"


def _audit_env(env: Mapping[str, str]) -> None:
    from kapacitrio.configaudit import Refused, audit_env

    try:
        audit_env(env, ENV_PREFIXES)
    except Refused as exc:
        raise ConfigError(str(exc)) from None


def _refuse_near_strict(key: str) -> None:
    """An unknown section spelled like a strict one (`[htpp]`, `[Auth]`) is a mistake, not noise."""
    strict = [n for n, info in _SECTIONS.items() if getattr(info.cls, "STRICT", False)]
    close = difflib.get_close_matches(key.lower(), strict, n=1, cutoff=0.75)
    if close:
        raise ConfigError(f"unknown config section {key!r} (did you mean [{close[0]}]?)")


def _validate(item: Any, where: str) -> None:
    check = getattr(item, "validate", None)
    if check is None:
        return
    try:
        check()
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"invalid [{where}] section: {exc}") from exc


def _build_section(info: SectionInfo, value: Any, warnings: list[str]) -> Any:
    if info.many:
        items = value if isinstance(value, list) else [value]
        return [
            _build_one(info, item, f"{info.name}[{i}]", warnings) for i, item in enumerate(items)
        ]
    return _build_one(info, value, info.name, warnings)


def _build_one(info: SectionInfo, table: Any, where: str, warnings: list[str]) -> Any:
    if not isinstance(table, dict):
        raise ConfigError(f"config section [{where}] must be a table")
    obj = info.cls()
    for key, value in table.items():
        if field_name(info.cls, key) is not None:
            set_field(obj, key, value, where)
        elif getattr(info.cls, "STRICT", False):
            raise ConfigError(f"unknown key {key!r} in config section [{where}]")
        else:
            warnings.append(f"unknown key {key!r} in config section [{where}] ignored")
    return obj


def field_types(cls: type) -> dict[str, Any]:
    """Field name -> resolved type annotation of a section dataclass."""
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def field_name(cls: type, key: str) -> str | None:
    """The dataclass field a config key sets (`global` sets `global_`), or None if unknown."""
    types_ = field_types(cls)
    name = norm_key(key)
    for candidate in (name, name + "_"):
        if candidate in types_:
            return candidate
    return None


def set_field(obj: Any, key: str, value: Any, where: str) -> None:
    """Set one key of a section instance, converting the value to the field's type."""
    name = field_name(type(obj), key)
    if name is None:
        raise ConfigError(f"unknown key {key!r} in config section [{where}]")
    setattr(obj, name, _coerce(value, field_types(type(obj))[name], f"[{where}] {key}"))


def _coerce(value: Any, typ: Any, where: str) -> Any:
    """Convert a TOML or environment value to `typ`; strings from the environment are parsed."""
    origin = typing.get_origin(typ)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(typ) if a is not type(None)]
        return None if value is None else _coerce(value, args[0], where)
    try:
        if typ is bool:
            if isinstance(value, str):
                low = value.strip().lower()
                if low in ("true", "1", "yes", "on"):
                    return True
                if low in ("false", "0", "no", "off", ""):
                    return False
                raise ValueError(value)
            if isinstance(value, bool):
                return value
            raise ValueError(value)
        if typ is int:
            if isinstance(value, bool) or isinstance(value, float):
                raise ValueError(value)
            return int(value)
        if typ is float:
            if isinstance(value, bool):
                raise ValueError(value)
            return float(value)
        if typ is str:
            if isinstance(value, (dict, list, bool)):
                raise ValueError(value)
            return str(value)
        if origin is list:
            (item_t,) = typing.get_args(typ) or (Any,)
            if isinstance(value, str):
                value = [v.strip() for v in value.split(",") if v.strip()]
            if not isinstance(value, list):
                raise ValueError(value)
            return [_coerce(v, item_t, where) for v in value]
        if origin is dict:
            if not isinstance(value, dict):
                raise ValueError(value)
            return dict(value)
    except (ValueError, TypeError):
        raise ConfigError(f"invalid value {value!r} for {where}") from None
    return value


def _env_sections() -> list[tuple[str, SectionInfo]]:
    """Sections by their environment spelling, longest first so `CONFIG_OVERRIDE` beats `CONFIG`."""
    named = [(n.upper().replace("-", "_"), info) for n, info in _SECTIONS.items()]
    return sorted(named, key=lambda pair: -len(pair[0]))


def _apply_env(cfg: Config, env: Mapping[str, str]) -> None:
    for prefix in ENV_PREFIXES:  # KAPACITRIO_ last, so it wins
        for var, value in sorted(env.items()):
            if var.startswith(prefix):
                _apply_env_var(cfg, var[len(prefix) :], value, var)


def _apply_env_var(cfg: Config, rest: str, value: str, var: str) -> None:
    low = rest.lower()
    if low in _TOP_LEVEL:
        setattr(cfg, low, _coerce(value, _TOP_LEVEL[low], var))
        return
    for env_name, info in _env_sections():
        if not rest.startswith(env_name + "_"):
            continue
        key = rest[len(env_name) + 1 :]
        if info.many:
            index, _, key = key.partition("_")
            if not index.isdigit() or not _env_key_known(info.cls, key):
                continue
            items = cfg.get(info.name)
            while len(items) <= int(index):
                items.append(info.cls())
            target = items[int(index)]
        elif _env_key_known(info.cls, key):
            target = cfg.get(info.name)
        elif getattr(info.cls, "STRICT", False):
            raise ConfigError(
                f"unknown environment variable {var}: [{info.name}] has no key {key!r}"
            )
        else:
            continue
        _set_env_key(target, key, value, var)
        return
    # Unknown variables are ignored: the environment holds many unrelated KAPACITOR_* names.


_LIST_ITEM = re.compile(r"(.+)_(\d+)")


def _list_item_field(cls: type, key: str) -> tuple[str, int] | None:
    """`URLS_0` names element 0 of the list field `urls`."""
    m = _LIST_ITEM.fullmatch(key)
    if m is None:
        return None
    name = field_name(cls, m.group(1))
    if name is None or typing.get_origin(field_types(cls)[name]) is not list:
        return None
    return name, int(m.group(2))


def _env_key_known(cls: type, key: str) -> bool:
    return bool(key) and (
        field_name(cls, key) is not None or _list_item_field(cls, key) is not None
    )


def _set_env_key(target: Any, key: str, value: str, var: str) -> None:
    cls = type(target)
    name = field_name(cls, key)
    if name is not None:
        setattr(target, name, _coerce(value, field_types(cls)[name], var))
        return
    item = _list_item_field(cls, key)
    assert item is not None
    name, index = item
    (item_type,) = typing.get_args(field_types(cls)[name]) or (Any,)
    items = list(getattr(target, name))
    converted = _coerce(value, item_type, var)
    if index < len(items):
        items[index] = converted
    else:
        items.append(converted)
    setattr(target, name, items)


def as_dict(obj: Any, *, redact: bool = False) -> dict[str, Any]:
    """A section instance as a dict keyed by Kapacitor's spelling (`bind-address`)."""
    secrets = set(getattr(type(obj), "SECRETS", ()))
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if redact and f.name in secrets:
            value = bool(value)
        out[f.name.rstrip("_").replace("_", "-")] = value
    return out
