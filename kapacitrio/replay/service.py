"""The recording and replay service (`services.replay`): requests, background jobs, stored state.

Recordings' and replays' metadata are documents in the store (kinds `recordings`, `replays`);
payloads are files in the replay directory (`replay.files`). Each recording or replay runs as a
job in the service's nursery (`replay.jobs`); deleting it cancels the job. At start, jobs the
previous run left `running` are marked failed, and payload files without metadata are adopted as
finished recordings. Requests live in `replay.recordings` and `replay.replays`.
"""

from __future__ import annotations

from typing import Any

import trio

from kapacitrio.replay.recordings import RecordingRequests
from kapacitrio.replay.replays import ReplayRequests


class ReplayService(RecordingRequests, ReplayRequests):
    """Recordings and replays; start it with `nursery.start(svc.run)`."""

    async def run(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        await trio.to_thread.run_sync(lambda: self.dir.mkdir(parents=True, exist_ok=True))
        await self._adopt_files()
        await self._mark_failed()
        async with trio.open_nursery() as nursery:
            self._nursery = nursery
            task_status.started(self)
            await trio.sleep_forever()


async def start(services: Any, nursery: trio.Nursery) -> None:
    """Server plugin: attach the service as `services.replay`."""
    tm = services.taskmaster
    clock = getattr(tm, "clock", None)
    if clock is None:
        from kapacitrio.engine.clock import WallClock

        clock = WallClock()
    svc = ReplayService(services, services.config.replay_dir, clock)
    await nursery.start(svc.run)
    services.replay = svc
