"""The table of every TICKscript node kind (autoscale and InfluxQL kinds in their own modules).

Props keys (what the engine reads from `NodeSpec.props`; every key is present with its default),
beyond the obvious one-per-property named after the property method:
* every node: `quiet` bool. Durations are `Duration` (an int of ns), lambdas `ast.LambdaNode`.
* from: `where` is one LambdaNode (repeated calls AND-ed) or None; `groupBy` a list of str/STAR.
* query / queryFlux: `args=[text]`; `groupBy` items are `TimeDimension`, str or STAR; `fill` is
  None or the raw value (checked at start, like Kapacitor).
* groupBy node: `args` are the dimensions; `exclude` list (calls append); `byMeasurement` bool.
* eval: `args` the lambdas; `as`, `tags` lists; `keep` bool and `keepList` (None = keep all).
* default / sideload: `fields`/`tags` dicts in call order. delete: `fields`/`tags` lists.
* join / union: the other parents are in `parents` (left first), `args` is empty; join `as`,
  `on` lists; `fill` None (= none) or the raw value; `deleteAll` bool. union `rename`.
* combine: `args` the lambdas; `as`, `delimiter`, `tolerance`, `max`.
* derivative: `args=[field]`; `as` defaults to the field. sample: `args=[int or Duration]`.
* httpOut: `args=[endpoint]`. httpPost: `url` ('' or the argument), `endpoint` (first of
  `endpoints`), `headers` dict, `captureResponse`, `timeout`, `codeField`.
* alert: level lambdas or None, `inhibit` list of (category, [tags]), `flapping` None or
  (low, high), `stateChangesOnly` bool + `stateChangesOnlyInterval` ns, `history` (min 2),
  `handlers` list[HandlerSpec] in script order (see alert.py: tcp `address`, mqtt `topic`,
  post `headers`/`endpoint`/`timeout`, log `mode`, email `to`, ...; `args` are the call's arguments).
* stats: `args=[interval]`, `observed` = the NodeSpec watched, `align`.
* influxql functions: `args` = the method's arguments (`field`, then e.g. percentile, n, unit;
  top/bottom: n, field, tags...), `field` = the field name, `as`, `usePointTimes`.
* UDF nodes (`@name()`): kind = desc = the UDF name, `udf` = name, each option a list of calls.
"""

from __future__ import annotations

from kapacitrio.pipeline import checks
from kapacitrio.pipeline import gotypes as g
from kapacitrio.pipeline import kinds_autoscale as _autoscale  # noqa: F401  (registers)
from kapacitrio.pipeline.kinds import KINDS, SAME, NodeKind, fresh_props, register
from kapacitrio.pipeline.kinds_influxql import INFLUXQL
from kapacitrio.pipeline.props import addlist, flag, fld, keyvalue, method, setlist
from kapacitrio.pipeline.spec import BATCH, NONE, STREAM
from kapacitrio.tick.values import Duration

__all__ = ["KINDS", "SAME", "NodeKind", "chain_methods", "fresh_props"]

# ---------------------------------------------------------------------------------------------
# sources


register(
    NodeKind(
        "stream",
        "StreamNode",
        "stream",
        provides=STREAM,
        wants=NONE,
        chain=False,
        extra_chain=("from",),
    )
)
register(
    NodeKind(
        "batch",
        "BatchNode",
        "batch",
        provides=BATCH,
        wants=NONE,
        chain=False,
        extra_chain=("query", "queryFlux"),
    )
)
register(
    NodeKind(
        "from",
        "FromNode",
        "from",
        provides=STREAM,
        wants=STREAM,
        extra_chain=("from",),
        props=(
            fld("database", g.STRING),
            fld("retentionPolicy", g.STRING),
            fld("measurement", g.STRING),
            fld("truncate", g.DURATION),
            fld("round", g.DURATION),
            method("where", (g.LAMBDA,), None, checks.from_where),
            method("groupBy", ("..." + g.ANY,), [], checks.dims),
            flag("groupByMeasurement"),
        ),
        validate=checks.from_validate,
    )
)
_SCHEDULE = (
    fld("period", g.DURATION),
    fld("every", g.DURATION),
    fld("cron", g.STRING),
    fld("offset", g.DURATION),
    flag("align"),
    fld("cluster", g.STRING),
)
register(
    NodeKind(
        "query",
        "QueryNode",
        "query",
        params=(g.STRING,),
        provides=BATCH,
        wants=BATCH,
        props=(
            *_SCHEDULE,
            flag("alignGroup"),
            method("groupBy", ("..." + g.ANY,), [], checks.dims),
            flag("groupByMeasurement"),
            fld("fill", g.ANY),
        ),
    )
)
register(
    NodeKind(
        "queryFlux",
        "QueryFluxNode",
        "queryFlux",
        params=(g.STRING,),
        provides=BATCH,
        wants=BATCH,
        props=(*_SCHEDULE, fld("org", g.STRING), fld("orgID", g.STRING)),
    )
)
register(
    NodeKind(
        "stats",
        "StatsNode",
        "stats",
        params=(g.DURATION,),
        provides=STREAM,
        wants=NONE,
        props=(flag("align"),),
    )
)
register(NodeKind("noOp", "NoOpNode", "noop", chain=False))

