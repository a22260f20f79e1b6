"""`logs lvl=LEVEL[+]`, `watch TASK [k=v]` and `level LEVEL` against a real server."""

from __future__ import annotations

import signal
import time

from cli_helpers import cli_env, spawn

#: A task whose log nodes log each point at warn, then at error.
LOG_TICK = "stream|from().measurement('{m}')|log().level('WARN')|log().level('ERROR')\n"


def _log_task(kap, srv, tmp_path, task_id: str, measurement: str) -> None:
    path = tmp_path / f"{task_id}.tick"
    path.write_text(LOG_TICK.format(m=measurement))
    r = kap("define", task_id, "-type", "stream", "-tick", str(path), "-dbrp", "lg.autogen")
    assert (r.code, r.err) == (0, "")
    assert kap("enable", task_id).code == 0


def _follow(srv, argv: list[str], feed, want) -> list[str]:
    """Run a log-following command, calling `feed()` until `want(lines)` holds; its lines."""
    proc = spawn(*argv, env=cli_env(KAPACITOR_URL=srv.url))
    assert proc.stdout is not None
    import os
    import selectors

    os.set_blocking(proc.stdout.fileno(), False)
    lines: list[str] = []
    buf = ""
    try:
        deadline = time.monotonic() + 20
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            while not want(lines):
                assert time.monotonic() < deadline and proc.poll() is None, (argv, lines)
                feed()
                if sel.select(timeout=0.1):
                    buf += proc.stdout.read() or ""
                    *done, buf = buf.split("\n")
                    lines.extend(done)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    finally:
        proc.kill()
        proc.wait()
    assert (proc.returncode, err) == (0, ""), argv
    return lines + [ln for ln in (buf + out).split("\n") if ln]


def test_level_thresholds_and_exact_levels(kap, shared_server, tmp_path):
    _log_task(kap, shared_server, tmp_path, "lvl_t", "lvlm")
    n = [0]

    def feed() -> None:
        n[0] += 1
        shared_server.client.post(
            "/write", params={"db": "lg", "rp": "autogen"}, content=f"lvlm v={n[0]}"
        )
        shared_server.client.get("/kapacitor/v1/ping")  # an info entry from the http service

    def has(*levels: str):
        return lambda lines: all(any(f"lvl={lv}" in ln for ln in lines) for lv in levels)

    # lvl=warn+ : warn and error, never info
    lines = _follow(shared_server, ["logs", "lvl=warn+"], feed, has("warn", "error"))
    assert lines and all(("lvl=warn" in ln) or ("lvl=error" in ln) for ln in lines), lines
    # lvl=warn : exactly warn
    lines = _follow(shared_server, ["logs", "lvl=warn", "task=lvl_t"], feed, has("warn"))
    assert all("lvl=warn" in ln and "task=lvl_t" in ln for ln in lines), lines
    # lvl=info+ with another pair: info from the http service passes the threshold
    lines = _follow(shared_server, ["logs", "service=http", "lvl=info+"], feed, has("info"))
    assert all("service=http" in ln for ln in lines), lines
    assert kap("delete", "tasks", "lvl_t").code == 0


def test_a_debug_tail_below_the_server_level(kap, shared_server, tmp_path):
    # The server logs at info; `logs lvl=debug` still gets a log node's debug entries (as from
    # Kapacitor), and they stay out of the server's own log.
    path = tmp_path / "dbg.tick"
    path.write_text("stream|from().measurement('dbgm')|log().level('DEBUG')\n")
    r = kap("define", "dbg_t", "-type", "stream", "-tick", str(path), "-dbrp", "lg.autogen")
    assert (r.code, r.err) == (0, "") and kap("enable", "dbg_t").code == 0
    n = [0]

    def feed() -> None:
        n[0] += 1
        shared_server.client.post(
            "/write", params={"db": "lg", "rp": "autogen"}, content=f"dbgm v={n[0]}"
        )

    lines = _follow(shared_server, ["logs", "lvl=debug", "task=dbg_t"], feed, lambda ls: ls)
    assert all("lvl=debug" in ln and "task=dbg_t" in ln for ln in lines), lines
    own = [ln for ln in shared_server.logs().splitlines() if "task=dbg_t" in ln]
    assert own and not any(ln.split()[1] == "lvl=debug" for ln in own), own
    assert kap("delete", "tasks", "dbg_t").code == 0


def test_watch_tails_one_tasks_logs(kap, shared_server, tmp_path):
    _log_task(kap, shared_server, tmp_path, "watch_a", "wam")
    _log_task(kap, shared_server, tmp_path, "watch_b", "wbm")
    n = [0]

    def feed() -> None:
        n[0] += 1
        for m in ("wam", "wbm"):
            shared_server.client.post(
                "/write", params={"db": "lg", "rp": "autogen"}, content=f"{m} v={n[0]}"
            )

    # `watch TASK` is Kapacitor's: that task's log entries only (not alert events, and no hang)
    lines = _follow(shared_server, ["watch", "watch_a"], feed, lambda ls: len(ls) >= 2)
    assert all("task=watch_a" in ln for ln in lines) and not any("watch_b" in ln for ln in lines)
    # extra k=v pairs narrow it, and take level thresholds too
    lines = _follow(
        shared_server, ["watch", "watch_a", "lvl=error+"], feed, lambda ls: len(ls) >= 2
    )
    assert all("task=watch_a" in ln and "lvl=error" in ln for ln in lines), lines
    for t in ("watch_a", "watch_b"):
        assert kap("delete", "tasks", t).code == 0


def test_level_changes_the_server_log_level_live(kap, shared_server):
    api = f"{shared_server.url}/kapacitor/v1/loglevel"
    try:
        r = kap("level", "error")
        assert (r.code, r.out, r.err) == (0, "", "")
        before = len(shared_server.logs())
        for _ in range(3):
            shared_server.client.get("/kapacitor/v1/ping", params={"from": "level-test"})
        time.sleep(0.3)
        assert "level-test" not in shared_server.logs()[before:]  # info entries are off
        # Kapacitor's API: a JSON body; any case; 400s with its texts
        assert shared_server.client.post(api, json={"level": "INFO"}).status_code == 204
        r = shared_server.client.post(api, json={"level": "verbose"})
        assert (r.status_code, r.json()) == (400, {"error": "invalid log level"})
        r = shared_server.client.post(api, content=b"{nope")
        assert r.status_code == 400 and r.json()["error"].startswith("invalid json: ")
        r = kap("level", "verbose")
        assert (r.code, r.err) == (3, "invalid log level\n")
        before = len(shared_server.logs())
        deadline = time.monotonic() + 10
        while "level-test-2" not in shared_server.logs()[before:]:  # info entries are back
            assert time.monotonic() < deadline
            shared_server.client.get("/kapacitor/v1/ping", params={"from": "level-test-2"})
            time.sleep(0.1)
    finally:
        shared_server.client.post(api, json={"level": "info"})


def test_logs_api_refuses_duplicate_params(shared_server):
    r = shared_server.client.get("/kapacitor/v1preview/logs?lvl=info&lvl=error")
    assert (r.status_code, r.json()) == (
        400,
        {"error": "query params cannot contain duplicate params"},
    )
