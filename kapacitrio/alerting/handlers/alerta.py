"""The `alerta` handler: creates or updates an alert in Alerta (`POST <url>/alert`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kapacitrio.alerting import levels
from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import http, register
from kapacitrio.alerting.handlers.base import (
    Handler,
    HandlerEnv,
    compile_template,
    opt_dict,
    opt_duration,
    opt_list,
    opt_str,
    section_field,
)
from kapacitrio.alerting.handlers.services_common import (
    enabled_section,
    event_template_data,
    first,
    required_url,
    tls_verify,
)
from kapacitrio.config import duration_ns, section
from kapacitrio.tick.gotemplate import GoMap, GoTime

SEVERITY = {
    levels.OK: "ok",
    levels.INFO: "informational",
    levels.WARNING: "warning",
    levels.CRITICAL: "critical",
}
TEMPLATED = ("resource", "event", "environment", "group", "value", "origin")


@section("alerta")
@dataclass
class AlertaConfig:
    """`[alerta]`: an Alerta server."""

    enabled: bool = False
    url: str = ""
    token: str = ""
    token_prefix: str = "Bearer"
    environment: str = ""
    origin: str = "kapacitor"
    insecure_skip_verify: bool = False
    timeout: str = "0s"

    SECRETS = ("token",)


class AlertaHandler(Handler):
    def __init__(self, options: dict[str, Any], env: HandlerEnv) -> None:
        self.env = env
        self.token = opt_str(options, "token")
        texts = {k: opt_str(options, k) for k in TEMPLATED}
        texts["resource"] = texts["resource"] or "{{ .Name }}"
        texts["event"] = texts["event"] or "{{ .ID }}"
        self.templates = {k: compile_template(text, k) for k, text in texts.items()}
        self.services = opt_list(options, "service")
        self.correlate = opt_list(options, "correlate")
        self.attributes = opt_dict(options, "attributes")
        self.timeout = opt_duration(options, "timeout")

    async def handle(self, event: Event) -> None:
        sec = enabled_section(self.env, "alerta")
        url = required_url(sec, "alerta")
        data = event_template_data(
            event,
            Fields=GoMap(event.data.fields),
            Time=GoTime(event.state.time),
            Message=event.state.message,
        )
        rendered = {k: t.render(data) for k, t in self.templates.items()}
        timeout = self.timeout or duration_ns(section_field(sec, "timeout", "0s") or "0s")
        body: dict[str, Any] = {
            "resource": rendered["resource"],
            "event": rendered["event"],
            "environment": first(rendered["environment"], section_field(sec, "environment", "")),
            "severity": SEVERITY[event.state.level],
            "group": rendered["group"],
            "value": rendered["value"],
            "text": event.state.message,
            "origin": first(rendered["origin"], section_field(sec, "origin", "")),
            "service": self.services or [event.data.name],
            "correlate": self.correlate,
            "attributes": self.attributes,
            "timeout": timeout // 1_000_000_000,
        }
        if event.state.details:
            body["rawData"] = event.state.details
        token = first(self.token, section_field(sec, "token", ""))
        headers = {}
        if token:
            headers["Authorization"] = f"{section_field(sec, 'token_prefix', 'Bearer')} {token}"
        await http.post(
            self.env,
            url.rstrip("/") + "/alert",
            json_body=body,
            headers=headers,
            verify=tls_verify(sec),
        )


def _from_tick(args: list[Any], props: dict[str, Any]) -> dict[str, Any]:
    opts = {k: props.get(k, "") for k in ("token", *TEMPLATED)}
    opts["service"] = list(props.get("services") or [])
    opts["correlate"] = list(props.get("correlated") or [])
    opts["attributes"] = dict(props.get("attributes") or {})
    opts["timeout"] = int(props.get("timeout") or 0)
    return opts


register("alerta", AlertaHandler, _from_tick)
