"""Every node kind of nodes.md can be built, with every property present at its default."""

import pytest

from kapacitrio.pipeline.build import DeadmanConfig, UDFInfo, compile_task
from kapacitrio.pipeline.nodes import KINDS
from kapacitrio.tick.errors import TickError

# kind -> (parent chain, call text)
STREAM_CALLS = {
    "window": "window().period(1s)",
    "groupBy": "groupBy('a')",
    "where": "where(lambda: TRUE)",
    "eval": "eval(lambda: 1).as('x')",
    "default": "default().field('f', 1).tag('t', 'v')",
    "delete": "delete().field('f').tag('t')",
    "flatten": "flatten().on('a').delimiter('_').tolerance(1s).dropOriginalFieldName()",
    "union": "union(stream|from())",
    "join": "join(stream|from()).as('a', 'b')",
    "combine": "combine(lambda: TRUE, lambda: TRUE).as('a', 'b').max(10)",
    "changeDetect": "changeDetect('a', 'b')",
    "derivative": "derivative('v').unit(2s).nonNegative().as('d')",
    "shift": "shift(-5s)",
    "sample": "sample(3)",
    "stateDuration": "stateDuration(lambda: TRUE).unit(1m)",
    "stateCount": "stateCount(lambda: TRUE).as('n')",
    "sideload": "sideload().source('file:///tmp').order('{{.host}}.yml').field('f', 1.0).tag('t', 'x')",
    "barrier": "barrier().idle(5s).delete(TRUE)",
    "log": "log().level('debug').prefix('p')",
    "httpOut": "httpOut('x')",
    "httpPost": "httpPost('http://a').header('k', 'v').codeField('code').timeout(1s)",
    "influxDBOut": "influxDBOut().database('db').tag('k', 'v').buffer(10).create()",
    "kapacitorLoopback": "kapacitorLoopback().database('db').retentionPolicy('rp')",
    "alert": "alert().topic('t')",
    "k8sAutoscale": "k8sAutoscale().resourceName('r').replicas(lambda: 3).max(10)",
    "swarmAutoscale": "swarmAutoscale().serviceName('s').replicas(lambda: 3)",
    "ec2Autoscale": "ec2Autoscale().groupName('g').replicas(lambda: 3)",
    "count": "count('v')",
    "distinct": "distinct('v')",
    "mean": "mean('v')",
    "median": "median('v')",
    "mode": "mode('v')",
    "spread": "spread('v')",
    "sum": "sum('v')",
    "first": "first('v').usePointTimes()",
    "last": "last('v')",
    "min": "min('v')",
    "max": "max('v')",
    "stddev": "stddev('v')",
    "percentile": "percentile('v', 90.0)",
    "top": "top(2, 'v', 'host')",
    "bottom": "bottom(2, 'v')",
    "elapsed": "elapsed('v', 1s)",
    "difference": "difference('v')",
    "movingAverage": "movingAverage('v', 3)",
    "cumulativeSum": "cumulativeSum('v')",
    "holtWinters": "holtWinters('v', 1, 0, 1s)",
    "holtWintersWithFit": "holtWintersWithFit('v', 1, 0, 1s)",
}
BATCH_CALLS = {
    "query": "query('SELECT 1').period(1m).every(1m).align().offset(5s).cluster('c')",
    "queryFlux": "queryFlux('from()').period(1m).every(1m).org('o')",
    "trickle": "trickle()",
}


def _node(kind, script, task_type):
    p = compile_task(script, task_type)
    found = p.find(kind)
    assert found, kind
    node = found[-1]
    spec = KINDS[kind]
    for prop in spec.prop_index.values():
        assert prop.store in node.props, (kind, prop.store)
    return node


@pytest.mark.parametrize("kind", sorted(STREAM_CALLS))
def test_stream_kind_builds(kind):
    node = _node(kind, "stream|from()|" + STREAM_CALLS[kind], "stream")
    assert "from1" in [p.name for p in node.parents]
    assert node.desc == KINDS[kind].desc


@pytest.mark.parametrize("kind", sorted(BATCH_CALLS))
def test_batch_kind_builds(kind):
    prefix = "batch|" if kind != "trickle" else "batch|query('SELECT 1').every(1s)|"
    node = _node(kind, prefix + BATCH_CALLS[kind], "batch")
    assert node.wants == "batch"


def test_table_covers_nodes_md():
    expected = set(STREAM_CALLS) | set(BATCH_CALLS) | {"stream", "batch", "from", "stats", "noOp"}
    assert expected == set(KINDS)


def test_quiet_on_every_kind():
    p = compile_task(
        "stream|from().quiet()|window().period(1s).quiet()|count('v').quiet()", "stream"
    )
    assert [n.props["quiet"] for n in p.nodes] == [False, True, True, True]


def test_sinks_have_no_chaining_methods_but_stats():
    msg = None
    try:
        compile_task("stream|from()|influxDBOut().database('d')|httpOut('x')", "stream")
    except TickError as exc:
        msg = str(exc)
    assert msg == 'line 1 char 43: no method or property "httpOut" on *pipeline.InfluxDBOutNode'
    p = compile_task("stream|from()|influxDBOut().database('d')|stats(1s)", "stream")
    assert [n.kind for n in p.nodes] == ["stream", "from", "influxDBOut", "stats", "noOp"]


def test_global_deadman_applies_to_source():
    cfg = DeadmanConfig(threshold=5.0, interval=60 * 10**9, global_=True)
    p = compile_task("stream|from()|httpOut('x')", "stream", deadman=cfg)
    kinds = [n.kind for n in p.nodes]
    assert kinds == ["stream", "from", "httpOut", "stats", "derivative", "alert"]
    alert = p.nodes[-1]
    assert alert.props["id"] == "node 'stream0' in task '{{ .TaskName }}'"
    assert alert.props["message"].endswith("points/1m0s.")
    assert alert.props["crit"].expr.right.value == 5.0


def test_udf_dynamic_method():
    udfs = {"movingAvg": UDFInfo("stream", "stream", {"field": ("string",), "size": ("int64",)})}
    p = compile_task(
        "stream|from()@movingAvg().field('v').size(10)|httpOut('x')", "stream", udfs=udfs
    )
    udf = p.nodes[2]
    assert udf.name == "movingAvg2"
    assert udf.props["field"] == [["v"]] and udf.props["size"] == [[10]]
    with pytest.raises(TickError) as exc:
        compile_task("stream|from()|movingAvg()", "stream", udfs=udfs)
    assert "but dynamic method does exist. Use '@' operator instead: 'node@movingAvg(..)'." in str(
        exc.value
    )
