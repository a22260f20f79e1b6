"""End-to-end fixtures: the real `python -m kapacitrio serve` process on a free loopback port.

Fixtures
--------
`server`
    A running server (function scope) with its own temporary data dir. Use `server.url`
    (`http://127.0.0.1:PORT`), `server.api` (`.../kapacitor/v1`), `server.client` (an
    `httpx.Client` on `server.url`), `server.restart()`, `server.stop()`, `server.logs()`
    (everything it wrote to stderr so far), `server.run_logs()` (since the last start).
`server_factory`
    Build more servers, or ones with extra settings:
    `server_factory(env={"KAPACITOR_SMTP_ENABLED": "true"}, config="[smtp]\\nport = 2525\\n")`
    returns a started `ServerProcess`; `start=False` returns it unstarted. `config` is TOML text
    written to a file and passed with `-config`; `args` are extra `serve` arguments. Every server made is stopped at the end of the test.

The fixture picks a free loopback port and keeps it across `restart()`, so URLs stay valid. The data dir is kept across restarts (that is
what persistence tests need) and removed with the test's tmp_path. Every test in this directory is
marked `e2e`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from kapacitrio.testing.ports import free_port


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


class ServerProcess:
    """One kapacitrio server process, started and stopped by the test."""

    def __init__(
        self,
        workdir: Path,
        env: dict[str, str] | None = None,
        config: str | None = None,
        bind_host: str = "127.0.0.1",
        args: list[str] | None = None,
    ) -> None:
        self.workdir = workdir
        self.data_dir = workdir / "data"
        self.extra_env = dict(env or {})
        self.config_path: Path | None = None
        if config is not None:
            self.config_path = workdir / "kapacitrio.toml"
            self.config_path.write_text(config)
        self.bind_host = bind_host
        self.args = list(args or [])
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self._log_path = workdir / "server.log"
        self._log_offset = 0
        self._client: httpx.Client | None = None
        self.starts = 0
        #: `https` for a TLS server; `verify` is passed to httpx (a CA file, or False).
        self.scheme = "http"
        self.verify: str | bool = True

    # -- addresses
    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.bind_host}:{self.port}"

    @property
    def api(self) -> str:
        return f"{self.url}/kapacitor/v1"

    @property
    def preview(self) -> str:
        return f"{self.url}/kapacitor/v1preview"

    @property
    def client(self) -> httpx.Client:
        """An httpx client on `url` (recreated after a restart that changed nothing but the process)."""
        if self._client is None:
            self._client = httpx.Client(base_url=self.url, timeout=30, verify=self.verify)
        return self._client

    # -- lifecycle
    def start(self, timeout: float = 30.0) -> ServerProcess:
        """Start the process and wait until `/kapacitor/v1/ping` answers 204."""
        if self.proc is not None and self.proc.poll() is None:
            raise RuntimeError("server already running")
        if not self.port:
            self.port = free_port(self.bind_host)
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("KAPACITOR_", "KAPACITRIO_"))
        }
        env.update(
            {
                "KAPACITOR_HTTP_BIND_ADDRESS": f"{self.bind_host}:{self.port}",
                "KAPACITOR_DATA_DIR": str(self.data_dir),
                "KAPACITOR_HTTP_SHUTDOWN_TIMEOUT": "2s",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(self.extra_env)
        cmd = [sys.executable, "-m", "kapacitrio", "serve"]
        if self.config_path is not None:
            cmd += ["-config", str(self.config_path)]
        cmd += self.args
        self._log_offset = self._log_path.stat().st_size if self._log_path.exists() else 0
        log = open(self._log_path, "ab")  # noqa: SIM115 - the child holds it
        try:
            self.proc = subprocess.Popen(
                cmd, cwd=self.workdir, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        finally:
            log.close()
        self.starts += 1
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.logs()}")
            try:
                r = httpx.get(f"{self.api}/ping", timeout=2, verify=self.verify)
                if r.status_code == 204:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"server did not answer ping within {timeout}s:\n{self.logs()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int | None:
        """Signal the process and wait for it to exit (killed after `timeout`); returns its status."""
        if self._client is not None:
            self._client.close()
            self._client = None
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def restart(self, timeout: float = 30.0) -> ServerProcess:
        """Stop (SIGTERM) and start again on the same port and data dir."""
        self.stop()
        return self.start(timeout)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    # -- output
    def logs(self) -> str:
        """Everything the process (all its starts) wrote to stdout/stderr so far."""
        try:
            return self._log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def run_logs(self) -> str:
        """What the current (latest) run of the process wrote."""
        return self.logs()[self._log_offset :]


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    made: list[ServerProcess] = []

    def make(
        env: dict[str, str] | None = None,
        config: str | None = None,
        start: bool = True,
        args: list[str] | None = None,
    ) -> ServerProcess:
        workdir = tmp_path / f"server{len(made)}"
        workdir.mkdir()
        srv = ServerProcess(workdir, env=env, config=config, args=args)
        made.append(srv)
        return srv.start() if start else srv

    yield make
    for srv in made:
        srv.stop()


@pytest.fixture
def server(server_factory: Callable[..., ServerProcess]) -> ServerProcess:
    return server_factory()
