"""kill -9 of the real server during concurrent mutations: every acknowledged change survives.

Five workers, each owning its own objects, change tasks (create, enable/disable, script change,
rename, delete), templates, topic handlers (create, rename by PUT, delete), a config override and
kkok filters through the HTTP API while the server is killed at a random moment. After each
restart every object must be exactly as the last acknowledged change left it; an object whose
change was in flight at the kill may be as before or as after that change, never anything else
(a rename leaves the old id or the new one, not both or neither). Enabled tasks must run again.
"""

from __future__ import annotations

import random
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

CYCLES = 12
API = "/kapacitor/v1"
TOPIC = "crash"
ABSENT = None

Value = Any  # what a key reads as after a restart; ABSENT when it does not exist


class Worker:
    """One client doing random changes to its own keys; `model` holds the acknowledged state."""

    def __init__(self, name: str, base: str, seed: int) -> None:
        self.name = name
        self.base = base
        self.rng = random.Random(seed)
        self.model: dict[str, Value] = {}
        #: key -> the states it may be in after the kill (a change was in flight).
        self.maybe: dict[str, tuple[Value, Value]] = {}
        self.acked = 0
        self.n = 0
        self.stop = threading.Event()
        self.error: str = ""

    # -- the loop
    def run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=10) as c:
            while not self.stop.is_set():
                request, effects = self.next_change()
                try:
                    resp = request(c)
                except httpx.TransportError:  # killed while in flight
                    for key, new in effects.items():
                        self.maybe[key] = (self.model.get(key, ABSENT), new)
                    return
                if resp.status_code >= 300:
                    self.error = f"{self.name}: {resp.request.method} {resp.request.url} -> {resp.status_code} {resp.text}"
                    return
                self.model.update(effects)
                self.acked += 1

    def marker(self) -> str:
        self.n += 1
        return f"{self.name}x{self.n}"

    def keys(self, present: bool) -> list[str]:
        return [k for k, v in self.model.items() if (v is not ABSENT) == present]

    def fresh_key(self, prefix: str) -> str:
        return f"{prefix}{self.name}-{self.marker()}"

    def next_change(self) -> tuple[Callable[[httpx.Client], httpx.Response], dict[str, Value]]:
        raise NotImplementedError

    def read(self, c: httpx.Client, key: str) -> Value:
        raise NotImplementedError

    def check(self, c: httpx.Client) -> list[str]:
        """Mismatches between the server and the model; the model then follows the server."""
        bad = []
        for key in sorted(set(self.model) | set(self.maybe)):
            got = self.read(c, key)
            allowed = self.maybe.get(key, (self.model.get(key, ABSENT),))
            if got not in allowed:
                bad.append(f"{self.name} {key}: server has {got!r}, acknowledged {allowed!r}")
            self.model[key] = got
        self.maybe.clear()
        self.stop.clear()
        return bad


def _script(mark: str) -> str:
    return f"stream|from().measurement('m_{mark}')|httpOut('o')"


class Tasks(Worker):
    def next_change(self):
        have = self.keys(True)
        op = self.rng.choice(["create", "create", "status", "script", "rename", "delete"])
        if op == "create" or not have:
            key, mark = self.fresh_key("t"), self.marker()
            status = self.rng.choice(["enabled", "disabled"])
            body = {
                "id": key,
                "type": "stream",
                "dbrps": [{"db": "db", "rp": "rp"}],
                "script": _script(mark),
                "status": status,
            }
            return (lambda c: c.post(f"{API}/tasks", json=body)), {key: (status, mark)}
        key = self.rng.choice(have)
        status, mark = self.model[key]
        if op == "status":
            new = "disabled" if status == "enabled" else "enabled"
            return (lambda c: c.patch(f"{API}/tasks/{key}", json={"status": new})), {
                key: (new, mark)
            }
        if op == "script":
            m2 = self.marker()
            return (lambda c: c.patch(f"{API}/tasks/{key}", json={"script": _script(m2)})), {
                key: (status, m2)
            }
        if op == "rename":
            new_key = self.fresh_key("t")
            return (lambda c: c.patch(f"{API}/tasks/{key}", json={"id": new_key})), {
                key: ABSENT,
                new_key: (status, mark),
            }
        return (lambda c: c.delete(f"{API}/tasks/{key}")), {key: ABSENT}

    def read(self, c, key):
        r = c.get(f"{API}/tasks/{key}")
        if r.status_code == 404:
            return ABSENT
        doc = r.json()
        mark = doc["script"].split("'m_", 1)[1].split("'", 1)[0]
        if doc["status"] == "enabled" and not doc["executing"]:
            return ("enabled but not executing", doc.get("error"))
        return (doc["status"], mark)


