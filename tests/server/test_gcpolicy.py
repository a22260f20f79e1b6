"""The server's garbage-collector settings: startup objects frozen, young collections rarer."""

from __future__ import annotations

import gc

from kapacitrio.gcpolicy import SERVER_THRESHOLDS, tune_for_server


def test_tune_for_server_freezes_and_raises_thresholds() -> None:
    before = gc.get_threshold()
    try:
        kept = [object() for _ in range(3)]  # something alive now
        tune_for_server()
        assert gc.get_threshold() == SERVER_THRESHOLDS
        assert SERVER_THRESHOLDS[0] > before[0]
        assert gc.get_freeze_count() > 0
        assert kept
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
