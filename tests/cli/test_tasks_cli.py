"""`define`, `list tasks`, `show`, `enable`/`disable`/`reload` and `delete` against the real server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

CPU_TICK = """stream|from().measurement('cpu')|window().period(10s).every(10s)|mean('usage')|httpOut('m')
"""


def tick(tmp_path: Path, text: str = CPU_TICK, name: str = "t.tick") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def table_row(out: str, first: str) -> list[str]:
    """The cells of the table row whose first column is `first`."""
    for line in out.splitlines():
        cells = line.split()
        if cells and cells[0] == first:
            return cells
    raise AssertionError(f"no row {first!r} in:\n{out}")


def test_define_list_show(kap, shared_server, tmp_path):
    r = kap("define", "d1", "-type", "stream", "-tick", tick(tmp_path), "-dbrp", "telegraf.autogen")
    assert (r.code, r.err) == (0, "")
    task = shared_server.client.get("/kapacitor/v1/tasks/d1").json()
    assert task["status"] == "disabled"
    assert task["dbrps"] == [{"db": "telegraf", "rp": "autogen"}]

    r = kap("list", "tasks", "d1")
    assert r.code == 0
    assert r.out.splitlines()[0].split() == [
        "ID", "Type", "Status", "Executing", "Databases", "and", "Retention", "Policies",
    ]  # fmt: skip
    assert table_row(r.out, "d1") == ["d1", "stream", "disabled", "false", '["telegraf"."autogen"]']

    r = kap("show", "d1")
    assert r.code == 0
    lines = r.out.splitlines()
    assert lines[:5] == ["ID: d1", "Error: ", "Template: ", "Type: stream", "Status: disabled"]
    assert 'Databases Retention Policies: ["telegraf"."autogen"]' in lines
    script = r.out.split("TICKscript:\n", 1)[1].split("\nDOT:\n", 1)
    assert script[0].startswith("stream\n    |from()\n        .measurement('cpu')\n")
    assert script[1].startswith("digraph d1 {") and script[1].rstrip().endswith("}")


def test_define_updates_an_existing_task(kap, shared_server, tmp_path):
    assert (
        kap("define", "d2", "-type", "stream", "-tick", tick(tmp_path), "-dbrp", "db.rp").code == 0
    )
    assert kap("enable", "d2").code == 0
    newer = tick(tmp_path, CPU_TICK.replace("'cpu'", "'mem'"), "new.tick")
    r = kap("define", "d2", "-tick", newer)
    assert (r.code, r.err) == (0, "")
    task = shared_server.client.get(
        "/kapacitor/v1/tasks/d2", params={"script-format": "raw"}
    ).json()
    assert "'mem'" in task["script"]
    assert task["status"] == "enabled" and task["executing"] is True
    assert task["dbrps"] == [{"db": "db", "rp": "rp"}]


def test_enable_disable_reload_with_patterns(kap, shared_server, tmp_path):
    script = tick(tmp_path)
    for task_id in ("grp_a", "grp_b", "other_c"):
        assert kap("define", task_id, "-type", "stream", "-tick", script, "-dbrp", "a.b").code == 0
    assert kap("enable", "grp_*").code == 0

    def statuses() -> dict[str, str]:
        tasks = shared_server.client.get(
            "/kapacitor/v1/tasks", params={"fields": "status", "pattern": "*_*"}
        )
        return {t["id"]: t["status"] for t in tasks.json()["tasks"]}

    assert statuses() == {"grp_a": "enabled", "grp_b": "enabled", "other_c": "disabled"}
    out = kap("list", "tasks", "grp_*").out
    assert table_row(out, "grp_a")[2:4] == ["enabled", "true"]
    assert "other_c" not in out

    before = shared_server.client.get("/kapacitor/v1/tasks/grp_a").json()["last-enabled"]
    assert kap("reload", "grp_a").code == 0
    after = shared_server.client.get("/kapacitor/v1/tasks/grp_a").json()
    assert after["status"] == "enabled" and after["last-enabled"] >= before

    assert kap("disable", "grp_b", "other_c").code == 0
    assert statuses() == {"grp_a": "enabled", "grp_b": "disabled", "other_c": "disabled"}


def test_template_task_with_vars(kap, shared_server, tmp_path):
    template = tick(
        tmp_path,
        "// the measurement\nvar measurement string\nvar crit = 80\n"
        'stream|from().measurement(measurement)|alert().crit(lambda: "usage" > crit)\n',
        "tmpl.tick",
    )
    r = kap("define-template", "tp1", "-type", "stream", "-tick", template)
    assert (r.code, r.err) == (0, "")
    assert table_row(kap("list", "templates", "tp*").out, "tp1") == [
        "tp1",
        "stream",
        "crit,measurement",
    ]

    shown = kap("show-template", "tp1").out
    assert shown.startswith("ID: tp1\nError: \nType: stream\n")
    assert table_row(shown, "crit") == ["crit", "int", "80"]
    assert table_row(shown, "measurement") == [
        "measurement", "string", "<required>", "the", "measurement",
    ]  # fmt: skip

    var_file = tmp_path / "vars.json"
    var_file.write_text(json.dumps({"measurement": {"type": "string", "value": "cpu"}}))
    r = kap("define", "fromtp", "-template", "tp1", "-vars", str(var_file), "-dbrp", "x.y")
    assert (r.code, r.err) == (0, "")
    shown = kap("show", "fromtp").out
    assert "Template: tp1" in shown.splitlines()
    assert table_row(shown, "measurement") == ["measurement", "string", "cpu"]

    yaml_vars = tmp_path / "vars.yaml"
    yaml_vars.write_text(
        "measurement:\n  type: string\n  value: cpu\ncrit:\n  type: int\n  value: 95\n"
    )
    assert kap("define", "fromtp", "-vars", str(yaml_vars)).code == 0
    task = shared_server.client.get("/kapacitor/v1/tasks/fromtp").json()
    assert task["vars"]["crit"]["value"] == 95


def test_delete_tasks_and_templates(kap, shared_server, tmp_path):
    script = tick(tmp_path)
    for task_id in ("del_1", "del_2", "keep_1"):
        assert kap("define", task_id, "-type", "stream", "-tick", script, "-dbrp", "a.b").code == 0
    assert kap("define-template", "del_t", "-type", "stream", "-tick", script).code == 0
    assert kap("delete", "tasks", "del_*", "keep_1").code == 0
    assert kap("delete", "templates", "del_t").code == 0
    ids = {t["id"] for t in shared_server.client.get("/kapacitor/v1/tasks").json()["tasks"]}
    assert not ids & {"del_1", "del_2", "keep_1"}
    assert shared_server.client.get("/kapacitor/v1/templates/del_t").status_code == 404


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["show", "nosuch"], "no task exists"),
        (["enable", "nosuch"], "task does not exist, cannot update"),
        (["show-template", "nosuch"], "no template exists"),
        (["define", "x1", "-type", "stream", "-dbrp", "a.b"], "must provide a TICKscript"),
        (["define", "x1", "-tick", "/no/such/file.tick"], "failed to read /no/such/file.tick"),
        (["define", "x1", "-tick", "{tick}", "-dbrp", "nodot"], "invalid dbrp 'nodot'"),
        (["define", "x1", "-tick", "{tick}", "-vars", "{badjson}"], "invalid JSON in"),
        (["enable", "zz*"], "no tasks match 'zz*'"),
    ],
)
def test_bad_input_is_one_line_and_exit_3(kap, tmp_path, argv, message):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    argv = [a.format(tick=tick(tmp_path), badjson=bad) for a in argv]
    r = kap(*argv)
    assert r.code == 3
    assert r.out == ""
    assert r.err.count("\n") == 1 and message in r.err


def test_tickscript_errors_come_from_the_server(kap, tmp_path):
    broken = tick(tmp_path, "stream|from(.measurement('cpu')\n", "broken.tick")
    r = kap("define", "broken", "-type", "stream", "-tick", broken, "-dbrp", "a.b")
    assert r.code == 3 and r.err.count("\n") == 1 and "Traceback" not in r.err
    assert kap("show", "broken").code == 3


def test_define_from_a_task_file(kap, shared_server, tmp_path):
    template = tick(tmp_path, "var m string\nstream|from().measurement(m)|httpOut('o')\n", "f.tick")
    assert kap("define-template", "ftp", "-type", "stream", "-tick", template).code == 0
    spec = tmp_path / "task.yaml"
    spec.write_text(
        "template-id: ftp\ndbrps:\n  - db: fdb\n    rp: autogen\n"
        "vars:\n  m:\n    type: string\n    value: disk\n"
    )
    r = kap("define", "fromfile", "-file", str(spec))
    assert (r.code, r.err) == (0, "")
    task = shared_server.client.get("/kapacitor/v1/tasks/fromfile").json()
    assert task["template-id"] == "ftp"
    assert task["dbrps"] == [{"db": "fdb", "rp": "autogen"}]
    assert task["vars"]["m"] == {"type": "string", "value": "disk", "description": ""}

    # Updating the template changes the tasks made from it.
    newer = tick(tmp_path, "var m string\nstream|from().measurement(m)|httpOut('new')\n", "g.tick")
    assert kap("define-template", "ftp", "-tick", newer).code == 0
    task = shared_server.client.get("/kapacitor/v1/tasks/fromfile").json()
    assert "httpOut('new')" in task["script"]

    r = kap("define", "fromfile")
    assert r.code == 3 and r.err.startswith("nothing to update")
    r = kap("define-template", "ftp")
    assert r.code == 3 and r.err.startswith("nothing to update")


def test_show_in_a_replay_that_does_not_exist(kap, tmp_path):
    assert (
        kap("define", "srp", "-type", "stream", "-tick", tick(tmp_path), "-dbrp", "a.b").code == 0
    )
    r = kap("show", "-replay", "nosuch", "srp")
    assert (r.code, r.out, r.err) == (3, "", "replay nosuch does not exist\n")
