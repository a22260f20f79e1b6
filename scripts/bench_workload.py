"""What the benchmarks send: the task scripts, line-protocol bodies and the counts each task must see."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

HOSTS = [f"server{i:03d}" for i in range(100)]

ALERT_LEVELS = (
    "        .id('{{{{ .Name }}}}')\n"
    '        .info(lambda: "value" > 60.0)\n'
    '        .warn(lambda: "value" > 80.0)\n'
    '        .crit(lambda: "value" > 95.0)\n'
)

#: Task scripts by kind; `{m}` is the measurement, `{host}` the host a Filtered task wants.
SCRIPTS = {
    "Simple": "stream\n    |from()\n        .measurement('{m}')\n",
    "Count": (
        "stream\n    |from()\n        .measurement('{m}')\n    |window()\n        .period(100s)\n"
        "        .every(100s)\n    |count('value')\n"
    ),
    "Alert": "stream\n    |from()\n        .measurement('{m}')\n    |alert()\n" + ALERT_LEVELS,
    "Join": (
        "var a = stream\n    |from()\n        .measurement('{m}')\n"
        "var b = stream\n    |from()\n        .measurement('{m}b')\n"
        "a\n    |join(b)\n        .as('a', 'b')\n"
        '    |eval(lambda: "a.value" + "b.value")\n        .as(\'sum\')\n'
    ),
    "Filtered": (
        "stream\n    |from()\n        .measurement('{m}')\n"
        "    |where(lambda: \"host\" == '{host}')\n    |alert()\n" + ALERT_LEVELS
    ),
    "Buffer": (
        "stream\n    |from()\n        .measurement('{m}')\n        .groupBy('host')\n"
        "    |window()\n        .period(1h)\n        .every(1h)\n    |count('value')\n"
    ),
}

#: The node whose `collected` count proves a task has seen every point meant for it.
ANCHORS = {
    "Simple": "from1",
    "Count": "window2",
    "Alert": "alert2",
    "Join": "join4",
    "Filtered": "alert3",
    "Buffer": "window2",
}


@dataclass
class Counts:
    """Points sent so far: per measurement and, for `m1`, per host."""

    by_measurement: Counter = field(default_factory=Counter)
    m1_by_host: Counter = field(default_factory=Counter)

    def add(self, other: Counts) -> None:
        self.by_measurement.update(other.by_measurement)
        self.m1_by_host.update(other.m1_by_host)

    @property
    def points(self) -> int:
        return sum(self.by_measurement.values())


@dataclass
class TaskDef:
    """One task of a cell: its id, kind, measurement and (Filtered) host."""

    id: str
    kind: str
    measurement: str = "m1"
    host: str = ""

    @property
    def script(self) -> str:
        return SCRIPTS[self.kind].format(m=self.measurement, host=self.host)

    def expected(self, sent: Counts) -> int:
        """How many messages this task's anchor node must have collected once `sent` is processed."""
        if self.kind == "Filtered":
            return sent.m1_by_host[self.host] if self.measurement == "m1" else 0
        n = sent.by_measurement[self.measurement]
        if self.kind == "Join":
            n += sent.by_measurement[self.measurement + "b"]
        return n


class BodyMaker:
    """Fresh 5000-point bodies: each call continues the data time, so no point repeats."""

    def __init__(
        self, join: bool = False, start_s: int = 1_600_000_000, step_ns: int = 10**9
    ) -> None:
        self.join = join
        self.t = start_s * 10**9
        self.step = step_ns
        self.i = 0

    def bodies(self, count: int, points: int) -> tuple[list[bytes], Counts]:
        """`count` bodies of `points` lines (Join: half `m1`, half `m1b` at the same times)."""
        out = []
        counts = Counts()
        for _ in range(count):
            lines = []
            while len(lines) < points:
                host = HOSTS[self.i % len(HOSTS)]
                value = (self.i * 7919) % 100 + 0.5
                lines.append(f"m1,host={host} value={value} {self.t}")
                counts.by_measurement["m1"] += 1
                counts.m1_by_host[host] += 1
                if self.join and len(lines) < points:
                    lines.append(f"m1b,host={host} value={value} {self.t}")
                    counts.by_measurement["m1b"] += 1
                self.t += self.step
                self.i += 1
            out.append("\n".join(lines).encode())
        return out, counts
