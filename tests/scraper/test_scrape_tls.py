"""A scraper over HTTPS: its CA, client certificate, `ssl-server-name` and bearer token are used."""

from __future__ import annotations

import ssl

import trio
import trustme

from kapacitrio.engine.clock import WallClock
from kapacitrio.scraper.config import ScraperConfig
from kapacitrio.scraper.service import ScrapeJob, http_client


async def test_https_scrape_with_server_name_client_cert_and_token(nursery, tmp_path):
    ca = trustme.CA()
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("exporter.internal").configure_cert(ctx)
    ca.configure_trust(ctx)
    ctx.verify_mode = ssl.CERT_REQUIRED
    seen: list[bytes] = []

    async def handle(stream: trio.SSLStream) -> None:
        try:
            seen.append(await stream.receive_some(65536))
            body = b"g 42\n"
            head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n"
            await stream.send_all(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
            await stream.aclose()
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass

    listeners = await nursery.start(trio.serve_ssl_over_tcp, handle, 0, ctx)
    port = listeners[0].transport_listener.socket.getsockname()[1]
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    client_cert = ca.issue_cert("client")
    client_cert.cert_chain_pems[0].write_to_path(str(tmp_path / "c.pem"))
    client_cert.private_key_pem.write_to_path(str(tmp_path / "k.pem"))
    cfg = ScraperConfig(
        enabled=True,
        name="tls",
        db="d",
        rp="r",
        scheme="https",
        ssl_ca=str(tmp_path / "ca.pem"),
        ssl_cert=str(tmp_path / "c.pem"),
        ssl_key=str(tmp_path / "k.pem"),
        ssl_server_name="exporter.internal",
        bearer_token="tok",
    )
    written = []

    async def write(db, rp, points):
        written.extend(points)

    async with http_client(cfg) as client:
        job = ScrapeJob(cfg, client, WallClock(), write)
        (target,) = job.targets([{"__address__": f"127.0.0.1:{port}"}])
        await job.scrape_once(target)
        cfg_no_name = ScraperConfig(**{**cfg.__dict__, "ssl_server_name": ""})
        job2 = ScrapeJob(cfg_no_name, client, WallClock(), write)
        await job2.scrape_once(target)  # 127.0.0.1 is not the certificate's name: fails
    ups = [p.fields["value"] for p in written if p.name == "up"]
    assert ups == [1.0, 0.0]
    assert [p.fields["value"] for p in written if p.name == "g"] == [42.0]
    assert b"authorization: bearer tok" in seen[0].lower()
