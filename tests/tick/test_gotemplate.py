"""The Go text/template subset: fields, index, printf verbs, control flow, escaping, errors."""

from __future__ import annotations

import pytest

from kapacitrio.tick.gotemplate import (
    GoDuration,
    GoMap,
    GoStruct,
    GoTime,
    Template,
    TemplateError,
    go_json,
    go_sprintf,
)
from kapacitrio.tick.values import go_duration

T0 = 31536010000000000  # 1971-01-01T00:00:10Z


def data(**over):
    d = GoStruct(
        {
            "Name": "cpu",
            "TaskName": "task",
            "Group": "host=a",
            "Tags": GoMap({"host": "a", "type": "idle"}, zero=""),
            "ServerInfo": GoStruct({"Hostname": "h", "ClusterID": "c", "ServerID": "s"}),
            "ID": "cpu:host=a",
            "Fields": GoMap({"value": 97.1, "n": 3}),
            "Level": "CRITICAL",
            "Time": GoTime(T0),
            "Duration": GoDuration(90_000_000_000),
            "Message": "a <b> & 'c'",
        },
        type_name="alert.detailsInfo",
    )
    d.update(over)
    return d


def render(text, html=False, **over):
    return Template(text, html=html).render(data(**over))


@pytest.mark.parametrize(
    "text,want",
    [
        ("{{ .Name }}:{{ .Group }}", "cpu:host=a"),
        ('kapacitor/{{ .Name }}/{{ index .Tags "host" }}', "kapacitor/cpu/a"),
        ("{{ .ID }} is {{ .Level }}", "cpu:host=a is CRITICAL"),
        ("{{ .Time }}", "1971-01-01 00:00:10 +0000 UTC"),
        ("{{ .Duration }}", "1m30s"),
        ("{{ .TaskName }} {{ .ServerInfo.Hostname }}", "task h"),
        ("{{ .Tags }}", "map[host:a type:idle]"),
        ("{{ .Tags.host }}|{{ .Tags.nope }}", "a|<no value>"),
        ('[{{ index .Tags "nope" }}][{{ index .Fields "nope" }}]', "[][<nil>]"),
        ('{{ index .Fields "value" | printf "%0.2f" }}', "97.10"),
        ('{{ printf "%.3f" (index .Fields "value") }}', "97.100"),
        ('{{ index .Fields "value" }} {{ index .Fields "n" }}', "97.1 3"),
        (
            '{{ if eq .Level "OK" }}ok{{ else if eq .Level "CRITICAL" }}crit{{ else }}x{{ end }}',
            "crit",
        ),
        ('{{ if gt (index .Fields "value") 90.0 }}hot{{ end }}', "hot"),
        ('{{ if lt (index .Fields "n") 2 }}a{{ else }}b{{ end }}', "b"),
        ('{{ if and (ne .Level "OK") (ge (index .Fields "n") 3) }}y{{ end }}', "y"),
        ('{{ if not (eq .Level "OK" "INFO") }}y{{ end }}', "y"),
        ("{{ range $k, $v := .Tags }}{{ $k }}={{ $v }};{{ end }}", "host=a;type=idle;"),
        ("{{ range .Tags }}[{{ . }}]{{ end }}", "[a][idle]"),
        ("{{ with .Tags }}{{ .host }}{{ end }}", "a"),
        ("{{ $x := .Name }}{{ $x }}-{{ $.Group }}", "cpu-host=a"),
        ("a  {{- .Name -}}  b", "acpub"),
        ("{{/* comment */}}x", "x"),
        ('{{ len .Tags }} {{ print 1 2 }} {{ print "a" 1 }}', "2 1 2 a1"),
        (
            '{{ printf "%s|%d|%v|%q|%t|%5.1f|%-3d|" "s" 7 1.5 "q" true 3.14159 4 }}',
            's|7|1.5|"q"|true|  3.1|4  |',
        ),
        ('{{ printf "%d" (index .Fields "value") }}', "%!d(float64=97.1)"),
        ('{{ html "<a>" }} {{ urlquery "a b&c" }} {{ js "it\'s" }}', "&lt;a&gt; a+b%26c it\\'s"),
    ],
)
def test_render(text, want):
    assert render(text) == want


def test_html_mode_escapes_values_not_literal_text():
    assert render("<p>{{ .Message }}</p>", html=True) == "<p>a &lt;b&gt; &amp; &#39;c&#39;</p>"


def test_default_details_is_escaped_json_with_newline():
    out = render("{{ json . }}", html=True)
    assert out.startswith("{&#34;Name&#34;:&#34;cpu&#34;,&#34;TaskName&#34;:&#34;task&#34;")
    assert "&#34;Fields&#34;:{&#34;n&#34;:3,&#34;value&#34;:97.1}" in out
    assert "&#34;Time&#34;:&#34;1971-01-01T00:00:10Z&#34;" in out
    assert "&#34;Duration&#34;:90000000000" in out
    assert out.endswith("}\n")


def test_json_matches_go_encoding():
    assert go_json({"b": 1.0, "a": "<&>", "c": [True, None, 1e21, 1e-7]}) == (
        '{"a":"\\u003c\\u0026\\u003e","b":1,"c":[true,null,1e+21,1e-7]}'
    )


