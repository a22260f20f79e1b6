"""The pool: arrival order and the round interval rules."""

import pytest

from kapacitrio.kkok.pool import Pool

from .conftest import make_alert


def test_interval_doubles_up_to_max_and_resets_on_an_empty_round():
    pool = Pool(initial_interval=5, max_interval=30)
    seen = []
    for batch in (1, 1, 1, 1, 0, 1):
        for _ in range(batch):
            pool.add(make_alert())
        pool.take()
        seen.append(pool.interval)
    assert seen == [10, 20, 30, 30, 5, 10]


def test_take_returns_alerts_in_arrival_order_and_empties_the_pool():
    pool = Pool()
    pool.add(make_alert("b"), seq=7)
    pool.add(make_alert("a"), seq=3)
    pool.add(make_alert("c"))
    assert pool.next_seq() == 9
    assert [(s, a.title) for s, a in pool.take()] == [(3, "a"), (7, "b"), (8, "c")]
    assert len(pool) == 0 and pool.pending() == []


def test_limits_change_and_bad_initial_interval():
    pool = Pool(initial_interval=5, max_interval=40)
    pool.add(make_alert())
    pool.take()
    pool.add(make_alert())
    pool.take()
    assert pool.interval == 20
    pool.set_limits(1, 8)
    assert pool.interval == 8
    with pytest.raises(ValueError):
        Pool(initial_interval=0)
