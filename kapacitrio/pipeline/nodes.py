"""The table of every TICKscript node kind: desc, edge types, chaining-method signature, properties.

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

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kapacitrio.pipeline import gotypes as g
from kapacitrio.pipeline.props import (
    Prop,
    addlist,
    flag,
    fld,
    keyvalue,
    method,
    quiet,
    setlist,
)
from kapacitrio.pipeline.spec import BATCH, NONE, STAR, STREAM, NodeSpec
from kapacitrio.tick.values import Duration, go_quote

SAME = "same"


@dataclass(frozen=True, slots=True)
class NodeKind:
    """What the builder needs to know about one kind of node."""

    kind: str
    go: str
    desc: str
    params: tuple[str, ...] = ()
    provides: str = SAME
    wants: str = SAME
    props: tuple[Prop, ...] = ()
    chain: bool = True
    extra_chain: tuple[str, ...] = ()
    validate: Callable[[NodeSpec], str | None] | None = None
    init: Callable[[NodeSpec], str | None] | None = None
    prop_index: dict[str, Prop] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        for p in (*self.props, quiet()):
            self.prop_index[p.name] = p

    @property
    def go_type(self) -> str:
        return "*pipeline." + self.go


KINDS: dict[str, NodeKind] = {}


def _reg(k: NodeKind) -> NodeKind:
    KINDS[k.kind] = k
    g.GO_NODE_TYPES.setdefault(k.kind, k.go)
    return k


# ---------------------------------------------------------------------------------------------
# validators and initialisers


def _from_where(props: dict[str, Any], args: list[Any]) -> None:
    from kapacitrio.tick import ast

    lam = args[0]
    old = props["where"]
    if old is None:
        props["where"] = lam
    else:
        both = ast.BinaryNode(op="AND", left=old.expr, right=lam.expr, pos=old.pos)
        props["where"] = ast.LambdaNode(expr=both, pos=old.pos)


def _dims(props: dict[str, Any], args: list[Any], key: str = "groupBy") -> str | None:
    props[key] = list(args)
    return None


def _window_validate(n: NodeSpec) -> str | None:
    p = n.props
    if p["periodCount"] != 0 and p["period"] != 0:
        return "cannot specify both period and periodCount"
    if p["periodCount"] != 0 and p["align"]:
        return "can only align windows based off time, not count"
    if p["periodCount"] != 0 and p["everyCount"] <= 0:
        return "everyCount must be greater than zero"
    return None


def _groupby_validate(n: NodeSpec) -> str | None:
    return _check_dimensions(n.args)


def _check_dimensions(dims: list[Any]) -> str | None:
    """Kapacitor's dimension rules for from/groupBy: strings or a lone `*`."""
    has_star = False
    for d in dims:
        if d is STAR:
            has_star = True
        elif isinstance(d, str):
            if d == "":
                return "dimensions cannot not be the empty string"
        else:
            return f"invalid dimension object of type {g.go_type(d)}"
    if has_star and len(dims) > 1:
        return "cannot group by both '*' and named dimensions."
    return None


def _from_validate(n: NodeSpec) -> str | None:
    return _check_dimensions(n.props["groupBy"])


def _eval_keep(props: dict[str, Any], args: list[Any]) -> None:
    props["keep"] = True
    props["keepList"] = list(args) if args else None


def _eval_validate(n: NodeSpec) -> str | None:
    p = n.props
    if len(p["as"]) != len(n.args):
        return (
            "must specify same number of expressions and .as() names: "
            f"got {len(p['as'])} as names, and {len(n.args)} expressions."
        )
    for t in p["tags"]:
        if t not in p["as"]:
            return f"invalid tag name {go_quote(t)}, name is not present is .as() names"
    return None


def _default_validate(n: NodeSpec) -> str | None:
    for name, value in n.props["fields"].items():
        if not isinstance(value, int | float | str | bool) or g.is_duration(value):
            return (
                f"unsupported type {g.go_type(value)} for field {go_quote(name)}, "
                "field default values must be float,int,string or bool"
            )
    return None


def _default_field(props: dict[str, Any], args: list[Any]) -> None:
    props["fields"][args[0]] = args[1]


def _flatten_drop(props: dict[str, Any], args: list[Any]) -> None:
    props["dropOriginalFieldName"] = args[0] if len(args) == 1 else True


