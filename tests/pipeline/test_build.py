"""Script evaluation: nodes, properties, vars, errors (real scripts through the parser)."""

import re

import pytest

from kapacitrio.pipeline.build import compile_task
from kapacitrio.pipeline.spec import STAR, TimeDimension, Var
from kapacitrio.tick import ast
from kapacitrio.tick.errors import TickError


def err(script, task_type="stream", vars=None, template=False):
    with pytest.raises(TickError) as exc:
        compile_task(script, task_type, vars, template=template)
    return str(exc.value)


def test_stream_chain_props_and_defaults():
    p = compile_task(
        """
stream
    |from()
        .measurement('cpu')
        .where(lambda: "host" == 'a')
        .where(lambda: "cpu" == 'b')
        .groupBy('host', 'cpu')
    |window()
        .period(10s)
        .every(5s)
        .align()
    |httpOut('out')
""",
        "stream",
    )
    frm, win, out = p.nodes[1], p.nodes[2], p.nodes[3]
    assert frm.props["measurement"] == "cpu"
    assert frm.props["groupBy"] == ["host", "cpu"]
    where = frm.props["where"]
    assert isinstance(where, ast.LambdaNode) and where.expr.op == "AND"
    assert frm.props["database"] == "" and frm.props["truncate"] == 0
    assert win.props == {
        "period": 10**10,
        "every": 5 * 10**9,
        "align": True,
        "fillPeriod": False,
        "periodCount": 0,
        "everyCount": 0,
        "quiet": False,
    }
    assert out.args == ["out"] and out.name == "http_out3"


def test_batch_query_group_by_time_and_fill():
    p = compile_task(
        """
batch
    |query('SELECT mean(value) FROM cpu')
        .period(1m)
        .every(30s)
        .groupBy(time(10s, 2s), 'host')
        .fill(0)
    |count('mean')
        .as('n')
""",
        "batch",
    )
    q, c = p.nodes[1], p.nodes[2]
    assert q.args == ["SELECT mean(value) FROM cpu"]
    assert q.props["groupBy"] == [TimeDimension(10**10, 2 * 10**9), "host"]
    assert q.props["fill"] == 0
    assert (c.wants, c.provides, c.props["as"], c.props["field"]) == (
        "batch",
        "stream",
        "n",
        "mean",
    )


def test_group_by_star_and_list_spreading():
    p = compile_task(
        """
var tags = ['host', 'cpu']
var s = *
stream
    |from()
        .groupBy(tags)
    |groupBy(s)
        .exclude('cpu')
""",
        "stream",
    )
    assert p.nodes[1].props["groupBy"] == ["host", "cpu"]
    assert p.nodes[2].args == [STAR]
    assert p.nodes[2].props["exclude"] == ["cpu"]
    assert p.vars["tags"].type == "list"
    assert [(v.type, v.value) for v in p.vars["tags"].value] == [
        ("string", "host"),
        ("string", "cpu"),
    ]
    assert p.vars["s"].type == "star"


def test_lambda_vars_are_inlined():
    p = compile_task(
        """
var t = 10
var lim = 5m
var cond = lambda: "v" > t
var re = /^a/
stream
    |from()
    |where(lambda: cond AND "d" < lim AND "h" =~ re)
""",
        "stream",
    )
    expr = p.nodes[2].args[0].expr
    # ((cond AND d < lim) AND h =~ re)
    assert isinstance(expr.left.left, ast.BinaryNode)
    assert expr.left.left.right.value == 10
    assert isinstance(expr.left.right.right, ast.DurationNode)
    assert expr.left.right.right.ns == 300 * 10**9
    assert isinstance(expr.right.right, ast.RegexNode) and expr.right.right.pattern == "^a"


def test_script_arithmetic_outside_lambdas():
    p = compile_task(
        """
var p = 5m * 2
var s = 'a' + 'b'
var n = -3
stream
    |from()
        .measurement(s)
    |window()
        .period(p)
        .every(p)
""",
        "stream",
    )
    assert p.nodes[2].props["period"] == 600 * 10**9
    assert p.nodes[1].props["measurement"] == "ab"
    assert p.vars["p"].type == "duration" and p.vars["n"].value == -3


