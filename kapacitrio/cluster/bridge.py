"""A dedicated asyncio event loop in one worker thread, owned by a Trio task, for the nats-py client.

Why a loop thread rather than trio-asyncio: nats-py is written for asyncio and keeps background
tasks (reading, flushing, pinging, reconnecting) on its loop. Running that loop on a thread of its
own keeps those tasks independent of Trio's scheduling and of the engine's hot path, and the
bridge needs nothing from the asyncio side beyond `run_coroutine_threadsafe`.

The thread is started with `trio.to_thread.run_sync` from `AsyncioBridge.run`, so it belongs to
the nursery that started the bridge: cancelling that nursery stops the loop (after the `closing`
coroutines ran, e.g. closing the NATS connection) and the Trio task returns only once the thread
has ended. `await bridge.call(fn, *args)` runs the coroutine `fn(*args)` on the loop and waits for
its result in Trio; cancelling the Trio side cancels the asyncio task. Results come back through
`TrioToken.run_sync_soon`, so no Trio worker thread is held per call.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import outcome
import trio

R = TypeVar("R")


class BridgeClosed(RuntimeError):
    """The asyncio loop is not running (not started yet, or stopped)."""


class AsyncioBridge:
    """An asyncio loop on its own thread; start with `await nursery.start(bridge.run)`."""

    def __init__(self, name: str = "asyncio-bridge") -> None:
        self.name = name
        self.loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        #: Coroutine functions run on the loop when the bridge stops (newest first).
        self._closing: list[Callable[[], Awaitable[Any]]] = []

    def on_close(self, fn: Callable[[], Awaitable[Any]]) -> None:
        """Run the coroutine `fn()` on the loop when the bridge stops (before the loop ends)."""
        self._closing.append(fn)

    async def run(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        """Run the loop thread until cancelled; `task_status.started()` once the loop runs."""
        token = trio.lowlevel.current_trio_token()
        ready = trio.Event()
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._thread, token, ready)
            await ready.wait()
            task_status.started()
            try:
                await trio.sleep_forever()
            finally:
                self._request_stop()

    async def _thread(self, token: trio.lowlevel.TrioToken, ready: trio.Event) -> None:
        def main() -> None:
            asyncio.run(self._main(token, ready))

        # Not abandonable: a cancelled Trio side waits here until the loop has really ended.
        await trio.to_thread.run_sync(main, thread_name=self.name)

    async def _main(self, token: trio.lowlevel.TrioToken, ready: trio.Event) -> None:
        self.loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        token.run_sync_soon(ready.set)
        try:
            await self._stop.wait()
        finally:
            for fn in reversed(self._closing):
                try:
                    await asyncio.wait_for(fn(), 5)
                except Exception:  # closing is best effort: the thread must end
                    pass
            self.loop = None

    def _request_stop(self) -> None:
        loop, stop = self.loop, self._stop
        if loop is not None and stop is not None:
            try:
                loop.call_soon_threadsafe(stop.set)
            except RuntimeError:  # the loop already closed
                pass

    async def call(self, fn: Callable[..., Awaitable[R]], *args: Any, **kwargs: Any) -> R:
        """Run the coroutine `fn(*args, **kwargs)` on the loop and return (or raise) its outcome."""
        loop = self.loop
        if loop is None:
            raise BridgeClosed("the asyncio loop is not running")
        token = trio.lowlevel.current_trio_token()
        task = trio.lowlevel.current_task()
        done = threading.Event()
        box: list[outcome.Outcome] = []

        def finished(fut: concurrent.futures.Future) -> None:
            # Runs on the asyncio thread: capture the outcome, hand it to Trio.
            try:
                box.append(outcome.Value(fut.result()))
            except BaseException as exc:  # noqa: B036 - the outcome carries any failure
                box.append(outcome.Error(exc))
            done.set()
            try:
                token.run_sync_soon(trio.lowlevel.reschedule, task, outcome.Value(None))
            except trio.RunFinishedError:
                pass

        try:
            fut = asyncio.run_coroutine_threadsafe(fn(*args, **kwargs), loop)
        except RuntimeError:
            raise BridgeClosed("the asyncio loop is not running") from None
        fut.add_done_callback(finished)

        def abort(_raise_cancel: Any) -> trio.lowlevel.Abort:
            fut.cancel()  # the loop cancels its task; `finished` still reschedules us
            return trio.lowlevel.Abort.FAILED

        await trio.lowlevel.wait_task_rescheduled(abort)
        if not done.is_set():  # pragma: no cover - the callback sets it before rescheduling
            raise BridgeClosed("no outcome from the asyncio loop")
        result = box[0]
        if isinstance(result, outcome.Error) and isinstance(
            result.error, (asyncio.CancelledError, concurrent.futures.CancelledError)
        ):
            await trio.lowlevel.checkpoint()  # we were cancelled: raise Trio's Cancelled here
            raise BridgeClosed("the asyncio call was cancelled")
        return result.unwrap()
