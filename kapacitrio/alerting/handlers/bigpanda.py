"""The `bigpanda` handler: an alert for BigPanda's alerts API (bearer token)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kapacitrio.alerting import levels
from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import http, register
from kapacitrio.alerting.handlers.base import (
    Handler,
    HandlerEnv,
    HandlerFailed,
    opt_dict,
    opt_str,
    section_field,
)
from kapacitrio.alerting.handlers.services_common import enabled_section, first, tls_verify
from kapacitrio.config import section

STATUS = {
    levels.OK: "ok",
    levels.INFO: "ok",
    levels.WARNING: "warning",
    levels.CRITICAL: "critical",
}


@section("bigpanda")
@dataclass
class BigPandaConfig:
    """`[bigpanda]`: a BigPanda integration."""

    enabled: bool = False
    url: str = "https://api.bigpanda.io/data/v2/alerts"
    app_key: str = ""
    token: str = ""
    auto_attributes: str = "tags,fields"
    global_: bool = False
    state_changes_only: bool = False
    insecure_skip_verify: bool = False

    SECRETS = ("token",)


class BigPandaHandler(Handler):
    def __init__(self, options: dict[str, Any], env: HandlerEnv) -> None:
        self.env = env
        self.app_key = opt_str(options, "app-key")
        self.host = opt_str(options, "host")
        self.primary = opt_str(options, "primary-property")
        self.secondary = opt_str(options, "secondary-property")
        self.attributes = opt_dict(options, "attributes")

    async def handle(self, event: Event) -> None:
        sec = enabled_section(self.env, "bigpanda")
        app_key = first(self.app_key, section_field(sec, "app_key", ""))
        token = section_field(sec, "token", "")
        if not app_key or not token:
            raise HandlerFailed("bigpanda: app-key and token are required")
        body: dict[str, Any] = {}
        auto = {a.strip() for a in str(section_field(sec, "auto_attributes", "")).split(",")}
        if "tags" in auto:
            body.update({k: str(v) for k, v in event.data.tags.items()})
        if "fields" in auto:
            body.update({k: v for k, v in event.data.fields.items()})
        body.update(self.attributes)
        body.update(
            {
                "app_key": app_key,
                "status": STATUS[event.state.level],
                "host": first(self.host, event.data.tags.get("host", ""), event.state.id),
                "check": event.state.id,
                "description": event.state.message,
                "timestamp": event.state.time // 1_000_000_000,
                "task": f"{event.data.task_name}:{event.data.name}",
            }
        )
        if self.primary:
            body["primary_property"] = self.primary
        if self.secondary:
            body["secondary_property"] = self.secondary
        await http.post(
            self.env,
            section_field(sec, "url", ""),
            json_body=body,
            headers={"Authorization": f"Bearer {token}"},
            verify=tls_verify(sec),
        )


def _from_tick(args: list[Any], props: dict[str, Any]) -> dict[str, Any]:
    return {
        "app-key": props.get("appKey", ""),
        "host": props.get("host", ""),
        "primary-property": props.get("primaryProperty", ""),
        "secondary-property": props.get("secondaryProperty", ""),
        "attributes": dict(props.get("attributes") or {}),
    }


register("bigpanda", BigPandaHandler, _from_tick, "bigPanda")