def test_alert_properties_and_handlers_in_script_order():
    p = compile_task(
        """
stream
    |from()
    |alert()
        .id('x')
        .warn(lambda: "v" > 1)
        .crit(lambda: "v" > 2)
        .stateChangesOnly(5m)
        .flapping(0.25, 0.5)
        .history(1)
        .inhibit('cat', 'host')
        .post('http://a')
            .header('k', 'v')
            .timeout(2s)
            .captureResponse()
        .tcp('h:9')
        .log('/tmp/x.log')
            .mode(0644)
        .slack()
            .channel('#c')
        .email('a@b', 'c@d')
            .to('e@f')
        .exec('/bin/true', 'x')
        .levelField('level')
""",
        "stream",
    )
    a = p.nodes[2]
    assert a.props["id"] == "x"
    assert a.props["message"] == "{{ .ID }} is {{ .Level }}"
    assert a.props["stateChangesOnly"] is True
    assert a.props["stateChangesOnlyInterval"] == 300 * 10**9
    assert a.props["flapping"] == (0.25, 0.5)
    assert a.props["history"] == 2
    assert a.props["inhibit"] == [("cat", ["host"])]
    assert a.props["levelField"] == "level"
    hs = a.props["handlers"]
    assert [h.kind for h in hs] == ["post", "tcp", "log", "slack", "email", "exec"]
    post = hs[0]
    assert post.args == ["http://a"]
    assert post.props["headers"] == {"k": "v"}
    assert post.props["timeout"] == 2 * 10**9 and post.props["capture-response"] is True
    assert hs[2].props["mode"] == 0o644
    assert hs[3].props["channel"] == "#c"
    assert hs[4].args == ["a@b", "c@d"] and hs[4].props["to"] == ["e@f"]
    assert hs[5].args == ["/bin/true", "x"]


def test_handler_without_the_property_reports_handler_type():
    msg = err("stream\n    |from()\n    |alert()\n        .tcp('a')\n        .header('k', 'v')\n")
    assert msg == 'line 5 char 10: no method or property "header" on *pipeline.TcpHandler'


def test_join_union_parents_and_ids():
    p = compile_task(
        """
var a = stream|from().measurement('a')
var b = stream|from().measurement('b')
a
    |join(b)
        .as('a', 'b')
        .tolerance(1s)
        .fill(0.0)
    |union(a)
        .rename('u')
    |httpOut('x')
""",
        "stream",
    )
    join, union, out = p.nodes[3], p.nodes[4], p.nodes[5]
    # Every link (re)assigns the ID: join takes 3 then 4, union 5 then 6.
    assert [n.name for n in p.nodes] == [
        "stream0",
        "from1",
        "from2",
        "join4",
        "union6",
        "http_out7",
    ]
    assert [n.name for n in join.parents] == ["from1", "from2"]
    assert join.args == [] and join.props["fill"] == 0.0
    # union links the other parents first, then the node it is called on
    assert [n.name for n in union.parents] == ["from1", "join4"]
    assert out.parents == [union]


def test_deadman_expands_to_stats_derivative_alert():
    p = compile_task(
        """
stream
    |from()
        .measurement('cpu')
    |deadman(100.0, 10s)
        .slack()
""",
        "stream",
    )
    names = [n.name for n in p.nodes]
    assert names == ["stream0", "from1", "stats2", "noop3", "derivative4", "alert5"]
    stats, noop, deriv, alert = p.nodes[2:]
    assert stats.parents == [] and stats.props["observed"] is p.nodes[1] and stats.props["align"]
    assert stats.args == [10**10]
    assert noop.parents == [p.nodes[1]]
    assert (
        deriv.args == ["emitted"] and deriv.props["unit"] == 10**10 and deriv.props["nonNegative"]
    )
    assert alert.props["id"] == "node 'from1' in task '{{ .TaskName }}'"
    assert alert.props["message"].endswith("points/10s.")
    crit = alert.props["crit"].expr
    assert crit.op == "<=" and crit.left.name == "emitted" and crit.right.value == 100.0
    assert [h.kind for h in alert.props["handlers"]] == ["slack"]
    assert [s.name for s in p.sources] == ["stream0", "stats2"]