# ---------------------------------------------------------------------------------------------
# transforms

register(
    NodeKind(
        "window",
        "WindowNode",
        "window",
        provides=BATCH,
        wants=STREAM,
        props=(
            fld("period", g.DURATION),
            fld("every", g.DURATION),
            flag("align"),
            flag("fillPeriod"),
            fld("periodCount", g.INT),
            fld("everyCount", g.INT),
        ),
        validate=checks.window_validate,
    )
)
register(
    NodeKind(
        "groupBy",
        "GroupByNode",
        "groupby",
        params=("..." + g.ANY,),
        props=(addlist("exclude"), flag("byMeasurement")),
        validate=checks.groupby_validate,
    )
)
register(NodeKind("where", "WhereNode", "where", params=(g.LAMBDA,)))
register(
    NodeKind(
        "eval",
        "EvalNode",
        "eval",
        params=("..." + g.LAMBDA,),
        props=(
            setlist("as"),
            setlist("tags"),
            method("keep", ("..." + g.STRING,), False, checks.eval_keep),
        ),
        validate=checks.eval_validate,
    )
)
register(
    NodeKind(
        "default",
        "DefaultNode",
        "default",
        props=(
            method("field", (g.STRING, g.ANY), {}, checks.default_field, key="fields"),
            keyvalue("tag", key="tags"),
        ),
        validate=checks.default_validate,
    )
)
register(
    NodeKind(
        "delete",
        "DeleteNode",
        "delete",
        props=(
            method("field", (g.STRING,), [], lambda p, a: p["fields"].append(a[0]), key="fields"),
            method("tag", (g.STRING,), [], lambda p, a: p["tags"].append(a[0]), key="tags"),
        ),
    )
)
register(
    NodeKind(
        "flatten",
        "FlattenNode",
        "flatten",
        props=(
            setlist("on"),
            fld("delimiter", g.STRING, "."),
            fld("tolerance", g.DURATION),
            method("dropOriginalFieldName", ("..." + g.BOOL,), False, checks.flatten_drop),
        ),
    )
)
register(
    NodeKind(
        "union",
        "UnionNode",
        "union",
        params=("..." + g.NODE,),
        props=(fld("rename", g.STRING),),
        validate=checks.union_validate,
    )
)
register(
    NodeKind(
        "join",
        "JoinNode",
        "join",
        params=("..." + g.NODE,),
        props=(
            setlist("as"),
            setlist("on"),
            fld("delimiter", g.STRING, "."),
            fld("tolerance", g.DURATION),
            fld("fill", g.ANY),
            fld("streamName", g.STRING),
            fld("deleteAll", g.BOOL),
        ),
        validate=checks.join_validate,
    )
)
register(
    NodeKind(
        "combine",
        "CombineNode",
        "combine",
        params=("..." + g.LAMBDA,),
        provides=STREAM,
        props=(
            setlist("as"),
            fld("delimiter", g.STRING, "."),
            fld("tolerance", g.DURATION),
            fld("max", g.INT, 1_000_000),
        ),
        validate=checks.combine_validate,
    )
)
register(NodeKind("changeDetect", "ChangeDetectNode", "changeDetect", params=("..." + g.STRING,)))
register(
    NodeKind(
        "derivative",
        "DerivativeNode",
        "derivative",
        params=(g.STRING,),
        props=(
            fld("unit", g.DURATION, Duration(1_000_000_000)),
            flag("nonNegative"),
            fld("as", g.STRING),
        ),
        init=checks.derivative_init,
    )
)
register(NodeKind("shift", "ShiftNode", "shift", params=(g.DURATION,)))
register(NodeKind("sample", "SampleNode", "sample", params=(g.ANY,), init=checks.sample_init))
register(
    NodeKind(
        "stateDuration",
        "StateDurationNode",
        "state_duration",
        params=(g.LAMBDA,),
        props=(
            fld("as", g.STRING, "state_duration"),
            fld("unit", g.DURATION, Duration(1_000_000_000)),
        ),
    )
)
register(
    NodeKind(
        "stateCount",
        "StateCountNode",
        "state_count",
        params=(g.LAMBDA,),
        props=(fld("as", g.STRING, "state_count"),),
    )
)
register(
    NodeKind(
        "sideload",
        "SideloadNode",
        "sideload",
        props=(
            fld("source", g.STRING),
            setlist("order"),
            method("field", (g.STRING, g.ANY), {}, checks.default_field, key="fields"),
            keyvalue("tag", key="tags"),
        ),
    )
)
register(
    NodeKind(
        "barrier",
        "BarrierNode",
        "barrier",
        props=(fld("idle", g.DURATION), fld("period", g.DURATION), fld("delete", g.BOOL)),
        validate=checks.barrier_validate,
    )
)
register(NodeKind("trickle", "TrickleNode", "trickle", provides=STREAM, wants=BATCH))
register(
    NodeKind(
        "log",
        "LogNode",
        "log",
        props=(fld("level", g.STRING, "INFO"), fld("prefix", g.STRING)),
    )
)
register(NodeKind("httpOut", "HTTPOutNode", "http_out", params=(g.STRING,)))
register(
    NodeKind(
        "httpPost",
        "HTTPPostNode",
        "http_post",
        params=("..." + g.STRING,),
        props=(
            method("endpoint", (g.STRING,), [], checks.httppost_endpoint, key="endpoints"),
            keyvalue("header", key="headers"),
            flag("captureResponse"),
            fld("timeout", g.DURATION),
            fld("codeField", g.STRING),
            flag("skipSSLVerification"),
        ),
        init=checks.httppost_init,
        validate=checks.httppost_validate,
    )
)
register(
    NodeKind(
        "influxDBOut",
        "InfluxDBOutNode",
        "influxdb_out",
        provides=NONE,
        chain=False,
        props=(
            fld("cluster", g.STRING),
            fld("database", g.STRING),
            fld("retentionPolicy", g.STRING),
            fld("measurement", g.STRING),
            fld("writeConsistency", g.STRING),
            fld("precision", g.STRING),
            fld("buffer", g.INT, 1000),
            fld("flushInterval", g.DURATION, Duration(10_000_000_000)),
            flag("create"),
            keyvalue("tag", key="tags"),
        ),
    )
)
register(
    NodeKind(
        "kapacitorLoopback",
        "KapacitorLoopbackNode",
        "kapacitor_loopback",
        provides=NONE,
        chain=False,
        props=(
            fld("database", g.STRING),
            fld("retentionPolicy", g.STRING),
            fld("measurement", g.STRING),
            keyvalue("tag", key="tags"),
        ),
        validate=checks.loopback_validate,
    )
)


# Chaining methods every data-producing node has (the alert node is added by alert.py).
COMMON_CHAIN = frozenset(
    {
        "alert",
        "barrier",
        "changeDetect",
        "combine",
        "default",
        "delete",
        "derivative",
        "eval",
        "flatten",
        "groupBy",
        "httpOut",
        "httpPost",
        "influxDBOut",
        "join",
        "k8sAutoscale",
        "swarmAutoscale",
        "ec2Autoscale",
        "kapacitorLoopback",
        "log",
        "sample",
        "shift",
        "sideload",
        "stateCount",
        "stateDuration",
        "trickle",
        "union",
        "where",
        "window",
    }
    | INFLUXQL
)
# Chaining methods of every node, data-producing or not.
NODE_CHAIN = frozenset({"stats", "deadman"})


def chain_methods(kind: NodeKind) -> frozenset[str]:
    """Names usable after `|` on a node of this kind."""
    base = COMMON_CHAIN if kind.chain else frozenset()
    return base | NODE_CHAIN | frozenset(kind.extra_chain)
