"""UDP listeners of `udp` subscriptions: parse errors are counted, and logged at a limited rate."""

from __future__ import annotations

from types import SimpleNamespace

import trio
import trio.testing

from kapacitrio.influxdb import udp
from kapacitrio.logratelimit import BURST
from kapacitrio.models.lineprotocol import LineProtocolError


def test_parse_errors_are_counted_and_their_log_lines_limited(monkeypatch):
    lines: list[tuple[str, dict]] = []
    monkeypatch.setattr(udp._log, "error", lambda msg, **kv: lines.append((msg, kv)))
    written: list[bytes] = []

    async def write(db, rp, precision, data):
        if data.startswith(b"bad"):
            raise LineProtocolError("unable to parse 'bad': missing fields")
        written.append(data)

    services = SimpleNamespace(taskmaster=SimpleNamespace(write=write))

    async def main():
        lst = udp.UDPListener(services, "db", "autogen")
        for _ in range(50):
            await lst._write(b"bad")
        await lst._write(b"cpu value=1 1")
        assert lst.errors == 50 and lst.received == 51 and written == [b"cpu value=1 1"]
        assert len(lines) == BURST
        assert lines[0] == (
            "failed to parse points",
            {"db": "db", "rp": "autogen", "error": "unable to parse 'bad': missing fields"},
        )
        await trio.sleep(61)  # the next minute: one summary of the held-back lines, then the line
        await lst._write(b"bad")
        assert [m for m, _ in lines[BURST:]] == [
            "repeated error suppressed 40 times in the last 60s",
            "failed to parse points",
        ]

    trio.run(main, clock=trio.testing.MockClock(autojump_threshold=0))