def test_influxql_edges_and_args():
    p = compile_task(
        """
stream
    |from()
    |window()
        .period(1m)
    |top(3, 'value', 'host')
    |percentile('value', 95.0)
    |elapsed('value', 1s)
""",
        "stream",
    )
    top, pct, el = p.nodes[3:]
    assert (top.provides, top.args, top.props["field"]) == ("batch", [3, "value", "host"], "value")
    assert (pct.wants, pct.provides, pct.args) == ("batch", "stream", ["value", 95.0])
    assert (el.wants, el.provides) == ("stream", "stream")


def test_eval_keep_and_tags():
    p = compile_task(
        "stream|from()|eval(lambda: \"a\" * 2, lambda: 'x').as('a2', 't').tags('t').keep('a')",
        "stream",
    )
    e = p.nodes[2]
    assert len(e.args) == 2
    assert e.props["as"] == ["a2", "t"] and e.props["tags"] == ["t"]
    assert e.props["keep"] is True and e.props["keepList"] == ["a"]


@pytest.mark.parametrize(
    ("script", "message"),
    [
        (
            "stream\n    |from()\n    |window()\n        .period('10s')\n",
            'line 4 char 10: error calling func "period" on obj *pipeline.WindowNode: '
            "reflect.Set: value of type string is not assignable to type time.Duration",
        ),
        (
            'stream\n    |from()\n        .measurement("cpu")\n',
            "line 3 char 10: cannot assign *ast.ReferenceNode to type string, did you use double "
            "quotes instead of single quotes?",
        ),
        (
            "stream\n    |from()\n    |window()\n        .period(10s, 5s)\n",
            "line 4 char 10: too many arguments to set property Period on *pipeline.WindowNode",
        ),
        (
            "stream\n    |from()\n    |window()\n    |period(10s)\n",
            'line 4 char 6: no chaining method "period" on *pipeline.WindowNode, but property does '
            "exist. Use '.' operator instead: 'node.period(..)'.",
        ),
        (
            "stream\n    |window()\n",
            'line 2 char 6: no method or property "window" on *pipeline.StreamNode',
        ),
        (
            "stream|from()|window().period(1s)|window()",
            'line 1 char 35: error calling func "window" on obj *pipeline.WindowNode: cannot Window batch edge',
        ),
        ("var x = 1\nvar x = 2\n", "attempted to redefine x, vars are immutable"),
        ("var x foo\n", 'invalid var type "foo"'),
        ("var x int\nstream|from()\n", 'missing value for var "x".'),
        (
            "stream|from()|window()",
            "window node must have either a non zero period or non zero period count",
        ),
        (
            "stream|from()|window().period(1s).periodCount(2)",
            "cannot specify both period and periodCount",
        ),
        (
            "stream|from()|eval(lambda: 1).as('a', 'b')",
            "must specify same number of expressions and .as() names: got 2 as names, and 1 expressions.",
        ),
        (
            "stream|from()|eval(lambda: 1).as('a').tags('b')",
            'invalid tag name "b", name is not present is .as() names',
        ),
        (
            "var a = stream|from()\nvar b = stream|from()\na|join(b).as('a.x', 'b')",
            'cannot use name a.x as field prefix, it contains the delimiter "."\t',
        ),
        (
            "var a = stream|from()\na|join(a).as('a')",
            "number of prefixes specified by join.as() must match the number of joined streams",
        ),
        (
            "stream|from()|join(stream|from())",
            "a call to join.as() is required to specify the output stream prefixes.",
        ),
        (
            "stream|from()|derivative(5)",
            'line 1 char 15: error calling func "derivative" on obj *pipeline.FromNode: '
            "reflect: Call using int64 as type string",
        ),
        ("stream|from()|groupBy('a', *)", "cannot group by both '*' and named dimensions."),
        ("stream|from()|groupBy('')", "dimensions cannot not be the empty string"),
        (
            "stream|from().groupBy(time(1s))",
            "invalid dimension object of type *pipeline.TimeDimension",
        ),
        ("stream|from()|groupBy(1)", "invalid dimension object of type int64"),
        (
            "stream|from()|k8sAutoscale().replicas(lambda: 1)",
            "must specify exactly one of ResourceName or ResourceNameTag",
        ),
        (
            "stream|from()|ec2Autoscale().groupName('g')",
            "must provide a replicas lambda expression",
        ),
        ("stream|from()|barrier()", "idle must be greater than zero"),
        (
            "var a = stream|from()\na|union(a|window().period(1s))",
            "invalid edge: window2 provides batch but union4 wants stream; all parents of a union "
            "node must have the same edge type",
        ),
        ("stream|from()|barrier().idle(1s).period(1s)", "cannot specify both idle and period"),
        ("stream|from()|kapacitorLoopback().database('d')", "must specify a retention policy"),
        (
            "stream|from()|combine(lambda: TRUE, lambda: TRUE).as('a', 'b').delimiter('')",
            "cannot use name a as field prefix, it contains the delimiter character ",
        ),
        (
            "stream|from()|combine(lambda: TRUE, lambda: TRUE)",
            "a call to combine.as() is required to specify the output stream prefixes.",
        ),
        (
            "stream|from()|combine(lambda: TRUE, lambda: TRUE).as('a')",
            "number of prefixes specified by combine.as() must match the number of combine "
            "expressions",
        ),
        (
            "stream|from()|combine(lambda: TRUE, lambda: TRUE).as('a', '')",
            "must provide a prefix name for the combine node, see .as() property method",
        ),
        (
            "stream|from()|combine(lambda: TRUE, lambda: TRUE).as('a', 'a')",
            "cannot use the same prefix name see .as() property method",
        ),
        (
            "var a = stream|from()\na|join(a|window().period(1s)).as('a', '')",
            "must provide a prefix name for the join node, see .as() property method",
        ),
        (
            "var a = stream|from()\na|join(a|window().period(1s)).as('a', 'a')",
            "cannot use the same prefix name see .as() property method",
        ),
        ("stream|from()|httpPost()", "must provide url or endpoint"),
        ("stream|from()|httpPost('a', 'b')", "httpPost expects 0 or 1 arguments, got 2"),
        (
            "stream|from()|default().field('f', 1s)",
            'unsupported type time.Duration for field "f", field default values must be float,int,string or bool',
        ),
        (
            "stream|from()|sample(1.5)",
            'line 1 char 15: error calling func "sample" on obj *pipeline.FromNode: '
            "must pass int64 or duration to new sample node",
        ),
    ],
)
def test_errors(script, message):
    if message.startswith("window node must"):
        # Kapacitor rejects a window without period when the task starts, not at define time.
        compile_task(script, "stream")
        return
    assert err(script) == message


