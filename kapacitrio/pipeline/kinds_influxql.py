"""The InfluxQL function node kinds (count, mean, top, holtWinters, ...)."""

from __future__ import annotations

from kapacitrio.pipeline import gotypes as g
from kapacitrio.pipeline.kinds import KINDS, SAME, NodeKind, register
from kapacitrio.pipeline.props import flag, fld
from kapacitrio.pipeline.spec import BATCH, STREAM, NodeSpec

# ---------------------------------------------------------------------------------------------
# InfluxQL functions: (name, extra params after the field, provides)

_INFLUXQL_PROPS = (fld("as", g.STRING), flag("usePointTimes"))


def _influxql_init(n: NodeSpec) -> str | None:
    idx = 1 if n.kind in ("top", "bottom") else 0
    n.props["field"] = n.args[idx]
    n.props["as"] = n.kind if n.kind != "holtWintersWithFit" else "holtWinters"
    return None


def _influxql(name: str, params: tuple[str, ...], provides: str, desc: str | None = None) -> None:
    register(
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