class Templates(Worker):
    def next_change(self):
        have = self.keys(True)
        op = self.rng.choice(["create", "update", "delete"])
        mark = self.marker()
        body = {"type": "stream", "script": _script(mark)}
        if op == "create" or not have:
            key = self.fresh_key("tm")
            return (lambda c: c.post(f"{API}/templates", json={"id": key, **body})), {key: mark}
        key = self.rng.choice(have)
        if op == "update":
            return (lambda c: c.patch(f"{API}/templates/{key}", json=body)), {key: mark}
        return (lambda c: c.delete(f"{API}/templates/{key}")), {key: ABSENT}

    def read(self, c, key):
        r = c.get(f"{API}/templates/{key}")
        if r.status_code == 404:
            return ABSENT
        return r.json()["script"].split("'m_", 1)[1].split("'", 1)[0]


class Handlers(Worker):
    def next_change(self):
        have = self.keys(True)
        op = self.rng.choice(["create", "replace", "rename", "delete"])
        base = f"{API}/alerts/topics/{TOPIC}/handlers"
        mark = self.marker()
        spec = {"kind": "publish", "options": {"topics": [f"to-{mark}"]}}
        if op == "create" or not have:
            key = self.fresh_key("h")
            return (lambda c: c.post(base, json={"id": key, **spec})), {key: mark}
        key = self.rng.choice(have)
        if op == "replace":
            return (lambda c: c.put(f"{base}/{key}", json={"id": key, **spec})), {key: mark}
        if op == "rename":
            new_key = self.fresh_key("h")
            return (lambda c: c.put(f"{base}/{key}", json={"id": new_key, **spec})), {
                key: ABSENT,
                new_key: mark,
            }
        return (lambda c: c.delete(f"{base}/{key}")), {key: ABSENT}

    def read(self, c, key):
        r = c.get(f"{API}/alerts/topics/{TOPIC}/handlers/{key}")
        if r.status_code == 404:
            return ABSENT
        return r.json()["options"]["topics"][0].removeprefix("to-")


class ConfigOverride(Worker):
    def next_change(self):
        mark = self.marker()
        body = {"set": {"from": f"{mark}@example.com"}}
        return (lambda c: c.post(f"{API}/config/smtp/", json=body)), {"smtp.from": mark}

    def read(self, c, key):
        value = c.get(f"{API}/config/smtp/").json()["options"]["from"]
        return value.removesuffix("@example.com") or ABSENT


class KkokFilters(Worker):
    def next_change(self):
        have = self.keys(True)
        mark = self.marker()
        if self.rng.random() < 0.7 or not have:
            key = self.rng.choice(have) if have and self.rng.random() < 0.4 else self.fresh_key("f")
            flt = {"type": "discard", "if": f"alert.Host == '{mark}'"}
            return (lambda c: c.put(f"/filters/{key}", json=flt)), {key: mark}
        key = self.rng.choice(have)
        return (lambda c: c.delete(f"/filters/{key}")), {key: ABSENT}

    def read(self, c, key):
        r = c.get(f"/filters/{key}")
        if r.status_code == 404:
            return ABSENT
        return r.json()["if"].split("'")[1]


def test_kill9_during_concurrent_mutations_loses_nothing_acknowledged(server):
    rng = random.Random(16)
    kinds = [Tasks, Templates, Handlers, ConfigOverride, KkokFilters]
    workers = [cls(f"w{i}", server.url, rng.randrange(1 << 30)) for i, cls in enumerate(kinds)]
    lost: list[str] = []
    in_flight = 0
    for _cycle in range(CYCLES):
        threads = [threading.Thread(target=w.run) for w in workers]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.3, 1.2))
        server.stop(signal.SIGKILL)
        for w in workers:
            w.stop.set()
        for t in threads:
            t.join(30)
        for w in workers:
            assert not w.error, w.error
        in_flight += sum(len(w.maybe) > 0 for w in workers)
        server.start()
        with httpx.Client(base_url=server.url, timeout=10) as c:
            for w in workers:
                lost += w.check(c)
    acked = sum(w.acked for w in workers)
    print(
        f"kill -9 cycles: {CYCLES}, acknowledged mutations: {acked}, "
        f"in flight at a kill: {in_flight}, lost: {len(lost)}"
    )
    assert not lost, "\n".join(lost)
    assert acked >= CYCLES * 10  # the mutations did run between the kills
