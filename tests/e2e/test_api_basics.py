"""End-to-end: ping, headers, errors, routes, debug vars and writes against the real server."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys

COUNT_SCRIPT = (
    "stream\n    |from()\n        .measurement('cpu')\n"
    "    |window()\n        .period(10s)\n        .every(10s)\n"
    "    |count('value')\n    |httpOut('count')\n"
)


def _task(client, task_id: str = "cnt", **extra):
    body = {
        "id": task_id,
        "type": "stream",
        "dbrps": [{"db": "db", "rp": "rp"}],
        "script": COUNT_SCRIPT,
        "status": "enabled",
    }
    body.update(extra)
    return client.post("/kapacitor/v1/tasks", json=body)


def test_ping_version_header_and_preview(server):
    c = server.client
    for path in ("/kapacitor/v1/ping", "/kapacitor/v1preview/ping"):
        r = c.get(path)
        assert r.status_code == 204
        assert r.content == b""
        assert r.headers["X-Kapacitor-Version"]
    assert c.head("/kapacitor/v1/ping").status_code == 204


def test_unknown_route_and_method_are_json_errors(server):
    c = server.client
    r = c.get("/kapacitor/v1/no-such-thing")
    assert r.status_code == 404
    assert r.json() == {"error": "Not Found"}
    assert r.headers["X-Kapacitor-Version"]
    r = c.put("/kapacitor/v1/ping")
    assert r.status_code == 405
    assert "error" in r.json()
    # logs are preview only
    assert c.get("/kapacitor/v1/logs").status_code == 404


def test_routes_and_debug_vars(server):
    c = server.client
    routes = c.get("/kapacitor/v1/:routes").json()
    assert routes["/kapacitor/v1/tasks"] == ["GET", "POST"]
    assert set(routes["/kapacitor/v1/tasks/<task_id>"]) == {"GET", "PATCH", "DELETE"}
    assert "/kapacitor/v1preview/tasks" in routes
    assert "/kapacitor/v1preview/logs" in routes
    assert "/write" in routes
    assert _task(c).status_code == 200
    dv = c.get("/kapacitor/v1/debug/vars").json()
    assert dv["num_tasks"] == 1
    assert dv["num_enabled_tasks"] == 1
    assert dv["product"] == "kapacitor"
    assert dv["server_id"] and dv["cluster_id"]
    assert any(
        s["name"] == "nodes" and s["tags"]["task"] == "cnt" for s in dv["kapacitor"].values()
    )


def test_write_routes_points_to_tasks(server):
    c = server.client
    assert _task(c).status_code == 200
    body = "cpu value=1 0\ncpu value=2 5\nmem value=1 6\ncpu value=3 11\n"
    r = c.post(
        "/kapacitor/v1/write", params={"db": "db", "rp": "rp", "precision": "s"}, content=body
    )
    assert r.status_code == 204
    out = c.get("/kapacitor/v1/tasks/cnt/count").json()
    assert out["series"][0]["values"] == [["1970-01-01T00:00:10Z", 2]]
    # the InfluxDB-style alias, gzip-encoded
    gz = gzip.compress(b"cpu value=4 21\n")
    r = c.post(
        "/write",
        params={"db": "db", "rp": "rp", "precision": "s"},
        content=gz,
        headers={"Content-Encoding": "gzip"},
    )
    assert r.status_code == 204
    second = c.get("/kapacitor/v1/tasks/cnt/count").json()["series"][0]["values"]
    assert len(second) == 1 and second[0][1] == 1
    assert second[0][0] > "1970-01-01T00:00:10Z"
    # other db/rp reaches no task
    r = c.post("/write", params={"db": "x", "rp": "rp", "precision": "s"}, content="cpu value=9 31")
    assert r.status_code == 204
    assert c.get("/kapacitor/v1/tasks/cnt/count").json()["series"][0]["values"] == second


def test_write_errors(server):
    c = server.client
    assert _task(c).status_code == 200
    r = c.post("/write", params={"rp": "rp"}, content="cpu value=1")
    assert r.status_code == 400
    assert r.json() == {"error": "database is required"}
    # a bad line anywhere rejects the whole body: nothing reaches the task
    body = "cpu value=1 0\ncpu value=2 5\ncpu valu 7\ncpu value=3 11\n"
    r = c.post("/write", params={"db": "db", "rp": "rp", "precision": "s"}, content=body)
    assert r.status_code == 400
    assert "cpu valu" in r.json()["error"]
    assert not c.get("/kapacitor/v1/tasks/cnt/count").json().get("series")
    stats = c.get("/kapacitor/v1/tasks/cnt").json()["stats"]["node-stats"]
    assert stats["stream0"]["collected"] == 0
    r = c.post(
        "/write",
        params={"db": "db", "rp": "rp"},
        content=b"not gzip",
        headers={"Content-Encoding": "gzip"},
    )
    assert r.status_code == 400
    assert r.json()["error"].startswith("gzip")
    r = c.post("/write", params={"db": "db", "rp": "rp", "precision": "x"}, content="cpu value=1")
    assert r.status_code == 400
    assert "precision" in r.json()["error"]
    assert c.post("/write", params={"db": "db"}, content="").status_code == 204


def test_body_size_limit(server_factory):
    srv = server_factory(env={"KAPACITOR_HTTP_MAX_BODY_SIZE": "100"})
    c = srv.client
    r = c.post("/write", params={"db": "db", "rp": "rp"}, content="cpu value=1\n" * 20)
    assert r.status_code == 413
    assert r.json() == {"error": "request body too large"}
    big = gzip.compress(b"cpu value=1\n" * 20)
    assert len(big) < 100
    r = c.post(
        "/write", params={"db": "db", "rp": "rp"}, content=big, headers={"Content-Encoding": "gzip"}
    )
    assert r.status_code == 413


def test_bad_json_is_400_not_500(server):
    c = server.client
    for path in ("/kapacitor/v1/tasks", "/kapacitor/v1/templates"):
        r = c.post(path, content=b"{not json")
        assert r.status_code == 400
        assert r.json() == {"error": "invalid JSON"}
        r = c.post(path, content=b"[1, 2]")
        assert r.status_code == 400
    r = c.post(
        "/kapacitor/v1/tasks",
        json={"id": "x", "type": "stream", "dbrps": "nope", "script": "stream"},
    )
    assert r.status_code == 400


def test_sigint_and_sigterm_stop_cleanly(server):
    assert server.stop(signal.SIGINT) == 0
    assert "kapacitrio stopped" in server.logs()
    server.start()
    assert server.stop(signal.SIGTERM) == 0
    assert server.logs().count("kapacitrio stopped") == 2


def test_config_file_env_override_and_flags(server_factory, tmp_path):
    pidfile = tmp_path / "k.pid"
    srv = server_factory(
        config='hostname = "from-file"\n[http]\nlog-enabled = false\n[logging]\nlevel = "warn"\n',
        env={"KAPACITOR_HOSTNAME": "from-env"},
        args=["-pidfile", str(pidfile), "-log-level", "info"],
    )
    dv = srv.client.get("/kapacitor/v1/debug/vars").json()
    assert dv["host"] == "from-env"
    assert int(pidfile.read_text()) == srv.proc.pid == dv["pid"]
    assert "http request" not in srv.logs()
    assert "msg=listening" in srv.logs()  # -log-level info beats the file's warn
    srv.stop()
    assert not pidfile.exists()


def test_bad_config_exits_with_an_error(server_factory):
    srv = server_factory(config="[http]\nmax-body-size = 'big'\n", start=False)
    try:
        srv.start(timeout=20)
    except RuntimeError as exc:
        assert "invalid value 'big'" in str(exc)
    else:
        raise AssertionError("server started with a bad config")
    assert srv.proc.returncode == 1


def test_log_level_from_the_environment(server_factory):
    srv = server_factory(env={"KAPACITOR_LOGGING_LEVEL": "warn"})
    assert srv.client.get("/kapacitor/v1/nowhere").status_code == 404
    srv.stop()
    assert "lvl=info" not in srv.logs()


def _serve_once(env: dict[str, str], cwd) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith("KAPACITOR_")}
    full.update(env)
    cmd = [sys.executable, "-m", "kapacitrio", "serve"]
    return subprocess.run(cmd, env=full, cwd=cwd, capture_output=True, text=True, timeout=60)


def test_port_in_use_and_bad_data_dir_exit_cleanly(server, tmp_path):
    busy = _serve_once(
        {
            "KAPACITOR_HTTP_BIND_ADDRESS": f"127.0.0.1:{server.port}",
            "KAPACITOR_DATA_DIR": str(tmp_path / "d"),
        },
        tmp_path,
    )
    assert busy.returncode == 1
    assert "kapacitrio: cannot start: [Errno 98] Address already in use" in busy.stderr
    assert "Traceback" not in busy.stderr
    (tmp_path / "afile").write_text("")
    bad = _serve_once(
        {
            "KAPACITOR_HTTP_BIND_ADDRESS": "127.0.0.1:0",
            "KAPACITOR_DATA_DIR": str(tmp_path / "afile" / "d"),
        },
        tmp_path,
    )
    assert bad.returncode == 1
    assert "cannot open database" in bad.stderr and "Traceback" not in bad.stderr


def test_config_path_from_the_environment(server_factory, tmp_path):
    path = tmp_path / "env.toml"
    path.write_text('hostname = "via-env-path"\n')
    srv = server_factory(env={"KAPACITOR_CONFIG_PATH": str(path)})
    assert srv.client.get("/kapacitor/v1/debug/vars").json()["host"] == "via-env-path"
