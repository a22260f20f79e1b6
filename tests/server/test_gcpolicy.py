"""The server's garbage-collector settings: startup objects frozen, young collections rarer."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from kapacitrio import gcpolicy
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
        gcpolicy._State.tuned = gcpolicy._State.thawed = False


class _Cycle:
    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def tuned() -> Iterator[None]:
    before = gc.get_threshold()
    try:
        tune_for_server()
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
        gcpolicy._State.tuned = gcpolicy._State.thawed = False


def _in_a_generation(obj: object) -> bool:
    return any(o is obj for g in range(3) for o in gc.get_objects(g))


def test_task_start_freezes_what_is_alive(tuned: None) -> None:
    frozen = gc.get_freeze_count()
    task_objects = [[i] for i in range(1000)]
    assert _in_a_generation(task_objects)
    gcpolicy.task_started()
    assert not _in_a_generation(task_objects)  # no collection walks them any more
    assert gc.get_freeze_count() >= frozen + 1000


def test_task_start_collects_young_garbage_before_freezing(tuned: None) -> None:
    ref = weakref.ref(_Cycle())
    assert ref() is not None
    gcpolicy.task_started()
    assert ref() is None


def test_task_stop_thaws_so_the_stopped_task_is_collected(tuned: None) -> None:
    task = _Cycle()
    gcpolicy.task_started()
    ref = weakref.ref(task)
    del task
    gcpolicy.task_stopped()
    assert gc.get_freeze_count() == 0
    gcpolicy.task_started()  # the next start collects fully before freezing again
    assert ref() is None
    assert gc.get_freeze_count() > 0


def test_outside_the_server_task_changes_leave_the_collector_alone() -> None:
    assert not gcpolicy._State.tuned
    frozen = gc.get_freeze_count()
    gcpolicy.task_started()
    gcpolicy.task_stopped()
    assert gc.get_freeze_count() == frozen