def test_undefined_name_lists_scope():
    msg = err("batch|query('SELECT 1')", "stream")
    assert msg.startswith('name "batch" is undefined. Names in scope: ')
    assert "stream" in msg.split(": ", 1)[1].split(",")


def test_predefined_vars_override_and_type_check():
    script = 'var t = 10\nvar w duration\nstream|from()|window().period(w).every(w)|where(lambda: "v" > t)'
    p = compile_task(script, "stream", {"t": Var("int", 20), "w": Var("duration", 5 * 10**9)})
    assert p.nodes[2].props["period"] == 5 * 10**9
    assert p.nodes[3].args[0].expr.right.value == 20
    assert p.vars["t"] == Var("int", 10, "")
    assert p.vars["w"] == Var("duration", None, "")
    msg = err(script, vars={"t": Var("float", 2.0), "w": Var("duration", 1)})
    assert msg == "invalid type supplied for t, got float exp int"
    msg = err(script, vars={"t": Var("bool", True), "w": Var("duration", 1)})
    assert msg == "invalid type supplied for t, got boolean exp int"


def test_template_mode_uses_zero_values_and_descriptions():
    script = """
// the threshold
// in percent
var crit float
var dims list
stream
    |from()
        .groupBy(dims)
    |alert()
        .crit(lambda: "v" > crit)
"""
    p = compile_task(script, "stream", template=True)
    assert p.vars["crit"] == Var("float", None, "the threshold\nin percent")
    assert p.vars["dims"].type == "list" and p.vars["dims"].value is None
    assert p.nodes[1].props["groupBy"] == []
    assert p.nodes[2].props["crit"].expr.right.value == 0.0


