"""`record` and `replay` draw a progress bar while they wait on a terminal (stderr), and stay
silent otherwise; stdout carries only the ID either way."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
import threading
import time

from cli_helpers import cli_env
from rich.console import Console

from kapacitrio.cli.client import recording

TICK = "stream|from().measurement('pg')|httpOut('out')\n"


def _define(kap, tmp_path, task_id: str) -> None:
    path = tmp_path / "pg.tick"
    path.write_text(TICK)
    r = kap("define", task_id, "-type", "stream", "-tick", str(path), "-dbrp", "pdb.autogen")
    assert (r.code, r.err) == (0, "")


def test_bar_on_a_real_terminal(kap, shared_server, tmp_path):
    """stderr on a pty: the bar is drawn there; stdout (a pipe) has just the ID."""
    _define(kap, tmp_path, "pg_tty")
    master, slave = pty.openpty()
    argv = ["record", "stream", "-task", "pg_tty", "-duration", "1s", "-recording-id", "pg_rec"]
    env = cli_env(KAPACITOR_URL=shared_server.url, TERM="xterm", COLUMNS="100")
    proc = subprocess.Popen(
        [sys.executable, "-m", "kapacitrio", *argv],
        env=env,
        stdout=subprocess.PIPE,
        stderr=slave,
        text=True,
    )
    os.close(slave)
    drawn = b""
    try:
        deadline = time.monotonic() + 20
        while proc.poll() is None or select.select([master], [], [], 0)[0]:
            assert time.monotonic() < deadline
            if select.select([master], [], [], 0.1)[0]:
                try:
                    drawn += os.read(master, 65536)
                except OSError:  # the child closed its end
                    break
        out, _ = proc.communicate(timeout=10)
    finally:
        proc.kill()
        proc.wait()
        os.close(master)
    assert (proc.returncode, out) == (0, "pg_rec\n")
    text = drawn.decode(errors="replace")
    assert "recording pg_rec" in text and "%" in text, text


def test_bar_for_record_and_replay_with_an_injected_terminal(
    kap, shared_server, tmp_path, monkeypatch
):
    """rich's force_terminal stands in for a terminal: both waits draw; a pipe gets nothing."""
    _define(kap, tmp_path, "pg_inj")
    screens: list[io.StringIO] = []

    def console() -> Console:
        screens.append(io.StringIO())
        return Console(file=screens[-1], force_terminal=True, width=100)

    monkeypatch.setattr(recording, "progress_console", console)

    stop = threading.Event()

    def feed() -> None:  # points spread over the recording, so a real-clock replay takes a while
        n = 0
        while not stop.is_set():
            n += 1
            shared_server.client.post(
                "/write", params={"db": "pdb", "rp": "autogen"}, content=f"pg v={n}"
            )
            time.sleep(0.05)

    writer = threading.Thread(target=feed)
    writer.start()
    try:
        r = kap("record", "stream", "-task", "pg_inj", "-duration", "1s", "-recording-id", "pg_r2")
    finally:
        stop.set()
        writer.join()
    assert (r.code, r.out, r.err) == (0, "pg_r2\n", "")
    assert "recording pg_r2" in screens[-1].getvalue()

    r = kap(
        "replay", "-task", "pg_inj", "-recording", "pg_r2", "-replay-id", "pg_rp", "-real-clock"
    )
    assert (r.code, r.out, r.err) == (0, "pg_rp\n", "")
    assert "replay pg_rp" in screens[-1].getvalue() and "%" in screens[-1].getvalue()

    # Not a terminal: nothing drawn at all.
    quiet = io.StringIO()
    monkeypatch.setattr(
        recording, "progress_console", lambda: Console(file=quiet, force_terminal=False)
    )
    r = kap("replay", "-task", "pg_inj", "-recording", "pg_r2", "-replay-id", "pg_rp2")
    assert (r.code, r.out, r.err, quiet.getvalue()) == (0, "pg_rp2\n", "", "")
