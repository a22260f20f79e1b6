"""The InfluxDB service: clients for the `[[influxdb]]` clusters, following config changes live."""

from __future__ import annotations

import ssl
from typing import Any

import trio

from kapacitrio.config import add_check
from kapacitrio.influxdb.client import InfluxDBClient, InfluxDBError


def _get(section: Any, name: str, default: Any = None) -> Any:
    if isinstance(section, dict):
        return section.get(name, section.get(name.replace("_", "-"), default))
    return getattr(section, name, default)


def _seconds(value: Any) -> float:
    from kapacitrio.config import duration_ns

    try:
        ns = duration_ns(value or 0)
    except ValueError:
        return 0.0
    return ns / 1e9


class InfluxDBService:
    """`get(name)` gives the client of an enabled cluster ("" = the default one).

    Clients are built from the current config on each lookup and cached by their settings, so a
    config override takes effect without a restart.
    """

    def __init__(self, config: Any) -> None:
        self.config = config
        self._clients: dict[tuple, InfluxDBClient] = {}

    def sections(self) -> list[Any]:
        try:
            value = self.config.get("influxdb") if self.config is not None else None
        except KeyError:
            return []
        items = value if isinstance(value, list) else ([value] if value else [])
        return [s for s in items if _get(s, "enabled", False)]

    def pick(self, name: str = "") -> Any:
        """The enabled section called `name`, else (for "") the default one, else the first."""
        sections = self.sections()
        if name:
            return next((s for s in sections if _get(s, "name", "") == name), None)
        return next(
            (s for s in sections if _get(s, "default", False)), sections[0] if sections else None
        )

    def get(self, name: str = "") -> InfluxDBClient | None:
        section = self.pick(name)
        if section is None:
            return None
        urls = _get(section, "urls", []) or []
        if not urls:
            return None
        key = (
            tuple(urls),
            _get(section, "username", ""),
            _get(section, "password", ""),
            _seconds(_get(section, "timeout", "0s")),
            not _get(section, "insecure_skip_verify", False),
            _get(section, "ssl_ca", ""),
            _get(section, "token", ""),
            _get(section, "ssl_cert", ""),
            _get(section, "ssl_key", ""),
        )
        client = self._clients.get(key)
        if client is None:
            url, user, password, timeout, verify, ca, token, cert, cert_key = key
            tls: Any = ca or verify
            if cert:  # a client certificate: TLS settings as one context
                tls = _client_cert_context(ca, cert, cert_key, verify)
            client = InfluxDBClient(url, user, password, timeout or 30.0, verify=tls, token=token)
            self._clients[key] = client
        return client

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    async def run(self) -> None:
        """Live until the server stops, then close the clients."""
        try:
            await trio.sleep_forever()
        finally:
            with trio.CancelScope(shield=True):
                await self.aclose()

    async def test(self, options: dict[str, Any]) -> tuple[bool, str]:
        """The `/service-tests/influxdb` check: ping the named (or default) cluster."""
        name = str(options.get("cluster") or "")
        client = self.get(name)
        if client is None:
            return False, f"cluster {name!r} is not enabled or does not exist"
        try:
            await client.ping()
        except InfluxDBError as exc:
            return False, str(exc)
        return True, ""


def _client_cert_context(ca: str, cert: str, key: str, verify: bool) -> ssl.SSLContext:
    """TLS with `ssl-cert`/`ssl-key` presented to InfluxDB; raises `InfluxDBError` naming the file."""
    try:
        ctx = ssl.create_default_context(cafile=ca or None)
        ctx.load_cert_chain(cert, key or None)
    except (OSError, ssl.SSLError) as exc:
        raise InfluxDBError(f"invalid TLS options: {exc}") from None
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _check_tls(section: Any) -> None:
    """`[[influxdb]]` with a client certificate: the files must load, or the start stops."""
    if section.enabled and section.ssl_cert:
        try:
            _client_cert_context(section.ssl_ca, section.ssl_cert, section.ssl_key, True)
        except InfluxDBError as exc:
            raise ValueError(f"ssl-cert/ssl-key: {exc}") from None


add_check("influxdb", _check_tls)


async def start(services: Any, nursery: trio.Nursery) -> None:
    """Server plugin: attach the service as `services.influxdb` and its service test."""
    svc = InfluxDBService(services.config)
    services.influxdb = svc
    from kapacitrio.alerting.servicetests import register

    register("influxdb", {"cluster": ""}, _service_test)
    nursery.start_soon(svc.run)
    from kapacitrio.influxdb import subscriptions

    await subscriptions.start(services, nursery)


async def _service_test(services: Any, options: dict[str, Any]) -> tuple[bool, str]:
    svc = getattr(services, "influxdb", None)
    if not isinstance(svc, InfluxDBService):
        return False, "the InfluxDB service is not running"
    return await svc.test(options)