def test_dbrp_statements():
    p = compile_task('dbrp "db"."rp"\ndbrp "a"."b"\nstream|from()', "stream")
    assert p.dbrps == [("db", "rp"), ("a", "b")]


def test_regex_property_value_is_compiled():
    p = compile_task('var r = /^cpu[0-9]+$/\nstream|from().where(lambda: "cpu" =~ r)', "stream")
    assert isinstance(p.vars["r"].value, re.Pattern)
    assert p.vars["r"].value.search("cpu12")


def test_script_expressions_use_functions_and_vars():
    p = compile_task(
        """
var d = 5m
var msg = '{{ .ID }} crossed: ' + string(d)
var float = 3.14
var intFloat = int(sqrt(float)) * 3
var later = d + 1m
var f = TRUE AND FALSE
var m = !f
var y = -d
var lam = lambda: "value" > 0
var l = lambda: lam OR "value" < -100
stream|from().where(l)
""",
        "stream",
    )
    v = {k: x.value for k, x in p.vars.items()}
    assert v["msg"] == "{{ .ID }} crossed: 5m"
    assert v["intFloat"] == 3 and type(v["intFloat"]) is int
    assert v["later"] == 360 * 10**9 and p.vars["later"].type == "duration"
    assert v["f"] is False and v["m"] is True
    assert v["y"] == -300 * 10**9 and p.vars["y"].type == "duration"
    where = p.nodes[1].props["where"].expr
    assert where.op == "OR" and where.left.op == ">"


def test_template_zero_lambda_and_duration_are_accepted():
    script = """
var crit lambda
var period duration
var field string
stream
    |from()
    |window()
        .period(period)
        .every(period)
    |mean(field)
    |alert()
        .crit(crit)
"""
    p = compile_task(script, "stream", template=True)
    assert p.nodes[4].props["crit"] is None
    assert p.nodes[3].args == [""]
    assert [(k, v.type) for k, v in p.vars.items()] == [
        ("crit", "lambda"),
        ("period", "duration"),
        ("field", "string"),
    ]
    with pytest.raises(TickError) as exc:
        compile_task(script, "stream")
    assert str(exc.value) == 'missing value for var "crit".'


def test_kkok_handler_properties():
    p = compile_task("stream|from()|alert().kkok().routes('a', 'b').from('app')", "stream")
    (h,) = p.nodes[2].props["handlers"]
    assert (h.kind, h.props) == ("kkok", {"routes": ["a", "b"], "from": "app"})


def test_property_read_without_parentheses():
    p = compile_task(
        "var x = stream|from().measurement('cpu')\nvar m = x.measurement\nstream|from().measurement(m)",
        "stream",
    )
    assert p.nodes[2].props["measurement"] == "cpu"
    assert p.vars["m"] == Var("string", "cpu", "")
    assert err("var x = stream|from()\nvar m = x.foo") == (
        "line 2 char 10: object *pipeline.FromNode has no property foo"
    )


def test_template_zero_star_still_groups_by_star():
    p = compile_task("var s star\nstream|from().groupBy(s)", "stream", template=True)
    assert p.nodes[1].props["groupBy"] == [STAR]
    assert p.vars["s"] == Var("star", None, "")


def test_long_chains_do_not_exhaust_the_stack():
    p = compile_task("stream|from()" + "|where(lambda: TRUE)" * 2500, "stream")
    assert len(p.nodes) == 2502 and p.nodes[-1].name == "where2501"


def test_absurd_nesting_is_an_error_not_a_crash():
    deep = " AND ".join(['"a" > 1'] * 3000)
    assert err(f"stream|from()|where(lambda: {deep})") == "script is too deeply nested to evaluate"
