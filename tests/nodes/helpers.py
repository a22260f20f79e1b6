"""Stand-ins for driving node runtimes directly: a small task context and spec/message builders."""

from __future__ import annotations

from typing import Any

from kapacitrio.engine.node import NODE_TYPES, NodeRuntime
from kapacitrio.models.point import Batch, BatchPoint, Dimensions, Point
from kapacitrio.pipeline.spec import NodeSpec

S = 1_000_000_000
T0 = 31_536_000 * S  # 1971-01-01T00:00:00Z


class FakeClock:
    """A clock moved by the test."""

    def __init__(self, now: int = T0) -> None:
        self.t = now

    def now(self) -> int:
        return self.t

    async def sleep_until(self, ns: int) -> None:
        import trio

        while self.t < ns:
            await trio.sleep(0.001)


class FakeCtx:
    """What a node may use of its task: records logged errors."""

    def __init__(self, clock: Any = None, services: Any = None) -> None:
        self.task_id = "test"
        self.clock = clock or FakeClock()
        self.services = services
        self.errors: list[tuple[str, str]] = []
        self.logs: list[tuple] = []

    def log_error(self, node_name: str, message: str) -> None:
        self.errors.append((node_name, message))

    def log(self, level: str, node_name: str, message: str, **kv: Any) -> None:
        self.logs.append((level, node_name, message, kv))

    def log_repeated(self, level: str, node_name: str, message: str, **kv: Any) -> None:
        self.log(level, node_name, message, **kv)


def spec(kind: str, args: list[Any] | None = None, parents: int = 1, **props: Any) -> NodeSpec:
    """A NodeSpec of `kind` with the given args, props and `parents` stand-in parent specs."""
    ps = [
        NodeSpec(kind="stream", desc="stream", id=i, wants="none", provides="stream")
        for i in range(parents)
    ]
    return NodeSpec(
        kind=kind,
        desc=kind.lower(),
        id=parents,
        wants="stream",
        provides="stream",
        args=list(args or []),
        props=dict(props),
        parents=ps,
    )


MODULES = (
    "influxql",
    "derivative",
    "changedetect",
    "state",
    "trickle",
    "join",
    "combine",
    "flatten",
    "httppost",
    "sideload",
    "barrier",
    "stats",
    "loopback",
    "influxdbout",
)


def import_runtimes() -> None:
    """Import the node modules under test (registering their runtimes)."""
    import importlib

    for m in MODULES:
        try:
            importlib.import_module(f"kapacitrio.engine.nodes.{m}")
        except ModuleNotFoundError as exc:
            if exc.name != f"kapacitrio.engine.nodes.{m}":
                raise


def node(
    kind: str, args: list[Any] | None = None, ctx: Any = None, parents: int = 1, **props: Any
) -> NodeRuntime:
    """Instantiate the registered runtime of `kind`."""
    import_runtimes()
    return NODE_TYPES[kind](spec(kind, args, parents, **props), ctx or FakeCtx())


def grouped(tags: dict[str, str], *dims: str, name: str = "cpu") -> tuple[str, Dimensions]:
    d = Dimensions(False, tuple(sorted(dims)))
    return d.group_id(name, tags), d


def pt(
    time_s: float,
    fields: dict,
    tags: dict | None = None,
    dims: tuple[str, ...] = (),
    name: str = "cpu",
) -> Point:
    tags = tags or {}
    group, d = grouped(tags, *dims, name=name)
    return Point(name, tags, fields, T0 + int(time_s * S), "db", "rp", group, d)


def bt(
    tmax_s: float,
    points: list[tuple[float, dict]],
    tags: dict | None = None,
    dims: tuple[str, ...] = (),
    name: str = "cpu",
) -> Batch:
    tags = tags or {}
    group, d = grouped(tags, *dims, name=name)
    bps = [BatchPoint(T0 + int(t * S), f, dict(tags)) for t, f in points]
    return Batch(
        name, {k: tags[k] for k in d.tag_names if k in tags}, T0 + int(tmax_s * S), bps, group, d
    )


def take(n: NodeRuntime) -> list:
    out, n.out = n.out, []
    return out


def secs(t: int) -> float:
    return (t - T0) / S
