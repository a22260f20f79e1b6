"""The alert node's properties, read once from its spec (templates, level lambdas, flapping, ...)."""

from __future__ import annotations

import re
from typing import Any

from kapacitrio.alerting import levels
from kapacitrio.engine.node import NodeError
from kapacitrio.tick.gotemplate import Template

DEFAULT_ID = "{{ .Name }}:{{ .Group }}"
DEFAULT_MESSAGE = "{{ .ID }} is {{ .Level }}"
DEFAULT_DETAILS = "{{ json . }}"

LEVEL_PROPS = ((levels.INFO, "info"), (levels.WARNING, "warn"), (levels.CRITICAL, "crit"))


def _compile(node: Any) -> Any:
    from kapacitrio.tick.lambdas import compile_expression

    return compile_expression(node)


class AlertOptions:
    """The alert node's properties, read once from its spec."""

    def __init__(self, props: dict[str, Any]) -> None:
        get = props.get
        self.id_tmpl = Template(get("id") or DEFAULT_ID, name="id")
        self.message_tmpl = Template(
            DEFAULT_MESSAGE if get("message") is None else get("message"), name="message"
        )
        self.details_tmpl = Template(
            DEFAULT_DETAILS if get("details") is None else get("details"), html=True, name="details"
        )
        self.exprs: list[Any] = [None, None, None, None]
        self.level_nodes: list[Any] = [None, None, None, None]
        self.resets: list[Any] = [None, None, None, None]
        for lvl, key in LEVEL_PROPS:
            if get(key) is not None:
                self.exprs[lvl] = _compile(get(key))
                self.level_nodes[lvl] = get(key)
                if get(key + "Reset") is not None:
                    self.resets[lvl] = _compile(get(key + "Reset"))
        self.history = max(2, int(get("history") or 21))
        self.flapping, self.flap_low, self.flap_high = _flapping(props)
        if self.flapping and (self.flap_low > 1 or self.flap_high > 1):
            raise NodeError("alert flap thresholds are percentages and should be between 0 and 1")
        sco = get("stateChangesOnly")
        self.state_changes_only = bool(sco)
        dur = get("stateChangesOnlyInterval") or get("stateChangesOnlyDuration") or 0
        if not isinstance(sco, bool) and isinstance(sco, int):
            dur = dur or sco
        self.sco_interval = int(dur or 0)
        self.no_recoveries = bool(get("noRecoveries"))
        self.all = bool(get("all"))
        self.topic = get("topic") or ""
        self.category = get("category") or ""
        self.inhibits = _inhibits(get("inhibit") or get("inhibitors"))
        self.level_tag = get("levelTag") or ""
        self.id_tag = get("idTag") or ""
        self.level_field = get("levelField") or ""
        self.id_field = get("idField") or ""
        self.message_field = get("messageField") or ""
        self.duration_field = get("durationField") or ""
        self.augment_tags = bool(self.level_tag or self.id_tag)
        self.augment_fields = bool(
            self.level_field or self.id_field or self.message_field or self.duration_field
        )


_PER_POINT = re.compile(r"Tags|ServerInfo|\$|\b(?:range|with|json|jsonCompact)\b|\.\s*[}|)]|\s\.\s")


def id_depends_on_group_only(text: str) -> bool:
    """True when an ID template cannot read anything but .Name, .Group and .TaskName."""
    return _PER_POINT.search(text) is None


def _flapping(props: dict[str, Any]) -> tuple[bool, float, float]:
    f = props.get("flapping")
    if isinstance(f, list | tuple) and len(f) == 2:
        return True, float(f[0]), float(f[1])
    if isinstance(f, dict):
        return True, float(f.get("low", 0)), float(f.get("high", 0))
    low, high = props.get("flapLow"), props.get("flapHigh")
    if f or props.get("useFlapping"):
        return True, float(low or 0), float(high or 0)
    return False, 0.0, 0.0


def _inhibits(value: Any) -> list[tuple[str, list[str]]]:
    out: list[tuple[str, list[str]]] = []
    for item in value or []:
        if isinstance(item, dict):
            out.append(
                (item.get("category", ""), list(item.get("equalTags") or item.get("tags") or []))
            )
        elif isinstance(item, list | tuple) and item:
            cat, *rest = item
            tags = rest[0] if len(rest) == 1 and isinstance(rest[0], list | tuple) else rest
            out.append((str(cat), [str(t) for t in tags]))
    return out
