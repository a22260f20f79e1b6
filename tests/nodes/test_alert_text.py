"""The alert node's direct default message/details match what the templates render, byte for byte."""

from __future__ import annotations

import pytest

from kapacitrio.engine.nodes._alert_text import (
    DEFAULT_DETAILS,
    DEFAULT_MESSAGE,
    DefaultDetails,
    default_message,
)
from kapacitrio.tick.errors import TickError
from kapacitrio.tick.gotemplate import GoDuration, GoMap, GoStruct, GoTime, Template

SERVER = GoStruct(
    {"Hostname": "h<1>", "ClusterID": "c&d", "ServerID": "s'+\""}, type_name="alert.serverInfo"
)


def _by_templates(event_id, name, group, tags, fields, level, t, duration, msg=DEFAULT_MESSAGE):
    data = GoStruct(
        {
            "Name": name,
            "TaskName": "task<x>",
            "Group": group or "nil",
            "Tags": GoMap(tags, zero=""),
            "ServerInfo": SERVER,
        },
        type_name="alert.messageInfo",
    )
    data["ID"] = event_id
    data["Fields"] = GoMap(fields, zero=None)
    data["Level"] = level
    data["Time"] = GoTime(t)
    data["Duration"] = GoDuration(duration)
    message = Template(msg, name="message").render(data)
    data["Message"] = message
    data.type_name = "alert.detailsInfo"
    return message, Template(DEFAULT_DETAILS, html=True, name="details").render(data)


CASES = [
    ("cpu:nil", "cpu", "", {}, {"value": 1.5}, "CRITICAL", 1_500_000_000, 0),
    (
        "a<b>&'c'+\"d\"",
        "m é",
        "host=a,dc=<x>",
        {"host": "a&b", "dc": "<x>", "z": "\u2028", "a": "tab\there"},
        {"f": 1e21, "g": 1e-7, "i": 3, "b": True, "s": "<&>\b\f\n", "big": 12345678901234567890},
        "WARNING",
        -1,
        90_000_000_000,
    ),
    ("id", "m", "g", {"k": "v"}, {"zero": 0.0, "neg": -2.0, "u": 18446744073709551615}, "OK", 0, 5),
]


@pytest.mark.parametrize("case", CASES)
def test_direct_texts_equal_the_templates(case) -> None:
    event_id, name, group, tags, fields, level, t, duration = case
    want_message, want_details = _by_templates(*case)
    message = default_message(event_id, level)
    assert message == want_message
    details = DefaultDetails("task<x>", SERVER)
    for _ in range(2):  # the second render comes from the per-group cache
        got = details.render(event_id, name, group, tags, fields, level, t, duration, message)
        assert got == want_details


def test_unencodable_fields_fail_like_the_template() -> None:
    details = DefaultDetails("t", SERVER)
    with pytest.raises(TickError):
        details.render("id", "m", "", {}, {"v": float("nan")}, "OK", 0, 0, "id is OK")
    with pytest.raises(TickError):
        _by_templates("id", "m", "", {}, {"v": float("nan")}, "OK", 0, 0)


def test_custom_message_in_default_details() -> None:
    case = CASES[1]
    message, want = _by_templates(
        *case, msg='{{ .Name }} <{{ .Level }}> & {{ index .Tags "host" }}'
    )
    assert message == "m é <WARNING> & a&b"
    event_id, name, group, tags, fields, level, t, duration = case
    got = DefaultDetails("task<x>", SERVER).render(
        event_id, name, group, tags, fields, level, t, duration, message
    )
    assert got == want
