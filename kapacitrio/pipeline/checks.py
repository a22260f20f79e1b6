"""Validators and initialisers of node kinds: the checks Kapacitor makes when a pipeline is built."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kapacitrio.pipeline import gotypes as g
from kapacitrio.pipeline.spec import STAR, NodeSpec
from kapacitrio.tick.values import go_quote


def from_where(props: dict[str, Any], args: list[Any]) -> None:
    from kapacitrio.tick import ast

    lam = args[0]
    old = props["where"]
    if old is None:
        props["where"] = lam
    else:
        both = ast.BinaryNode(op="AND", left=old.expr, right=lam.expr, pos=old.pos)
        props["where"] = ast.LambdaNode(expr=both, pos=old.pos)


def dims(props: dict[str, Any], args: list[Any], key: str = "groupBy") -> str | None:
    props[key] = list(args)
    return None


def window_validate(n: NodeSpec) -> str | None:
    p = n.props
    if p["periodCount"] != 0 and p["period"] != 0:
        return "cannot specify both period and periodCount"
    if p["periodCount"] != 0 and p["align"]:
        return "can only align windows based off time, not count"
    if p["periodCount"] != 0 and p["everyCount"] <= 0:
        return "everyCount must be greater than zero"
    return None


def groupby_validate(n: NodeSpec) -> str | None:
    return check_dimensions(n.args)


def check_dimensions(dims: list[Any]) -> str | None:
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


def from_validate(n: NodeSpec) -> str | None:
    return check_dimensions(n.props["groupBy"])


def eval_keep(props: dict[str, Any], args: list[Any]) -> None:
    props["keep"] = True
    props["keepList"] = list(args) if args else None


def eval_validate(n: NodeSpec) -> str | None:
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


def default_validate(n: NodeSpec) -> str | None:
    for name, value in n.props["fields"].items():
        if not isinstance(value, int | float | str | bool) or g.is_duration(value):
            return (
                f"unsupported type {g.go_type(value)} for field {go_quote(name)}, "
                "field default values must be float,int,string or bool"
            )
    return None


def default_field(props: dict[str, Any], args: list[Any]) -> None:
    props["fields"][args[0]] = args[1]


def flatten_drop(props: dict[str, Any], args: list[Any]) -> None:
    props["dropOriginalFieldName"] = args[0] if len(args) == 1 else True


def prefix_names_error(
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


def join_validate(n: NodeSpec) -> str | None:
    delim = n.props["delimiter"]

    def bad_name(name: str) -> str | None:
        if delim and delim in name:
            return f"cannot use name {name} as field prefix, it contains the delimiter {go_quote(delim)}\t"
        return None

    names = n.props["as"]
    error = prefix_names_error("join", names, len(n.parents), "joined streams", bad_name)
    return error or same_edges(n)


def combine_validate(n: NodeSpec) -> str | None:
    delim = n.props["delimiter"]

    def bad_name(name: str) -> str | None:
        if delim in name:  # Go: every string contains the empty delimiter
            return f"cannot use name {name} as field prefix, it contains the delimiter character {delim}"
        return None

    names, wanted = n.props["as"], len(n.args)
    return prefix_names_error("combine", names, wanted, "combine expressions", bad_name)


def derivative_init(n: NodeSpec) -> None:
    n.props["as"] = n.args[0]


def sample_init(n: NodeSpec) -> str | None:
    rate = n.args[0]
    if isinstance(rate, bool) or not isinstance(rate, int):
        return "must pass int64 or duration to new sample node"
    return None


def barrier_validate(n: NodeSpec) -> str | None:
    idle, period = n.props["idle"], n.props["period"]
    if idle != 0 and period != 0:
        return "cannot specify both idle and period"
    if period == 0 and idle <= 0:
        return "idle must be greater than zero"
    if period <= 0 and idle == 0:
        return "period must be greater than zero"
    return None


def httppost_init(n: NodeSpec) -> str | None:
    n.props["url"] = n.args[0] if n.args else ""
    n.props["endpoint"] = ""
    return None


def httppost_endpoint(props: dict[str, Any], args: list[Any]) -> None:
    props["endpoints"].append(args[0])
    props["endpoint"] = props["endpoints"][0]


def httppost_validate(n: NodeSpec) -> str | None:
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


def loopback_validate(n: NodeSpec) -> str | None:
    if n.props["database"] == "":
        return "must specify a database"
    if n.props["retentionPolicy"] == "":
        return "must specify a retention policy"
    return None


def same_edges(n: NodeSpec) -> str | None:
    """A node with several parents needs them all to provide the edge type it wants."""
    for p in n.parents:
        if p.provides != n.wants:
            return (
                f"invalid edge: {p.name} provides {p.provides} but {n.name} "
                f"wants {n.wants}; all parents of a {n.kind} node must have the same edge type"
            )
    return None


def union_validate(n: NodeSpec) -> str | None:
    return same_edges(n)