def _prefix_names_error(
    kind: str, names: list[str], wanted: int, what: str, bad_name: Callable[[str], str | None]
) -> str | None:
    """Why the `.as()` prefixes of a join or combine node are invalid, or None."""
    if not names:
        return f"a call to {kind}.as() is required to specify the output stream prefixes."
    if len(names) != wanted:
        return f"number of prefixes specified by {kind}.as() must match the number of {what}"
    for name in names:
        if name == "":
            return f"must provide a prefix name for the {kind} node, see .as() property method"
        error = bad_name(name)
        if error:
            return error
    if len(set(names)) != len(names):
        return "cannot use the same prefix name see .as() property method"
    return None


def _join_validate(n: NodeSpec) -> str | None:
    delim = n.props["delimiter"]

    def bad_name(name: str) -> str | None:
        if delim and delim in name:
            return f"cannot use name {name} as field prefix, it contains the delimiter {go_quote(delim)}\t"
        return None

    names = n.props["as"]
    error = _prefix_names_error("join", names, len(n.parents), "joined streams", bad_name)
    return error or _same_edges(n)


def _combine_validate(n: NodeSpec) -> str | None:
    delim = n.props["delimiter"]

    def bad_name(name: str) -> str | None:
        if delim in name:  # Go: every string contains the empty delimiter
            return f"cannot use name {name} as field prefix, it contains the delimiter character {delim}"
        return None

    names, wanted = n.props["as"], len(n.args)
    return _prefix_names_error("combine", names, wanted, "combine expressions", bad_name)


def _derivative_init(n: NodeSpec) -> None:
    n.props["as"] = n.args[0]


def _sample_init(n: NodeSpec) -> str | None:
    rate = n.args[0]
    if isinstance(rate, bool) or not isinstance(rate, int):
        return "must pass int64 or duration to new sample node"
    return None


def _barrier_validate(n: NodeSpec) -> str | None:
    idle, period = n.props["idle"], n.props["period"]
    if idle != 0 and period != 0:
        return "cannot specify both idle and period"
    if period == 0 and idle <= 0:
        return "idle must be greater than zero"
    if period <= 0 and idle == 0:
        return "period must be greater than zero"
    return None


def _httppost_init(n: NodeSpec) -> str | None:
    n.props["url"] = n.args[0] if n.args else ""
    n.props["endpoint"] = ""
    return None


def _httppost_endpoint(props: dict[str, Any], args: list[Any]) -> None:
    props["endpoints"].append(args[0])
    props["endpoint"] = props["endpoints"][0]


def _httppost_validate(n: NodeSpec) -> str | None:
    urls, endpoints = n.args, n.props["endpoints"]
    if len(urls) >= 2:
        return f"httpPost expects 0 or 1 arguments, got {len(urls)}"
    if len(endpoints) > 1:
        return f"httpPost expects 0 or 1 endpoints, got {len(endpoints)}"
    if not urls and not endpoints:
        return "must provide url or endpoint"
    if urls and endpoints:
        return "only one endpoint and url may be specified"
    for k in n.props["headers"]:
        if k.upper() == "AUTHENTICATE":
            return "cannot set 'authenticate' header"
    return None


def _loopback_validate(n: NodeSpec) -> str | None:
    if n.props["database"] == "":
        return "must specify a database"
    if n.props["retentionPolicy"] == "":
        return "must specify a retention policy"
    return None


def _same_edges(n: NodeSpec) -> str | None:
    """A node with several parents needs them all to provide the edge type it wants."""
    for p in n.parents:
        if p.provides != n.wants:
            return (
                f"invalid edge: {p.name} provides {p.provides} but {n.name} "
                f"wants {n.wants}; all parents of a {n.kind} node must have the same edge type"
            )
    return None


def _union_validate(n: NodeSpec) -> str | None:
    return _same_edges(n)


# ---------------------------------------------------------------------------------------------
# sources


