"""The client's pure helpers: dbrp flags, durations, sizes, var values, dates and tables."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kapacitrio.cli.client.defs import load_vars, parse_dbrp
from kapacitrio.cli.client.http import ClientError
from kapacitrio.cli.client.listing import human_bytes
from kapacitrio.cli.client.output import dbrps_text, table, when
from kapacitrio.cli.client.recording import parse_duration
from kapacitrio.cli.client.tasks import script_has_dbrp, var_value


@pytest.mark.parametrize(
    ("text", "db", "rp"),
    [
        ("telegraf.autogen", "telegraf", "autogen"),
        ('"telegraf"."autogen"', "telegraf", "autogen"),
        ('"my.db"."rp"', "my.db", "rp"),
        ("db.rp.with.dots", "db", "rp.with.dots"),
    ],
)
def test_parse_dbrp(text, db, rp):
    assert parse_dbrp(text) == {"db": db, "rp": rp}


@pytest.mark.parametrize("text", ["nodot", ".rp", "db.", '"db"rp', '"db'])
def test_parse_dbrp_rejects(text):
    with pytest.raises(ClientError, match="expected db.rp"):
        parse_dbrp(text)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("1h30m", 5400), ("2d", 172800), ("500ms", 0.5), ("1w", 604800), ("1.5m", 90)],
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "10", "1x", "m", "1h 2m", "-1s"])
def test_parse_duration_rejects(text):
    with pytest.raises(ClientError, match="invalid duration"):
        parse_duration(text)


def test_human_bytes():
    assert [human_bytes(n) for n in (0, 999, 1000, 3200, 2_500_000, 12_345)] == [
        "0 B", "999 B", "1.0 kB", "3.2 kB", "2.5 MB", "12 kB",
    ]  # fmt: skip
    assert human_bytes(None) == "0 B"  # Go's uint64 of a missing size


def test_var_values():
    assert var_value({"type": "string", "value": "cpu"}) == "cpu"
    assert var_value({"type": "lambda", "value": None}) == "<required>"
    assert var_value({"type": "star", "value": None}) == "*"
    assert var_value({"type": "bool", "value": False}) == "false"
    listed = {"type": "list", "value": [{"type": "star"}, {"type": "string", "value": "host"}]}
    assert var_value(listed) == "[*, host]"
    # durations as Go's time.Duration prints them, floats as Go's %v
    assert var_value({"type": "duration", "value": 300_000_000_000}) == "5m0s"
    assert var_value({"type": "duration", "value": 1_500_000}) == "1.5ms"
    assert var_value({"type": "float", "value": 67.0}) == "67"
    assert var_value({"type": "float", "value": 1e6}) == "1e+06"
    assert var_value({"type": "float", "value": 2.5}) == "2.5"
    assert var_value({"type": "int", "value": 42}) == "42"


def test_dates_and_dbrps():
    assert when("2017-11-13T13:34:00Z") == "13 Nov 17 13:34 UTC"
    # Go's zero time, which Kapacitor prints for a task never enabled
    assert when("0001-01-01T00:00:00Z") == "01 Jan 01 00:00 UTC"
    assert when("") == "01 Jan 01 00:00 UTC" and when("not a date") == "not a date"
    assert when("2017-11-13T13:34:00+01:00") == "13 Nov 17 13:34 +0100"
    # fmt.Sprint of Kapacitor's []DBRP: each %q.%q, separated by spaces
    assert dbrps_text([{"db": "a", "rp": "b"}, {"db": "c", "rp": "d"}]) == '["a"."b" "c"."d"]'
    assert dbrps_text([{"db": 'x"y', "rp": "tab\t"}]) == '["x\\"y"."tab\\t"]'
    assert dbrps_text(None) == "[]"


def test_table_layout(capsys):
    table(["ID", "Level", "Collected"], [["a", "OK", 5], ["[bold]long_id", "CRITICAL", 1234]],
          numeric=["Collected"])  # fmt: skip
    assert capsys.readouterr().out.splitlines() == [
        "ID             Level     Collected",
        "a              OK                5",
        "[bold]long_id  CRITICAL       1234",
    ]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("plain.json", '{"x": {"type": "int", "value": 1}}'),
        ("wrapped.json", '{"vars": {"x": {"type": "int", "value": 1}}}'),
        ("plain.yaml", "x:\n  type: int\n  value: 1\n"),
        ("wrapped.yml", "vars:\n  x:\n    type: int\n    value: 1\n"),
    ],
)
def test_vars_files_plain_or_wrapped(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    assert load_vars(str(path)) == {"x": {"type": "int", "value": 1}}


def test_a_var_named_vars_is_not_a_wrapper(tmp_path):
    path = tmp_path / "v.json"
    path.write_text('{"vars": {"type": "string", "value": "a"}}')
    assert load_vars(str(path)) == {"vars": {"type": "string", "value": "a"}}


def test_script_has_dbrp():
    assert script_has_dbrp('dbrp "a"."b"\nstream|from()\n')
    assert not script_has_dbrp("stream|from()\n")
    assert not script_has_dbrp("stream|from(\n")  # does not parse: the server says why
