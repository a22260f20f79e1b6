"""`stats`, `vars`, `backup`, `service-tests`, `version`, `logs`, the server URL and a server that is down."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest
from cli_helpers import cli_env, spawn

from kapacitrio.cli.client.backup import _umask
from kapacitrio.testing.ports import free_port


def test_stats_general_and_vars(kap, shared_server):
    body = shared_server.client.get("/kapacitor/v1/debug/vars").json()
    r = kap("stats", "general")
    assert r.code == 0
    stats = {k.strip(): v.strip() for k, _, v in (ln.partition(":") for ln in r.out.splitlines())}
    assert stats["ClusterID"] == body["cluster_id"]
    assert stats["ServerID"] == body["server_id"]
    assert stats["Tasks"] == str(body["num_tasks"])
    assert stats["Version"] == body["version"]

    # Kapacitor's layout: label and value each padded to 30 columns
    assert f"{'Tasks:':<30}{body['num_tasks']:<30}" in r.out.splitlines()

    lp = "ingress_m v=1 1\ningress_m v=2 2\ningress_other v=1 1\n"
    params = {"db": "ingressdb", "rp": "autogen", "precision": "s"}
    assert shared_server.client.post("/write", params=params, content=lp).status_code == 204
    r = kap("stats", "ingress")
    assert r.code == 0
    lines = r.out.splitlines()
    assert (
        lines[0]
        == f"{'Database':<30}{'Retention Policy':<30}{'Measurement':<30}{'Points Received':<20}"
    )
    ours = [line for line in lines[1:] if line.startswith("ingressdb ")]
    assert ours == [
        f"{'ingressdb':<30}{'autogen':<30}{'ingress_m':<30}{'2':<20}",
        f"{'ingressdb':<30}{'autogen':<30}{'ingress_other':<30}{'1':<20}",
    ]

    r = kap("vars")
    assert r.code == 0 and json.loads(r.out)["cluster_id"] == body["cluster_id"]


def test_backup(kap, tmp_path):
    target = tmp_path / "kapacitor.db"
    assert kap("backup", str(target)).code == 0
    assert target.read_bytes().startswith(b"SQLite format 3\x00")
    assert target.stat().st_mode & 0o777 == 0o666 & ~_umask()

    r = kap("backup", str(target))
    assert r.code == 3 and "already exists" in r.err
    assert kap("backup", "-f", str(target)).code == 0
    r = kap("backup", str(tmp_path / "no" / "dir" / "x.db"))
    assert r.code == 3 and r.err.count("\n") == 1


def test_service_tests(kap):
    r = kap("list", "service-tests", "pagerduty*")
    assert r.out.split() == ["Service", "Name", "pagerduty", "pagerduty2"]

    r = kap("service-tests", "httppost", "pagerduty*")
    assert r.code == 0
    rows = [line.split()[:2] for line in r.out.splitlines()]
    assert rows[0] == ["Service", "Success"]
    assert [row[0] for row in rows[1:]] == ["httppost", "pagerduty", "pagerduty2"]
    assert all(row[1] in ("true", "false") for row in rows[1:])

    r = kap("service-tests", "nosuchservice")
    assert r.code == 3 and "nosuchservice" in r.err and r.err.count("\n") == 1


def test_version(kap, shared_server):
    from kapacitrio import __version__

    r = kap("version")
    assert r.code == 0
    lines = r.out.splitlines()
    assert lines[0] == f"kapacitrio {__version__}"
    header = shared_server.client.get("/kapacitor/v1/ping").headers["X-Kapacitor-Version"]
    assert lines[1] == f"server {shared_server.url}: Kapacitor {header}"


def test_url_from_the_environment_and_the_flag(shared_server, tmp_path):
    down = f"http://127.0.0.1:{free_port()}"
    # $KAPACITOR_URL is used when there is no flag ...
    proc = spawn("list", "tasks", env=cli_env(KAPACITOR_URL=shared_server.url))
    out, err = proc.communicate(timeout=30)
    assert (proc.returncode, err) == (0, "") and out.startswith("ID ")
    # ... and -url (after the command) wins over it.
    proc = spawn("list", "tasks", "-url", shared_server.url, env=cli_env(KAPACITOR_URL=down))
    out, err = proc.communicate(timeout=30)
    assert (proc.returncode, err) == (0, "")


def test_server_down_is_one_line_and_exit_3(kap, tmp_path):
    down = f"http://127.0.0.1:{free_port()}"
    script = tmp_path / "t.tick"
    script.write_text("stream|from()\n")
    for argv in (
        ["list", "tasks"],
        ["show", "x"],
        ["define", "x", "-type", "stream", "-tick", str(script), "-dbrp", "a.b"],
        ["logs"],
        ["watch-events", "-n", "1", "sys"],
        ["watch", "sometask"],
        ["level", "debug"],
        ["backup", str(tmp_path / "b.db")],
        ["stats", "general"],
        ["record", "stream", "-task", "x", "-duration", "1s"],
    ):
        r = kap(*argv, url=down)
        assert r.code == 3, argv
        assert r.out == "" and r.err.count("\n") == 1, (argv, r.err)
        assert down.split("//")[1] in r.err, (argv, r.err)
    assert not (tmp_path / "b.db").exists()
    # The same from a real process: one line, no traceback.
    proc = spawn("-url", down, "list", "tasks")
    out, err = proc.communicate(timeout=30)
    assert (proc.returncode, out) == (3, "")
    assert err.startswith(f"cannot connect to {down}: ") and err.count("\n") == 1


def test_bad_url():
    proc = spawn("-url", "localhost:9092", "list", "tasks")
    _, err = proc.communicate(timeout=30)
    assert (
        proc.returncode == 4  # Kapacitor's status for a URL it cannot use
        and err.strip() == "invalid URL 'localhost:9092': it needs a scheme such as http://"
    )


def test_logs_follows_the_stream_until_interrupted(shared_server):
    proc = spawn("logs", "service=http", env=cli_env(KAPACITOR_URL=shared_server.url))
    assert proc.stdout is not None
    try:
        # Keep making requests until the follower has printed one of their log lines.
        line = ""
        deadline = time.monotonic() + 15
        while "service=http" not in line:
            assert time.monotonic() < deadline and proc.poll() is None, "no log line arrived"
            shared_server.client.get("/kapacitor/v1/ping", params={"from": "cli-logs-test"})
            line = _readline_soon(proc)
        assert "lvl=" in line
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 0 and err == ""
    assert all("service=http" in ln for ln in out.splitlines())


def _readline_soon(proc) -> str:
    """A line from the child's stdout if one arrives within a short while, else ''."""
    import selectors

    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if sel.select(timeout=0.2):
            return proc.stdout.readline()
    return ""


