"""`[[influxdb]]` ssl-cert/ssl-key: the client certificate is presented; unreadable files stop the load."""

from __future__ import annotations

import ssl
from types import SimpleNamespace

import pytest
import trio
import trustme

from kapacitrio.config import ConfigError, InfluxDBConfig, load
from kapacitrio.influxdb.client import InfluxDBError
from kapacitrio.influxdb.service import InfluxDBService


async def _mtls_server(nursery, ca: trustme.CA) -> int:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(ctx)
    ca.configure_trust(ctx)
    ctx.verify_mode = ssl.CERT_REQUIRED

    async def handle(stream: trio.SSLStream) -> None:
        try:
            await stream.receive_some(65536)
            await stream.send_all(
                b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
            await stream.aclose()
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass

    listeners = await nursery.start(trio.serve_ssl_over_tcp, handle, 0, ctx)
    return listeners[0].transport_listener.socket.getsockname()[1]


def _service(**section) -> InfluxDBService:
    cfg = InfluxDBConfig(enabled=True, **section)
    return InfluxDBService(SimpleNamespace(get=lambda name: [cfg]))


async def test_the_client_certificate_is_presented(nursery, tmp_path):
    ca = trustme.CA()
    port = await _mtls_server(nursery, ca)
    ca_file, cert_file = tmp_path / "ca.pem", tmp_path / "client.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    ca.issue_cert("kapacitrio-client").private_key_and_cert_chain_pem.write_to_path(str(cert_file))
    url = [f"https://127.0.0.1:{port}"]
    with_cert = _service(urls=url, ssl_ca=str(ca_file), ssl_cert=str(cert_file))
    assert await with_cert.get().ping() == ""
    without = _service(urls=url, ssl_ca=str(ca_file))
    with pytest.raises(InfluxDBError):
        await without.get().ping()
    await with_cert.aclose()
    await without.aclose()


def test_an_unreadable_client_certificate_stops_the_load(tmp_path):
    import kapacitrio.influxdb.service  # noqa: F401 - registers the check

    env = {
        "KAPACITOR_INFLUXDB_0_ENABLED": "true",
        "KAPACITOR_INFLUXDB_0_SSL_CERT": str(tmp_path / "missing.pem"),
    }
    with pytest.raises(ConfigError, match=r"invalid \[influxdb\[0\]\] section: ssl-cert/ssl-key"):
        load(None, env=env)
