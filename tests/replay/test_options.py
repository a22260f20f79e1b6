"""Recording and replay request options: Go-quoted values in their errors."""

from __future__ import annotations

import pytest

from kapacitrio.replay.errors import Invalid
from kapacitrio.replay.options import opt_id, opt_time


def test_bad_id_is_quoted_as_go_quotes_it():
    with pytest.raises(Invalid) as err:
        opt_id({"id": "a\x01b"}, "recording", "RecordingRequest")
    assert str(err.value).endswith('. "a\\x01b"')


def test_bad_time_is_quoted_as_go_quotes_it():
    with pytest.raises(Invalid, match='^invalid stop time "\\\\x7f": want'):
        opt_time({"stop": "\x7f"}, "stop", "RecordingRequest")


def test_wrong_json_type_names_the_go_field():
    with pytest.raises(
        Invalid, match="cannot unmarshal number into Go struct field S.id of type string"
    ):
        opt_id({"id": 5}, "recording", "S")
