"""Reading InfluxDB 2's annotated CSV into series, and the Flux request the client sends."""

from __future__ import annotations

import pytest

from kapacitrio.influxdb.client import InfluxDBClient, InfluxDBError
from kapacitrio.influxdb.flux import FluxError, parse_annotated_csv
from kapacitrio.models.timefmt import parse_rfc3339
from tests.flux.samples import ERROR_TABLE, TWO_BLOCKS
from tests.httpreceiver import HTTPReceiver


def t(text: str) -> int:
    return parse_rfc3339(text)


def test_each_table_is_a_series_with_group_columns_as_tags():
    series = parse_annotated_csv(TWO_BLOCKS)
    assert series == [
        {
            "name": "cpu",
            "tags": {"_field": "usage", "host": "a"},
            "columns": ["time", "_value"],
            "values": [
                [t("2021-04-22T16:10:10Z"), 45.5],
                [t("2021-04-22T16:10:20.5Z"), 47.0],
            ],
        },
        {
            "name": "cpu",
            "tags": {"_field": "usage", "host": "b"},
            "columns": ["time", "_value"],
            "values": [[t("2021-04-22T16:10:10Z"), 12.0]],
        },
        {
            "name": "mem",
            "tags": {"_field": "count", "host": "a"},
            "columns": ["time", "_value", "ok"],
            # an empty cell takes the column's #default, or is null when it has none
            "values": [
                [t("2021-04-22T16:10:30Z"), 5, False],
                [t("2021-04-22T16:10:40Z"), None, True],
            ],
        },
    ]
    assert isinstance(series[2]["values"][0][1], int)


def test_an_error_table_is_an_error():
    with pytest.raises(
        FluxError, match='flux query error: runtime error .*bucket "nope" not found'
    ):
        parse_annotated_csv(ERROR_TABLE)


def test_bad_values_and_empty_answers():
    assert parse_annotated_csv("") == []
    bad = TWO_BLOCKS.replace(",45.5,", ",forty,")
    with pytest.raises(FluxError, match="forty is not a valid double"):
        parse_annotated_csv(bad)


async def test_the_client_posts_flux_with_org_now_and_token(nursery):
    recv = await nursery.start(
        HTTPReceiver(reply=TWO_BLOCKS.encode(), content_type="text/csv").serve
    )
    client = InfluxDBClient(recv.url, "user", "pw", token="s3cret")
    async with client:
        text = await client.flux('from(bucket:"b")', org="myorg", now="2021-04-22T16:11:00Z")
    assert text == TWO_BLOCKS
    (req,) = recv.requests
    assert req.method == "POST"
    assert req.path == "/api/v2/query?org=myorg"
    assert req.headers["authorization"] == "Token s3cret"
    assert req.json() == {
        "type": "flux",
        "query": 'from(bucket:"b")',
        "now": "2021-04-22T16:11:00Z",
        "dialect": {
            "annotations": ["datatype", "group", "default"],
            "delimiter": ",",
            "header": True,
        },
    }


async def test_the_client_reports_influxdb_errors(nursery):
    recv = await nursery.start(
        HTTPReceiver(
            status=401, reply=b'{"code":"unauthorized","message":"unauthorized access"}'
        ).serve
    )
    async with InfluxDBClient(recv.url, "user", "pw") as client:
        with pytest.raises(InfluxDBError, match="flux query failed: 401: unauthorized access"):
            await client.flux("x", org_id="0123")
    assert recv.requests[0].path == "/api/v2/query?orgID=0123"
    assert recv.requests[0].headers["authorization"].startswith("Basic ")
