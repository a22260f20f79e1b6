"""The alert model: validation, defaults and the JSON form."""

import pytest

from kapacitrio.kkok.alert import alert_from_json
from kapacitrio.kkok.errors import KkokError
from kapacitrio.models.timefmt import parse_rfc3339

NOW = parse_rfc3339("2026-03-04T05:06:07Z")


def test_defaults_fill_date_and_host():
    a = alert_from_json({"From": "me", "Title": "t"}, now_ns=NOW, default_host="10.0.0.9")
    assert a.date == NOW and a.host == "10.0.0.9" and a.routes == [] and a.info == {}


def test_given_fields_are_kept():
    doc = {
        "From": "me",
        "Title": "t",
        "Date": "2020-01-02T03:04:05.5+09:00",
        "Host": "h",
        "Message": "line1\nline2",
        "Info": {"k": [1, 2]},
    }
    a = alert_from_json(doc, now_ns=NOW, default_host="x")
    assert a.host == "h"
    out = a.to_json()
    assert out["Date"] == "2020-01-01T18:04:05.5Z"
    assert out["Message"] == "line1\nline2" and out["Info"] == {"k": [1, 2]}
    assert "Stats" not in out and "Sub" not in out


@pytest.mark.parametrize(
    "doc,needle",
    [
        ([], "JSON object"),
        ({"Title": "t"}, "From is required"),
        ({"From": "me"}, "Title is required"),
        ({"From": "me", "Title": "a\nb"}, "Title must be one line"),
        ({"From": "x" * 101, "Title": "t"}, "longer than 100"),
        ({"From": "me", "Title": "t", "Date": "yesterday"}, "RFC3339"),
        ({"From": "me", "Title": "t", "Info": [1]}, "Info must be a JSON object"),
        ({"From": 3, "Title": "t"}, "From must be a string"),
        ({"From": "me", "Title": "t", "Routes": "r"}, "Routes"),
    ],
)
def test_bad_alerts_are_refused(doc, needle):
    with pytest.raises(KkokError, match=needle):
        alert_from_json(doc, now_ns=NOW)


def test_stats_are_not_read_from_client_json():
    a = alert_from_json({"From": "me", "Title": "t", "Stats": {"x": 1}}, now_ns=NOW)
    assert a.stats == {}
