"""The client's output byte for byte in Kapacitor's layouts (scripts parse these), against a real
server: `list tasks|templates|topics`, `show`, `show-template`, and `define`'s dbrp and vars rules."""

from __future__ import annotations

import json
import re

#: RFC 822 as Go prints it: `02 Jan 06 15:04 UTC`.
RFC822 = r"\d\d [A-Z][a-z][a-z] \d\d \d\d:\d\d UTC"


def tick(tmp_path, text: str, name: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_list_tasks_columns(kap, tmp_path):
    script = tick(tmp_path, "stream|from().measurement('m')\n", "a.tick")
    assert kap("define", "lt_a", "-type", "stream", "-tick", script, "-dbrp", "db.rp").code == 0
    r = kap(
        "define", "lt_long_task_id", "-tick", script, "-dbrp", "a.b", "-dbrp", '"c d"."e"'
    )  # fmt: skip
    assert (r.code, r.err) == (0, "")
    r = kap("list", "tasks", "lt_*")
    # ID is as wide as the longest ID plus one; Type, Status, Executing are 10 wide; the dbrps
    # are fmt.Sprint of a []DBRP: each "db"."rp", separated by a space.
    assert r.out == (
        "ID              Type      Status    Executing Databases and Retention Policies\n"
        'lt_a            stream    disabled  false     ["db"."rp"]\n'
        'lt_long_task_id stream    disabled  false     ["a"."b" "c d"."e"]\n'
    )
    # Two patterns matching one task list it twice, as Kapacitor's client does.
    r = kap("list", "tasks", "lt_a", "lt_a*")
    assert [line.split()[0] for line in r.out.splitlines()] == ["ID", "lt_a", "lt_a"]


def test_show_sections_and_last_enabled(kap, shared_server, tmp_path):
    text = "stream\n    |from()\n        .measurement('m')\n"
    script = tick(tmp_path, text, "s.tick")
    assert kap("define", "sh_t", "-type", "stream", "-tick", script, "-dbrp", "db.rp").code == 0
    r = kap("show", "sh_t")
    assert r.code == 0
    lines = r.out.split("\n")
    assert lines[0:6] == [
        "ID: sh_t",
        "Error: ",
        "Template: ",
        "Type: stream",
        "Status: disabled",
        "Executing: false",
    ]
    assert re.fullmatch(f"Created: {RFC822}", lines[6]) and lines[7].startswith("Modified: ")
    # Never enabled: Go's zero time, not an empty field.
    assert lines[8] == "LastEnabled: 01 Jan 01 00:00 UTC"
    assert lines[9] == 'Databases Retention Policies: ["db"."rp"]'
    # The script as the server gives it, then a newline; no Vars section without vars; DOT last.
    served = shared_server.client.get("/kapacitor/v1/tasks/sh_t").json()
    assert r.out.split('Databases Retention Policies: ["db"."rp"]\n', 1)[1] == (
        f"TICKscript:\n{served['script']}\nDOT:\n{served['dot']}\n"
    )
    assert kap("enable", "sh_t").code == 0
    lines = kap("show", "sh_t").out.splitlines()
    assert lines[4:6] == ["Status: enabled", "Executing: true"]
    assert re.fullmatch(f"LastEnabled: {RFC822}", lines[8]) and "01 Jan 01" not in lines[8]
    assert kap("delete", "tasks", "sh_t").code == 0


TEMPLATE = """// how far back to look
var period = 5m
var limit = 2.5
var name string
stream|from().measurement(name)|window().period(period).every(period)|httpOut('t')
"""


def test_template_vars_durations_and_vars_files(kap, shared_server, tmp_path):
    path = tick(tmp_path, TEMPLATE, "tmpl.tick")
    assert kap("define-template", "fmt_tmpl", "-type", "stream", "-tick", path).code == 0
    r = kap("show-template", "fmt_tmpl")
    assert r.code == 0
    section = r.out.split("Vars:\n", 1)[1].split("DOT:\n", 1)[0]
    # `%-30s%-10v%-40v%-40s` rows; a duration is printed as Go's time.Duration (5m0s)
    assert section.split("\n") == [
        "Name                          Type      Default Value                           "
        "Description                             ",
        "limit                         float     2.5                                     "
        + " " * 40,
        "name                          string    <required>                              "
        + " " * 40,
        "period                        duration  5m0s                                    "
        "how far back to look                    ",
        "",
    ]
    # The API keeps the duration in nanoseconds, as Kapacitor's JSON does.
    api = shared_server.client.get("/kapacitor/v1/templates/fmt_tmpl").json()["vars"]
    assert api["period"] == {
        "type": "duration",
        "value": 300_000_000_000,
        "description": "how far back to look",
    }

    # -vars: a plain JSON map of vars, the same map wrapped in {"vars": ...}, or YAML.
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps({"name": {"type": "string", "value": "cpu"}}))
    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text(json.dumps({"vars": {"name": {"type": "string", "value": "mem"},
                                            "period": {"type": "duration", "value": "90s"}}}))  # fmt: skip
    yaml_file = tmp_path / "vars.yaml"
    yaml_file.write_text("name:\n  type: string\n  value: disk\n")
    for task_id, vars_path, measurement in (
        ("fmt_plain", plain, "cpu"),
        ("fmt_wrapped", wrapped, "mem"),
        ("fmt_yaml", yaml_file, "disk"),
    ):
        r = kap(
            "define", task_id, "-template", "fmt_tmpl", "-dbrp", "db.rp", "-vars", str(vars_path)
        )
        assert (r.code, r.err) == (0, ""), task_id
        served = shared_server.client.get(f"/kapacitor/v1/tasks/{task_id}").json()
        assert served["vars"]["name"]["value"] == measurement, task_id
    r = kap("show", "fmt_wrapped")
    section = r.out.split("Vars:\n", 1)[1].split("DOT:\n", 1)[0]
    assert section.split("\n") == [
        "Name                          Type      Value                                   ",
        "name                          string    mem                                     ",
        "period                        duration  1m30s                                   ",
        "",
    ]
    # list templates: `%-Ns%-10v%-40v`, the var names sorted and comma separated
    r = kap("list", "templates", "fmt_tmpl")
    assert r.out == (
        "ID       Type      Vars                                    \n"
        "fmt_tmpl stream    limit,name,period                       \n"
    )


