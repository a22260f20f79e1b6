"""`record`, `replay` and their listings against the real server."""

from __future__ import annotations

import time

import pytest
from cli_helpers import cli_env, spawn

TICK = "stream|from().measurement('rc')|httpOut('out')\n"


def define_task(kap, tmp_path, task_id: str) -> None:
    path = tmp_path / "rc.tick"
    path.write_text(TICK)
    r = kap("define", task_id, "-type", "stream", "-tick", str(path), "-dbrp", "rdb.autogen")
    assert (r.code, r.err) == (0, "")


def rows(out: str) -> list[list[str]]:
    return [line.split() for line in out.splitlines()[1:]]


def test_record_stream_then_replay(kap, shared_server, tmp_path):
    define_task(kap, tmp_path, "rtask")
    env = cli_env(KAPACITOR_URL=shared_server.url)
    proc = spawn(
        "record", "stream", "-task", "rtask", "-duration", "1s", "-recording-id", "rec1", env=env
    )
    try:
        deadline = time.monotonic() + 20
        n = 0
        while proc.poll() is None:
            assert time.monotonic() < deadline, "the recording never finished"
            n += 1
            r = shared_server.client.post(
                "/write", params={"db": "rdb", "rp": "autogen"}, content=f"rc,host=h v={n}"
            )
            assert r.status_code == 204
            time.sleep(0.05)
        out, err = proc.communicate()
    finally:
        proc.kill()
        proc.wait()
    assert (proc.returncode, out, err) == (0, "rec1\n", "")

    r = kap("list", "recordings", "rec*")
    assert r.out.splitlines()[0].split() == ["ID", "Type", "Status", "Size", "Date"]
    (row,) = rows(r.out)
    assert row[:3] == ["rec1", "stream", "finished"]
    assert float(row[3]) > 0 and row[4] in ("B", "kB", "MB")

    r = kap("replay", "-task", "rtask", "-recording", "rec1", "-replay-id", "rp1")
    assert (r.code, r.out, r.err) == (0, "rp1\n", "")
    (row,) = rows(kap("list", "replays", "rp*").out)
    assert row[:5] == ["rp1", "rtask", "rec1", "finished", "fast"]

    assert kap("delete", "replays", "rp*").code == 0
    assert kap("delete", "recordings", "rec1").code == 0
    assert rows(kap("list", "recordings", "rec*").out) == []
    assert rows(kap("list", "replays", "rp*").out) == []


def test_record_no_wait_prints_the_id_at_once(kap, tmp_path, shared_server):
    define_task(kap, tmp_path, "rtask2")
    r = kap("record", "stream", "-task", "rtask2", "-duration", "1h", "-no-wait")
    assert r.code == 0 and r.err == ""
    rec_id = r.out.strip()
    got = shared_server.client.get(f"/kapacitor/v1/recordings/{rec_id}")
    assert got.status_code == 202 and got.json()["status"] == "running"
    assert kap("delete", "recordings", rec_id).code == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["replay", "-task", "rtask3", "-recording", "nosuch"], "recording not found"),
        (["record", "stream", "-task", "nosuch", "-duration", "1s"], "no task exists"),
        (["record", "stream", "-task", "rtask3", "-duration", "1x"], "invalid duration '1x'"),
        (["record", "stream", "-task", "rtask3"], "both task and duration are required"),
        (["record", "stream", "-duration", "1s"], "both task and duration are required"),
        (["record", "batch", "-task", "rtask3"], "must set one of start or past flags."),
        (["record", "batch", "-past", "1h"], "task is required"),
        (
            ["record", "batch", "-task", "rtask3", "-past", "1h", "-start", "2020-01-01T00:00:00Z"],
            "cannot set both start and past flags.",
        ),
        (["record", "query", "-type", "stream"], "both query and type are required"),
        (["replay", "-task", "rtask3"], "must pass recording ID"),
        (["replay", "-recording", "r"], "must pass task ID"),
        (["replay-live", "query", "-task", "rtask3"], "both query and task are required"),
        (["record", "batch", "-task", "rtask3", "-past", "1h"], "cannot record batch data"),
    ],
)
def test_record_and_replay_errors(kap, tmp_path, argv, message):
    define_task(kap, tmp_path, "rtask3")
    r = kap(*argv)
    assert r.code == 3 and r.out == ""
    assert message in r.err and r.err.count("\n") == 1
