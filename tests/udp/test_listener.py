"""The `[[udp]]` listener: datagrams into the write path, counted, bad ones logged and survived."""

from __future__ import annotations

import socket

import pytest
import structlog
import trio

from kapacitrio.config import ConfigError, load
from kapacitrio.engine.clock import NS, VirtualClock
from kapacitrio.models.lineprotocol import LineProtocolError, parse_lines
from kapacitrio.udp import config as _config  # noqa: F401 - registers [[udp]]
from kapacitrio.udp.listener import LOG_EVERY, UDPListener, count_points


class Sink:
    """A write path that parses like the engine and records what it was given."""

    def __init__(self) -> None:
        self.writes: list[tuple[str, str, str, bytes]] = []
        self.changed = trio.Event()

    async def __call__(self, db: str, rp: str, precision: str, body: bytes) -> None:
        parse_lines(body.decode())
        self.writes.append((db, rp, precision, body))
        self.changed.set()
        self.changed = trio.Event()


def test_count_points_skips_blank_lines_and_comments():
    assert count_points(b"cpu v=1\n\n# c\ncpu v=2 5\n") == 2


async def test_datagrams_are_written_to_the_db_rp_and_counted():
    sink = Sink()
    lst = UDPListener("127.0.0.1:0", "telegraf", "autogen", sink, VirtualClock(), buffer=10)
    addr = await lst.bind()
    port = int(addr.rsplit(":", 1)[1])
    async with trio.open_nursery() as nursery:
        await nursery.start(lst.serve)
        out = trio.socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        with out:
            await out.sendto(b"cpu,host=a usage=1 10\ncpu,host=b usage=2 20\n", ("127.0.0.1", port))
            await out.sendto(b"cpu,host=a usage=oops=", ("127.0.0.1", port))
            await out.sendto(b"mem free=3i 30", ("127.0.0.1", port))
            with trio.fail_after(5):
                while len(sink.writes) < 2 or lst.stats["points_parse_fail"] < 1:
                    await sink.changed.wait()
        nursery.cancel_scope.cancel()
    assert [w[:3] for w in sink.writes] == [("telegraf", "autogen", "n")] * 2
    assert sink.writes[1][3] == b"mem free=3i 30"
    assert lst.stats["points_rx"] == 3
    assert lst.stats["points_tx"] == 3
    assert lst.stats["points_parse_fail"] == 1
    assert lst.stats["bytes_rx"] == 44 + 22 + 14


async def test_parse_errors_are_logged_at_most_once_per_interval():
    def bad(*_args):
        raise LineProtocolError("unable to parse 'x': missing fields")

    async def write(*args):
        bad(*args)

    clock = VirtualClock(100 * NS)
    lst = UDPListener("127.0.0.1:0", "db", "", write, clock)
    with structlog.testing.capture_logs() as logged:
        for _ in range(5):
            await lst.handle(b"x")
        clock.advance_to(100 * NS + LOG_EVERY)
        await lst.handle(b"x")
    errors = [e for e in logged if e["event"] == "failed to parse points"]
    assert lst.stats["points_parse_fail"] == 6
    assert len(errors) == 2
    assert "suppressed" not in errors[0]
    assert errors[1]["suppressed"] == 4
    assert "missing fields" in errors[0]["err"]


async def test_a_failing_engine_is_counted_not_raised():
    async def write(*_args):
        raise RuntimeError("the engine is not running")

    lst = UDPListener("127.0.0.1:0", "db", "", write, VirtualClock())
    await lst.handle(b"cpu v=1")
    assert lst.stats["tx_fail"] == 1
    assert lst.stats["points_tx"] == 0


def test_config_needs_bind_address_and_database_when_enabled(tmp_path):
    path = tmp_path / "k.toml"
    path.write_text('[[udp]]\nenabled = true\ndatabase = "d"\n')
    with pytest.raises(ConfigError, match="bind address has to be specified"):
        load(path, env={})
    path.write_text('[[udp]]\nenabled = true\nbind-address = ":9100"\n')
    with pytest.raises(ConfigError, match="database has to be specified"):
        load(path, env={})
    path.write_text("[[udp]]\nenabled = false\n")
    assert load(path, env={}).get("udp")[0].enabled is False
    cfg = load(path, env={"KAPACITOR_UDP_0_BIND_ADDRESS": "127.0.0.1:0"})
    assert cfg.get("udp")[0].bind_address == "127.0.0.1:0"
