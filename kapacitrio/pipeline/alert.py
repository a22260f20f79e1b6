"""The alert node kind and its handler property methods, each handler with its own properties."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from kapacitrio.pipeline import gotypes as g
from kapacitrio.pipeline.kinds import KINDS, NodeKind, register
from kapacitrio.pipeline.props import Prop, flag, fld, method
from kapacitrio.pipeline.spec import HandlerSpec, NodeSpec

DEFAULT_ID = "{{ .Name }}:{{ .Group }}"
DEFAULT_MESSAGE = "{{ .ID }} is {{ .Level }}"
DEFAULT_DETAILS = "{{ json . }}"


@dataclass(frozen=True, slots=True)
class HandlerKind:
    """One handler property method of the alert node (`.post(url)`) and the handler's properties."""

    name: str
    go: str
    params: tuple[str, ...] = ()
    props: tuple[Prop, ...] = ()
    arg_props: tuple[str, ...] = ()
    prop_index: dict[str, Prop] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        for p in self.props:
            self.prop_index[p.name] = p

    def new(self, args: list[Any]) -> HandlerSpec:
        props: dict[str, Any] = {}
        for p in self.props:
            props.setdefault(p.store, p.fresh_default())
        for name, value in zip(self.arg_props, args, strict=False):
            props[name] = value
        return HandlerSpec(kind=self.name, args=list(args), props=props)


HANDLERS: dict[str, HandlerKind] = {}

_GO = {"string": g.STRING, "int": g.INT, "float": g.FLOAT, "duration": g.DURATION}
_GO.update({"bool": g.BOOL, "any": g.ANY})


def _go(param: str) -> str:
    dots = "..." if param.startswith("...") else ""
    return dots + _GO[param.removeprefix("...")]


def _load_handlers() -> None:
    """Each handler's TICKscript method and properties, derived from its kind's option table."""
    from kapacitrio.alerting.handlers import tick_methods

    for m in tick_methods():
        props = tuple(
            Prop(p.name, tuple(_go(t) for t in p.params), p.default, p.field, p.apply, p.key)
            for p in m.props
        )
        HANDLERS[m.method] = HandlerKind(
            m.method, m.go, tuple(_go(t) for t in m.params), props, m.arg_props
        )


# ---------------------------------------------------------------------------------------------
# the alert node itself


def _inhibit(props: dict[str, Any], args: list[Any]) -> None:
    props["inhibit"].append((args[0], list(args[1:])))


def _flapping(props: dict[str, Any], args: list[Any]) -> None:
    props["flapping"] = (args[0], args[1])


def _state_changes_only(props: dict[str, Any], args: list[Any]) -> str | None:
    if len(args) > 1:
        return "stateChangesOnly takes at most one argument"
    props["stateChangesOnly"] = True
    props["stateChangesOnlyInterval"] = int(args[0]) if args else 0
    return None


def _history(props: dict[str, Any], args: list[Any]) -> None:
    props["history"] = max(int(args[0]), 2)


#: The topic id rule of the alert service (the topics API applies the same).
TOPIC_ID_RE = re.compile(r"^[-:._\w]+$")


def _alert_validate(n: NodeSpec) -> str | None:
    from kapacitrio.alerting.handlers import validate_tick

    topic = n.props.get("topic") or ""
    if topic and not TOPIC_ID_RE.match(topic):
        return f"topic ID must contain only letters, numbers, '-', '.', ':' and '_'. {topic!r}"
    for h in n.props["handlers"]:
        if h.kind == "post":
            for k in h.props["headers"]:
                if k.upper() == "AUTHENTICATE":
                    return "invalid post: cannot set 'authenticate' header"
        if h.kind == "snmpTrap":
            oid = h.args[0]
            if oid == "":
                return f'invalid SNMP trap "{oid}": you must supply a trap Oid'
            for d in h.props["data-list"]:
                if d["type"] not in ("c", "i", "n", "s", "t"):
                    return f'invalid SNMP trap "{oid}": unsupported data type "{d["type"]}" for data entry "{d["oid"]}"'
        err = validate_tick(h.kind, h.args, h.props)
        if err:
            return err
    return None


ALERT_PROPS: tuple[Prop, ...] = (
    fld("id", g.STRING, DEFAULT_ID),
    fld("message", g.STRING, DEFAULT_MESSAGE),
    fld("details", g.STRING, DEFAULT_DETAILS),
    fld("info", g.LAMBDA),
    fld("warn", g.LAMBDA),
    fld("crit", g.LAMBDA),
    fld("infoReset", g.LAMBDA),
    fld("warnReset", g.LAMBDA),
    fld("critReset", g.LAMBDA),
    fld("topic", g.STRING),
    fld("category", g.STRING),
    method("inhibit", (g.STRING, "..." + g.STRING), [], _inhibit),
    method("history", (g.INT,), 21, _history),
    method("flapping", (g.FLOAT, g.FLOAT), None, _flapping),
    method("stateChangesOnly", ("..." + g.DURATION,), False, _state_changes_only),
    flag("noRecoveries"),
    flag("all"),
    fld("levelTag", g.STRING),
    fld("levelField", g.STRING),
    fld("messageField", g.STRING),
    fld("durationField", g.STRING),
    fld("idTag", g.STRING),
    fld("idField", g.STRING),
)

register(
    NodeKind(
        "alert",
        "AlertNode",
        "alert",
        props=ALERT_PROPS,
        validate=_alert_validate,
    )
)
ALERT: NodeKind = KINDS["alert"]
_load_handlers()


def alert_fresh(props: dict[str, Any]) -> None:
    """Extra props of a new alert node not declared as plain properties."""
    props["stateChangesOnlyInterval"] = 0
    props["handlers"] = []