_reg(
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
_reg(
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
_reg(
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
            method("where", (g.LAMBDA,), None, _from_where),
            method("groupBy", ("..." + g.ANY,), [], _dims),
            flag("groupByMeasurement"),
        ),
        validate=_from_validate,
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
_reg(
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
            method("groupBy", ("..." + g.ANY,), [], _dims),
            flag("groupByMeasurement"),
            fld("fill", g.ANY),
        ),
    )
)
_reg(
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
_reg(
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
_reg(NodeKind("noOp", "NoOpNode", "noop", chain=False))

# ---------------------------------------------------------------------------------------------
# transforms

_reg(
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
        validate=_window_validate,
    )
)
_reg(
    NodeKind(
        "groupBy",
        "GroupByNode",
        "groupby",
        params=("..." + g.ANY,),
        props=(addlist("exclude"), flag("byMeasurement")),
        validate=_groupby_validate,
    )
)
_reg(NodeKind("where", "WhereNode", "where", params=(g.LAMBDA,)))
_reg(
    NodeKind(
        "eval",
        "EvalNode",
        "eval",
        params=("..." + g.LAMBDA,),
        props=(
            setlist("as"),
            setlist("tags"),
            method("keep", ("..." + g.STRING,), False, _eval_keep),
        ),
        validate=_eval_validate,
    )
)
_reg(
    NodeKind(
        "default",
        "DefaultNode",
        "default",
        props=(
            method("field", (g.STRING, g.ANY), {}, _default_field, key="fields"),
            keyvalue("tag", key="tags"),
        ),
        validate=_default_validate,
    )
)
_reg(
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
_reg(
    NodeKind(
        "flatten",
        "FlattenNode",
        "flatten",
        props=(
            setlist("on"),
            fld("delimiter", g.STRING, "."),
            fld("tolerance", g.DURATION),
            method("dropOriginalFieldName", ("..." + g.BOOL,), False, _flatten_drop),
        ),
    )
)
_reg(
    NodeKind(
        "union",
        "UnionNode",
        "union",
        params=("..." + g.NODE,),
        props=(fld("rename", g.STRING),),
        validate=_union_validate,
    )
)
_reg(
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
        validate=_join_validate,
    )
)
_reg(
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
        validate=_combine_validate,
    )
)
_reg(NodeKind("changeDetect", "ChangeDetectNode", "changeDetect", params=("..." + g.STRING,)))
_reg(
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
        init=_derivative_init,
    )
)
_reg(NodeKind("shift", "ShiftNode", "shift", params=(g.DURATION,)))
_reg(NodeKind("sample", "SampleNode", "sample", params=(g.ANY,), init=_sample_init))
_reg(
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
_reg(
    NodeKind(
        "stateCount",
        "StateCountNode",
        "state_count",
        params=(g.LAMBDA,),
        props=(fld("as", g.STRING, "state_count"),),
    )
)
_reg(
    NodeKind(
        "sideload",
        "SideloadNode",
        "sideload",
        props=(
            fld("source", g.STRING),
            setlist("order"),
            method("field", (g.STRING, g.ANY), {}, _default_field, key="fields"),
            keyvalue("tag", key="tags"),
        ),
    )
)
_reg(
    NodeKind(
        "barrier",
        "BarrierNode",
        "barrier",
        props=(fld("idle", g.DURATION), fld("period", g.DURATION), fld("delete", g.BOOL)),
        validate=_barrier_validate,
    )
)
_reg(NodeKind("trickle", "TrickleNode", "trickle", provides=STREAM, wants=BATCH))
_reg(
    NodeKind(
        "log",
        "LogNode",
        "log",
        props=(fld("level", g.STRING, "INFO"), fld("prefix", g.STRING)),
    )
)
_reg(NodeKind("httpOut", "HTTPOutNode", "http_out", params=(g.STRING,)))
_reg(
    NodeKind(
        "httpPost",
        "HTTPPostNode",
        "http_post",
        params=("..." + g.STRING,),
        props=(
            method("endpoint", (g.STRING,), [], _httppost_endpoint, key="endpoints"),
            keyvalue("header", key="headers"),
            flag("captureResponse"),
            fld("timeout", g.DURATION),
            fld("codeField", g.STRING),
            flag("skipSSLVerification"),
        ),
        init=_httppost_init,
        validate=_httppost_validate,
    )
)
_reg(
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
_reg(
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
        validate=_loopback_validate,
    )
)


def _autoscale_validate(name: str, tag: str) -> Callable[[NodeSpec], str | None]:
    def validate(n: NodeSpec) -> str | None:
        p = n.props
        if (p[name] != "" and p[tag] != "") or (p[name] == "" and p[tag] == ""):
            return f"must specify exactly one of {_cap(name)} or {_cap(tag)}"
        if n.kind == "k8sAutoscale" and p["kind"] not in (
            "deployments",
            "replicasets",
            "replicationcontrollers",
        ):
            return (
                "invalid Kind, must be 'deployments', 'replicasets' or "
                f"'replicationcontrollers', got {p['kind']}"
            )
        if p["min"] < 1:
            return f"min must be >= 1, got {p['min']}"
        if p["replicas"] is None:
            return "must provide a replicas lambda expression"
        return None

    return validate


def _cap(name: str) -> str:
    return name[:1].upper() + name[1:]


_AUTOSCALE = (
    fld("cluster", g.STRING),
    fld("currentField", g.STRING),
    fld("max", g.INT),
    fld("min", g.INT, 1),
    fld("replicas", g.LAMBDA),
    fld("increaseCooldown", g.DURATION),
    fld("decreaseCooldown", g.DURATION),
)
_reg(
    NodeKind(
        "k8sAutoscale",
        "K8sAutoscaleNode",
        "k8s_autoscale",
        provides=STREAM,
        props=(
            *_AUTOSCALE,
            fld("namespace", g.STRING),
            fld("kind", g.STRING, "deployments"),
            fld("resourceName", g.STRING),
            fld("resourceNameTag", g.STRING),
            fld("namespaceTag", g.STRING, "namespace"),
            fld("kindTag", g.STRING, "kind"),
            fld("resourceTag", g.STRING, "resource"),
        ),
        validate=_autoscale_validate("resourceName", "resourceNameTag"),
    )
)
_reg(
    NodeKind(
        "swarmAutoscale",
        "SwarmAutoscaleNode",
        "swarm_autoscale",
        provides=STREAM,
        props=(
            *_AUTOSCALE,
            fld("serviceName", g.STRING),
            fld("serviceNameTag", g.STRING),
            fld("outputServiceNameTag", g.STRING),
        ),
        validate=_autoscale_validate("serviceName", "serviceNameTag"),
    )
)
_reg(
    NodeKind(
        "ec2Autoscale",
        "Ec2AutoscaleNode",
        "ec2_autoscale",
        provides=STREAM,
        props=(
            *_AUTOSCALE,
            fld("groupName", g.STRING),
            fld("groupNameTag", g.STRING),
            fld("outputGroupNameTag", g.STRING),
        ),
        validate=_autoscale_validate("groupName", "groupNameTag"),
    )
)

# ---------------------------------------------------------------------------------------------
# InfluxQL functions: (name, extra params after the field, provides)

_INFLUXQL_PROPS = (fld("as", g.STRING), flag("usePointTimes"))


def _influxql_init(n: NodeSpec) -> str | None:
    idx = 1 if n.kind in ("top", "bottom") else 0
    n.props["field"] = n.args[idx]
    n.props["as"] = n.kind if n.kind != "holtWintersWithFit" else "holtWinters"
    return None


def _influxql(name: str, params: tuple[str, ...], provides: str, desc: str | None = None) -> None:
    _reg(
        NodeKind(
            name,
            "InfluxQLNode",
            desc or name,
            params=params,
            provides=provides,
            props=_INFLUXQL_PROPS,
            init=_influxql_init,
        )
    )


for _name in (
    "count",
    "mean",
    "median",
    "mode",
    "spread",
    "sum",
    "first",
    "last",
    "min",
    "max",
    "stddev",
):
    _influxql(_name, (g.STRING,), STREAM)
_influxql("distinct", (g.STRING,), BATCH)
_influxql("percentile", (g.STRING, g.FLOAT), STREAM)
_influxql("top", (g.INT, g.STRING, "..." + g.STRING), BATCH)
_influxql("bottom", (g.INT, g.STRING, "..." + g.STRING), BATCH)
_influxql("elapsed", (g.STRING, g.DURATION), SAME)
_influxql("difference", (g.STRING,), SAME)
_influxql("movingAverage", (g.STRING, g.INT), SAME)
_influxql("cumulativeSum", (g.STRING,), SAME)
_influxql("holtWinters", (g.STRING, g.INT, g.INT, g.DURATION), BATCH)
_influxql("holtWintersWithFit", (g.STRING, g.INT, g.INT, g.DURATION), BATCH, desc="holtWinters")

INFLUXQL = frozenset(k for k, v in KINDS.items() if v.go == "InfluxQLNode")

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


def fresh_props(kind: NodeKind) -> dict[str, Any]:
    """Every property of a new node with its default."""
    props: dict[str, Any] = {}
    for p in kind.prop_index.values():
        props.setdefault(p.store, p.fresh_default())
    if kind.kind == "eval":
        props["keepList"] = None
    return props