def test_define_rejects_dbrps_in_the_script_and_the_flags(kap, shared_server, tmp_path):
    script = tick(tmp_path, 'dbrp "db"."rp"\nstream|from().measurement(\'m\')\n', "d.tick")
    r = kap("define", "dbrp_twice", "-tick", script, "-dbrp", "db.rp")
    assert (r.code, r.out, r.err) == (
        3,
        "",
        "cannot specify dbrp in both implicitly and explicitly\n",
    )
    assert shared_server.client.get("/kapacitor/v1/tasks/dbrp_twice").status_code == 404
    # From the script alone it is fine; a later -dbrp against that script is refused too.
    assert kap("define", "dbrp_twice", "-tick", script).code == 0
    r = kap("define", "dbrp_twice", "-dbrp", "other.rp")
    assert (r.code, r.err) == (3, "cannot specify dbrp in both implicitly and explicitly\n")
    served = shared_server.client.get("/kapacitor/v1/tasks/dbrp_twice").json()
    assert served["dbrps"] == [{"db": "db", "rp": "rp"}]


def test_list_topics_columns(kap, shared_server, tmp_path):
    spec = tmp_path / "h.json"
    for topic in ("fmt_topic", "fmt_topic_with_long_name"):
        spec.write_text(json.dumps({"topic": topic, "id": "h", "kind": "log",
                                    "options": {"path": str(tmp_path / "x.log")}}))  # fmt: skip
        assert kap("define-topic-handler", str(spec)).code == 0
    r = kap("list", "topics", "fmt_topic*")
    # ID as wide as the longest plus one, Level at least 8 plus one, Collected right-aligned in 10.
    assert r.out == (
        "ID                       Level     Collected\n"
        "fmt_topic                OK                0\n"
        "fmt_topic_with_long_name OK                0\n"
    )


def test_show_topic_handler_options_as_go_marshals_them(kap, tmp_path):
    spec = tmp_path / "post.json"
    spec.write_text(json.dumps({"topic": "fmt_h", "id": "post", "kind": "post",
                                "options": {"url": "http://x/?a=1&b=<2>", "timeout": 1.0}}))  # fmt: skip
    assert kap("define-topic-handler", str(spec)).code == 0
    r = kap("show-topic-handler", "fmt_h", "post")
    # keys sorted, compact, a float with an integral value without ".0", HTML characters escaped
    assert r.out.splitlines()[-1] == (
        'Options: {"timeout":1,"url":"http://x/?a=1\\u0026b=\\u003c2\\u003e"}'
    )


def test_task_file_id_must_match(kap, tmp_path):
    spec = tmp_path / "task.json"
    spec.write_text(json.dumps({"id": "other", "template-id": "t", "dbrps": ["db.rp"]}))
    r = kap("define", "mine", "-file", str(spec))
    assert (r.code, r.err) == (3, f"Task id given on command line does not match id in {spec}\n")
