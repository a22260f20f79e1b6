"""The InfluxDB client against a real influxd."""

import pytest

from kapacitrio.influxdb.client import InfluxDBClient, InfluxDBError, quote_ident
from kapacitrio.influxdb.lineprotocol import EncodeError, encode

pytestmark = pytest.mark.influxdb

T = 31_536_000_000_000_000


def test_encode_escapes_sorts_and_types():
    line = encode(
        "cpu load",
        {"z": "1", "host": "a b,c", "empty": ""},
        {"v": 1.5, "n": 2, "ok": True, "s": 'say "hi"'},
        T,
    )
    assert line == f'cpu\\ load,host=a\\ b\\,c,z=1 v=1.5,n=2i,ok=true,s="say \\"hi\\"" {T}'
    assert encode("m", {}, {"v": 1.0}, T + 999_999_999, "s").endswith(" 31536000")
    with pytest.raises(EncodeError):
        encode("m", {}, {"v": None}, T)
    with pytest.raises(EncodeError):
        encode("m", {}, {"v": 1}, T, "weeks")
    assert encode("m", {}, {"v": 1.0}, T + 1_999, "u").endswith(f" {T // 1_000 + 1}")
    with pytest.raises(EncodeError, match="precision 'us'"):
        encode("m", {}, {"v": 1.0}, T, "us")  # InfluxDB 1.x's /write refuses it


def test_quote_ident():
    assert quote_ident('my"db') == '"my\\"db"'


async def test_ping_write_query(influxd_url):
    async with InfluxDBClient(influxd_url) as c:
        assert (await c.ping()).startswith("1.")
        await c.create_database("t1", "short")
        await c.write("t1", f"cpu,host=a value=1.5 {T}\ncpu,host=b value=2 {T + 1}", rp="short")
        series = await c.series(
            'SELECT * FROM "cpu" ORDER BY time', db="t1", rp="short", epoch="ns"
        )
        assert series == [
            {
                "name": "cpu",
                "columns": ["time", "host", "value"],
                "values": [[T, "a", 1.5], [T + 1, "b", 2]],
            }
        ]
        rps = await c.series('SHOW RETENTION POLICIES ON "t1"')
        assert "short" in [row[0] for row in rps[0]["values"]]


async def test_write_precision(influxd_url):
    async with InfluxDBClient(influxd_url) as c:
        await c.create_database("t2")
        await c.write("t2", "m v=1 31536000", precision="s")
        series = await c.series("SELECT v FROM m", db="t2")
        assert series[0]["values"] == [["1971-01-01T00:00:00Z", 1]]


async def test_errors_carry_server_text(influxd_url):
    async with InfluxDBClient(influxd_url) as c:
        with pytest.raises(InfluxDBError, match="database not found"):
            await c.write("nosuchdb", f"m v=1 {T}")
        with pytest.raises(InfluxDBError, match="unable to parse"):
            await c.write("t2", "not line protocol")
        with pytest.raises(InfluxDBError, match="error parsing query"):
            await c.series("SELEKT 1")


async def test_unreachable_server_is_an_error():
    async with InfluxDBClient("http://127.0.0.1:9", timeout=1) as c:
        with pytest.raises(InfluxDBError, match="127.0.0.1:9"):
            await c.ping()


async def test_fails_over_to_the_next_url(influxd_url):
    async with InfluxDBClient(["http://127.0.0.1:9", influxd_url], timeout=2) as c:
        assert (await c.ping()).startswith("1.")
        assert c.url == influxd_url  # stays on the server that answered
        assert (await c.ping()).startswith("1.")
    async with InfluxDBClient(["http://127.0.0.1:9", "http://127.0.0.1:7"], timeout=1) as c:
        with pytest.raises(InfluxDBError, match="127.0.0.1:7"):
            await c.ping()
