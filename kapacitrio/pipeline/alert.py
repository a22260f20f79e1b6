"""The alert node kind and its handler property methods, each handler with its own properties."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kapacitrio.pipeline import gotypes as g
from kapacitrio.pipeline.nodes import KINDS, NodeKind, _reg
from kapacitrio.pipeline.props import Prop, addlist, flag, fld, keyvalue, method, setlist
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


def _h(
    name: str, go: str, params: tuple[str, ...] = (), *props: Prop, arg_props: tuple[str, ...] = ()
) -> None:
    HANDLERS[name] = HandlerKind(name, go, params, tuple(props), arg_props)


def _s(*names: str) -> tuple[Prop, ...]:
    return tuple(fld(n, g.STRING) for n in names)


def _pd2_link(props: dict[str, Any], args: list[Any]) -> str | None:
    if len(args) > 2 or not args:
        return "link expects one or two arguments: href and text"
    props["links"].append({"href": args[0], "text": args[1] if len(args) > 1 else ""})
    return None


def _snmp_data(props: dict[str, Any], args: list[Any]) -> None:
    props["data"].append({"oid": args[0], "type": args[1], "value": args[2]})


_h(
    "post",
    "AlertHTTPPostHandler",
    ("..." + g.STRING,),
    fld("endpoint", g.STRING),
    keyvalue("header", key="headers"),
    flag("captureResponse"),
    fld("timeout", g.DURATION),
    flag("skipSSLVerification"),
)
_h("tcp", "TcpHandler", (g.STRING,), fld("address", g.STRING), arg_props=("address",))
_h("log", "LogHandler", (g.STRING,), fld("mode", g.INT, 0o600))
_h("exec", "ExecHandler", ("..." + g.STRING,))
_h(
    "email",
    "EmailHandler",
    ("..." + g.STRING,),
    addlist("to"),
    addlist("toTemplates"),
    arg_props=(),
)
_h(
    "snmpTrap",
    "SNMPTrapHandler",
    (g.STRING,),
    method("data", (g.STRING, g.STRING, g.STRING), [], _snmp_data),
)
_h("slack", "SlackHandler", (), *_s("workspace", "channel", "username", "iconEmoji"))
_h("pagerDuty", "PagerDutyHandler", (), *_s("serviceKey"))
_h(
    "pagerDuty2",
    "PagerDuty2Handler",
    (),
    *_s("routingKey"),
    method("link", ("..." + g.STRING,), [], _pd2_link, key="links"),
    fld("serviceKey", g.STRING),
)
_h("opsGenie", "OpsGenieHandler", (), setlist("teams"), setlist("recipients"))
_h(
    "opsGenie2",
    "OpsGenie2Handler",
    (),
    setlist("teams"),
    setlist("recipients"),
    fld("recoveryAction", g.STRING),
)
_h("victorOps", "VictorOpsHandler", (), *_s("routingKey"))
_h("pushover", "PushoverHandler", (), *_s("userKey", "device", "title", "uRL", "uRLTitle", "sound"))
_h(
    "sensu",
    "SensuHandler",
    (),
    fld("source", g.STRING),
    setlist("handlers"),
    keyvalue("metadata", g.ANY),
)
_h(
    "telegram",
    "TelegramHandler",
    (),
    *_s("chatId", "parseMode"),
    flag("disableWebPagePreview"),
    flag("disableNotification"),
)
_h("hipChat", "HipChatHandler", (), *_s("room", "token"))
_h(
    "alerta",
    "AlertaHandler",
    (),
    *_s("token", "resource", "event", "environment", "group", "value", "origin"),
    setlist("services"),
    setlist("correlated"),
    keyvalue("attribute", g.ANY, key="attributes"),
    fld("timeout", g.DURATION),
)
_h(
    "mqtt",
    "MQTTHandler",
    (g.STRING,),
    fld("topic", g.STRING),
    fld("brokerName", g.STRING),
    fld("qos", g.INT),
    fld("retained", g.BOOL),
    arg_props=("topic",),
)
_h(
    "kafka",
    "KafkaHandler",
    (),
    *_s("cluster", "kafkaTopic", "template", "partitionHashAlgorithm"),
    flag("disablePartitionById"),
)
_h("talk", "TalkHandler", ())
_h("teams", "TeamsHandler", (), *_s("channelURL"))
_h("discord", "DiscordHandler", (), *_s("workspace", "username", "avatarUrl", "embedTitle"))
_h(
    "serviceNow",
    "ServiceNowHandler",
    (),
    *_s("source", "node", "type", "resource", "metricName", "messageKey"),
    keyvalue("additionalInfo", g.ANY),
)
_h(
    "bigPanda",
    "BigPandaHandler",
    (),
    *_s("appKey", "host", "primaryProperty", "secondaryProperty"),
    keyvalue("attribute", g.ANY, key="attributes"),
)
_h(
    "zenoss",
    "ZenossHandler",
    (),
    *_s("action", "method", "type", "summary", "device", "component", "eventClassKey"),
    *_s("eventClass", "collector", "message"),
    fld("tid", g.INT, 1),
    keyvalue("customField", g.ANY, key="customFields"),
)


# kapacitrio's own: hand events to the kkok router (`.kkok().routes('r1').from('app')`).
_h("kkok", "KkokHandler", (), setlist("routes"), fld("from", g.STRING))


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


def _alert_validate(n: NodeSpec) -> str | None:
    for h in n.props["handlers"]:
        if h.kind == "post":
            for k in h.props["headers"]:
                if k.upper() == "AUTHENTICATE":
                    return "invalid post: cannot set 'authenticate' header"
        if h.kind == "snmpTrap":
            oid = h.args[0]
            if oid == "":
                return f'invalid SNMP trap "{oid}": you must supply a trap Oid'
            for d in h.props["data"]:
                if d["type"] not in ("c", "i", "n", "s", "t"):
                    return f'invalid SNMP trap "{oid}": unsupported data type "{d["type"]}" for data entry "{d["oid"]}"'
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

_reg(
    NodeKind(
        "alert",
        "AlertNode",
        "alert",
        props=ALERT_PROPS,
        validate=_alert_validate,
    )
)
ALERT: NodeKind = KINDS["alert"]


def alert_fresh(props: dict[str, Any]) -> None:
    """Extra props of a new alert node not declared as plain properties."""
    props["stateChangesOnlyInterval"] = 0
    props["handlers"] = []