def test_help(kap):
    # usage goes to stderr, as Kapacitor's client prints it
    r = kap("help", "define")
    assert r.code == 0 and r.out == "" and r.err.startswith("usage: kapacitrio define ")
    assert "-tick FILE" in r.err and "-dbrp db.rp" in r.err
    # `help` alone: its own usage, then the command list and options; exit 1 as Kapacitor's
    r = kap("help")
    assert r.code == 1 and r.out == ""
    assert r.err.startswith("Usage: kapacitrio help [command]\n\nUsage: kapacitrio [options] ")
    assert "define-topic-handler" in r.err and "watch-events" in r.err and "level " in r.err
    assert "-url URL" in r.err and "KAPACITOR_URL" in r.err
    assert "one module per sub-command" not in r.err  # no internal docstring
    r = kap("help", "nosuch")
    assert r.code == 1 and r.err.startswith("Unknown command nosuch\nUsage: kapacitrio ")


def test_top_level_usage_and_unknown_commands():
    # no command, an unknown one, and -h: Kapacitor's texts on stderr, nothing on stdout
    for argv, status, first in (
        ([], 1, "Error: Must pass a command."),
        (["nosuch"], 1, "Unknown command nosuch"),
        (["-h"], 0, "Usage: kapacitrio [options] [command] [args]"),
    ):
        proc = spawn(*argv)
        out, err = proc.communicate(timeout=30)
        assert (proc.returncode, out) == (status, ""), argv
        assert err.splitlines()[0] == first, (argv, err)
        assert "  -url URL" in err and "KAPACITOR_URL" in err, argv
    # a sub-command's -h goes to stderr too
    proc = spawn("list", "-h")
    out, err = proc.communicate(timeout=30)
    assert (proc.returncode, out) == (0, "") and err.startswith("usage: kapacitrio list")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["show"], "Must specify one task ID"),
        (["show", "a", "b"], "Must specify one task ID"),
        (["show-template"], "Must specify one template ID"),
        (["show-topic"], "Must specify one topic ID"),
        (["show-topic-handler", "t"], "Must specify both topic and handler IDs"),
        (["define"], "Must provide a task ID."),
        (["define-template"], "Must provide a template ID."),
        (["define-topic-handler"], "Must provide a path to a handler file."),
        (["enable"], "Must pass at least one task ID"),
        (["disable"], "Must pass at least one task ID"),
        (["reload"], "Must pass at least one task ID"),
        (["delete", "tasks"], "Must pass at least one ID"),
        (["list"], "Must specify 'tasks', 'recordings', 'replays', 'topics', or 'topic-handlers'"),
        (["level"], "Must pass a log level"),
    ],
)
def test_usage_errors_exit_2(kap, argv, message):
    # A command used wrongly: Kapacitor's message, then the usage, on stderr; exit status 2.
    r = kap(*argv)
    assert (r.code, r.out) == (2, "")
    assert r.err.startswith(message + "\n") and "Usage: kapacitrio " in r.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["list", "nosuch"], "cannot list 'nosuch' did you mean 'tasks', 'recordings', "
         "'replays', 'topics', 'topic-handlers' or 'service-tests'?"),
        (["delete", "nosuch", "x"], "cannot delete 'nosuch' did you mean 'tasks', 'templates', "
         "'recordings', 'replays', 'topics' or 'topic-handlers'?"),
        (["logs", "service"], "bad keyvalue pair: 'service'"),
        (["logs", "a=b=c"], "bad keyvalue pair: 'a=b=c'"),
        (["watch"], "must provide task ID."),
        (["watch", "t", "node"], "bad keyvalue pair: 'node'"),
        (["backup"], "must provide file path for backup."),
        (["level", "loud"], "invalid log level"),
    ],
)  # fmt: skip
def test_command_errors_exit_3(kap, argv, message):
    r = kap(*argv)
    assert (r.code, r.out, r.err) == (3, "", message + "\n")


