"""Tests of the core data models: groups and time formatting."""

from kapacitrio.models.point import Dimensions
from kapacitrio.models.timefmt import format_rfc3339, parse_rfc3339


def test_group_id_by_tags_sorted_dimensions():
    dims = Dimensions(False, ("cpu", "host"))
    assert dims.group_id("m", {"host": "a", "cpu": "0", "x": "y"}) == "cpu=0,host=a"


def test_group_id_by_name_and_missing_tag():
    dims = Dimensions(True, ("host",))
    assert dims.group_id("m", {}) == "m\nhost="


def test_nil_group():
    assert Dimensions().group_id("m", {"a": "b"}) == ""


def test_rfc3339_round_trip_drops_trailing_zeros():
    assert format_rfc3339(31536010_000_000_000) == "1971-01-01T00:00:10Z"
    assert format_rfc3339(1_500_000_000) == "1970-01-01T00:00:01.5Z"
    assert parse_rfc3339("1971-01-01T00:00:10Z") == 31536010_000_000_000
    assert parse_rfc3339("1970-01-01T01:00:00.25+01:00") == 250_000_000