def test_unknown_struct_field_is_an_execution_error():
    with pytest.raises(TemplateError, match="can't evaluate field Nope in type alert.detailsInfo"):
        render("{{ .Nope }}")


def test_unknown_function_is_a_parse_error():
    with pytest.raises(TemplateError, match='function "nope" not defined'):
        Template("{{ nope .Name }}")


@pytest.mark.parametrize("text", ["{{ if .Name }}x", "{{ end }}", "{{ .Name ", "{{ else }}"])
def test_malformed_templates_fail_to_parse(text):
    with pytest.raises(TemplateError):
        Template(text)


def test_plain_text_is_returned_as_is():
    assert Template("details").render({}) == "details"
    assert Template("").render({}) == ""


@pytest.mark.parametrize(
    "ns,want",
    [
        (0, "0s"),
        (1, "1ns"),
        (7, "7ns"),
        (1000, "1µs"),
        (1500, "1.5µs"),
        (5_000_000, "5ms"),
        (100_000_000, "100ms"),
        (1_500_000_000, "1.5s"),
        (10_000_000_000, "10s"),
        (60_000_000_000, "1m0s"),
        (61_000_000_000, "1m1s"),
        (90_000_000_000, "1m30s"),
        (3_600_000_000_000, "1h0m0s"),
        (-2_000_000_000, "-2s"),
    ],
)
def test_go_duration(ns, want):
    assert go_duration(ns) == want


@pytest.mark.parametrize(
    "fmt,args,want",
    [
        ("%v", (1e6,), "1e+06"),
        ("%v", (123456.0,), "123456"),
        ("%v", (10.0,), "10"),
        ("%e", (1234.5678,), "1.234568e+03"),
        ("%g", (0.00001,), "1e-05"),
        ("%x %X %o", (255, 255, 8), "ff FF 10"),
        ("%05d|%+d", (42, 5), "00042|+5"),
        ("%s", (), "%!s(MISSING)"),
        ("%d", (1, 2), "1%!(EXTRA int64=2)"),
        ("100%%", (), "100%"),
        ("%T %T %T", (1, 1.0, "s"), "int64 float64 string"),
    ],
)
def test_sprintf(fmt, args, want):
    assert go_sprintf(fmt, *args) == want


def test_render_is_fast_enough():
    import time

    t = Template("{{ .ID }} is {{ .Level }}")
    d = data()
    start = time.perf_counter()
    for _ in range(2000):
        t.render(d)
    assert (time.perf_counter() - start) / 2000 < 100e-6


@pytest.mark.parametrize(
    "text,want",
    [
        ("{{ .Time.Unix }}", "31536010"),
        ("{{ .Time.UnixNano }}", "31536010000000000"),
        ('{{ .Time.Format "2006-01-02T15:04:05Z07:00" }}', "1971-01-01T00:00:10Z"),
        ('{{ .Time.Format "Mon Jan _2 3:04:05PM 2006 MST" }}', "Fri Jan  1 12:00:10AM 1971 UTC"),
        ('{{ .Time.Format "02/01/06 15h04" }}', "01/01/71 00h00"),
        ("{{ .Time.Year }}-{{ .Time.Month }}-{{ .Time.Day }}", "1971-January-1"),
        ("{{ .Duration.Seconds }} {{ .Duration.Minutes }}", "90 1.5"),
        ('{{ .Duration.Hours | printf "%.3f" }}', "0.025"),
        ('{{ "2006" | .Time.Format }}', "1971"),
    ],
)
def test_time_and_duration_methods(text, want):
    assert render(text) == want


def test_fractional_second_layouts():
    t = Template('{{ .Time.Format "05.000|05.999|05.000000" }}')
    assert t.render({"Time": GoTime(T0 + 120_000_000)}) == "10.120|10.12|10.120000"
    assert t.render({"Time": GoTime(T0)}) == "10.000|10|10.000000"


def test_arguments_to_a_plain_field_are_an_error():
    with pytest.raises(TemplateError, match="can't give argument to non-function"):
        render('{{ .Name "x" }}')


def test_random_templates_fail_only_with_template_errors():
    import random

    rng = random.Random(7)
    atoms = ["{{", "}}", "{{-", "-}}", " ", ".", ".Name", ".Tags", ".Fields", "index", "printf",
             '"%d"', '"%c"', '"%*d"', "(", ")", "|", "$", "$x", ":=", "=", "if", "else", "end",
             "range", "with", "eq", "lt", "1", "2.5", "-", "`raw`", "'a'", ",", "len", "and", "or",
             "not", "json", ".Time.Format", ".Duration.Hours", "break", "nil", "true", "/*", "*/",
             "99999999999", '"']  # fmt: skip
    d = data()
    rendered = rejected = 0
    for _ in range(5000):
        text = "".join(rng.choice(atoms) for _ in range(rng.randint(1, 12)))
        try:
            Template(text).render(d)
        except TemplateError:
            rejected += 1
        else:
            rendered += 1
    # Any other exception fails the test; both outcomes must be exercised.
    assert rendered > 100 and rejected > 100
