"""Polling a synchronous condition until it holds, for tests and scripts that drive real processes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(
    predicate: Callable[[], T], timeout: float = 20.0, what: str = "condition", step: float = 0.05
) -> T:
    """Call `predicate` every `step` s until it returns something truthy and return that.

    Raises AssertionError naming `what` once `timeout` seconds have passed without it.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(step)