def test_skip_verify(monkeypatch):
    from argparse import Namespace

    from kapacitrio.cli.client.http import verify_tls

    monkeypatch.delenv("KAPACITOR_UNSAFE_SSL", raising=False)
    assert verify_tls(Namespace()) is True
    assert verify_tls(Namespace(skip_verify=True)) is False
    assert verify_tls(Namespace(global_skip_verify=True)) is False
    monkeypatch.setenv("KAPACITOR_UNSAFE_SSL", "true")
    assert verify_tls(Namespace()) is False


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://:abc", "invalid URL 'http://:abc': Invalid port: 'abc'"),
        ("ftp://x", "invalid URL 'ftp://x': the scheme must be http or https"),
        ("http://", "invalid URL 'http://': no host"),
    ],
)
def test_invalid_urls(kap, url, message):
    r = kap("list", "tasks", url=url)
    assert (r.code, r.out, r.err) == (4, "", message + "\n")


def test_ids_are_escaped_in_paths(kap, shared_server):
    # An ID with '/' or '?' must not reach another route (a task's httpOut, a query string).
    for argv in (["show", "a b?c"], ["show-template", "x?y=1"], ["delete", "tasks", "a#b"]):
        r = kap(*argv)
        assert r.code == (0 if argv[0] == "delete" else 3)
        assert r.err in ("", "no task exists\n", "no template exists\n"), (argv, r.err)
    from kapacitrio.cli.client.events import feed_url

    assert (
        feed_url("http://h:1", "a/b?c")
        == "ws://h:1/kapacitor/v1preview/alerts/topics/a%2Fb%3Fc/feed"
    )


def test_version_flag():
    from kapacitrio import __version__

    r = subprocess.run(
        [sys.executable, "-m", "kapacitrio", "--version"], capture_output=True, text=True
    )
    assert (r.returncode, r.stdout) == (0, f"kapacitrio {__version__}\n")
