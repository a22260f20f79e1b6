"""Test hosts in network namespaces on one bridge: NATS nodes and kapacitrio instances as processes.

`Lab` makes a bridge in the root namespace (the test process is the host at `.1`) and one namespace
per host with a veth pair on that bridge; `lab.spawn(host, argv)` runs a process inside a host.
Partitions are blackhole routes inside one namespace, so the test still reaches that host.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

NATS_SERVER = shutil.which("nats-server") or "/usr/sbin/nats-server"


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check)


class NamespacesRefused(Exception):
    """The kernel (or missing privileges) does not let the test make network namespaces."""


@dataclass
class Host:
    name: str
    ns: str
    ip: str
    procs: list[subprocess.Popen] = field(default_factory=list)


class Lab:
    """Namespaced hosts on a private bridge; `close()` removes everything it made."""

    def __init__(self, workdir: Path) -> None:
        tag = os.getpid() % 10000
        self.tag = f"kt{tag}"
        self.bridge = f"ktb{tag}"
        self.net = f"10.213.{tag % 250}"
        self.gateway = f"{self.net}.1"
        self.workdir = workdir
        self.hosts: dict[str, Host] = {}
        self._made_bridge = False
        try:
            _ip("link", "add", self.bridge, "type", "bridge")
        except (subprocess.CalledProcessError, FileNotFoundError) as exc:
            raise NamespacesRefused(f"cannot create a bridge: {_why(exc)}") from None
        self._made_bridge = True
        _ip("addr", "add", f"{self.gateway}/24", "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")

    def add_host(self, name: str, last_octet: int) -> Host:
        ns = f"{self.tag}-{name}"
        try:
            _ip("netns", "add", ns)
        except subprocess.CalledProcessError as exc:
            raise NamespacesRefused(f"cannot create a network namespace: {_why(exc)}") from None
        host = Host(name, ns, f"{self.net}.{last_octet}")
        self.hosts[name] = host
        outer, inner = f"{self.tag}{name}", f"{self.tag}{name}p"
        _ip("link", "add", outer, "type", "veth", "peer", "name", inner)
        _ip("link", "set", inner, "netns", ns)
        _ip("link", "set", outer, "master", self.bridge, "up")
        _ip("-n", ns, "link", "set", inner, "name", "eth0")
        _ip("-n", ns, "addr", "add", f"{host.ip}/24", "dev", "eth0")
        _ip("-n", ns, "link", "set", "eth0", "up")
        _ip("-n", ns, "link", "set", "lo", "up")
        return host

    def spawn(self, host: str, argv: list[str], log: Path, env: dict[str, str] | None = None):
        h = self.hosts[host]
        out = open(log, "ab")
        proc = subprocess.Popen(
            ["ip", "netns", "exec", h.ns, *argv],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
        out.close()
        h.procs.append(proc)
        return proc

    def cut(self, host: str, ips: list[str]) -> None:
        """Make `ips` unreachable from `host` (established connections fail on their next send)."""
        for ip in ips:
            _ip("-n", self.hosts[host].ns, "route", "add", "blackhole", f"{ip}/32")

    def heal(self, host: str, ips: list[str]) -> None:
        for ip in ips:
            _ip("-n", self.hosts[host].ns, "route", "del", "blackhole", f"{ip}/32", check=False)

    def close(self) -> None:
        for h in self.hosts.values():
            for p in h.procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGKILL)
            for p in h.procs:
                try:
                    p.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
            _ip("netns", "del", h.ns, check=False)
        if self._made_bridge:
            _ip("link", "del", self.bridge, check=False)


def _why(exc: BaseException) -> str:
    if isinstance(exc, subprocess.CalledProcessError):
        return (exc.stderr or "").strip() or str(exc)
    return str(exc)


def nats_config(name: str, ip: str, peers: list[str], store: Path) -> str:
    routes = ", ".join(f"nats-route://{p}:6222" for p in peers if p != ip)
    return (
        f"server_name: {name}\n"
        f"listen: {ip}:4222\n"
        f'jetstream {{ store_dir: "{store}" }}\n'
        f"cluster {{ name: ktc, listen: {ip}:6222, routes: [{routes}] }}\n"
    )


def kapacitrio_argv() -> list[str]:
    return [sys.executable, "-m", "kapacitrio", "serve"]


def wait_until(predicate, timeout: float, step: float = 0.1, what: str = "condition"):
    """Poll `predicate()` (sync) until it returns something truthy; raise after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(step)
