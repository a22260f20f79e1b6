"""The `post` handler: HTTP POST of the alert JSON (or a rendered template) to a URL or endpoint."""

from __future__ import annotations

import functools
from typing import Any

from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import define
from kapacitrio.alerting.handlers.base import HandlerEnv, HandlerFailed, HandlerOptionError
from kapacitrio.alerting.handlers.base import section_field as field_of
from kapacitrio.alerting.handlers.http import HTTPRequest
from kapacitrio.alerting.handlers.kind import Ctx, Kind, TableHandler, Tick, config_section
from kapacitrio.alerting.handlers.options import BOOL, DURATION, MAP, Opt, Table, Values
from kapacitrio.tick.gotemplate import GoDuration, GoMap, GoStruct, GoTime, Template, TemplateError

HTTPPostConfig = config_section(
    "httppost",
    "HTTPPostConfig",
    "`[[httppost]]`: a named endpoint alert and httpPost nodes can post to.",
    {
        "endpoint": "",
        "url": "",
        "headers": (dict[str, str], {}),
        "basic_auth": (dict[str, str], {}),
        "alert_template": "",
        "alert_template_file": "",
        "row_template": "",
        "row_template_file": "",
    },
    many=True,
    secrets=("basic_auth",),
    element_key="endpoint",
)


def _headers(value: dict[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()}


TABLE = Table(
    "*httppost.HandlerConfig",
    (
        Opt("url", tick=""),
        Opt("endpoint"),
        Opt("headers", MAP, convert=_headers, tick="header", tick_params=("string", "string")),
        Opt("capture-response", BOOL, tick="captureResponse"),
        Opt("timeout", DURATION),
        Opt("skip-ssl-verification", BOOL, tick="skipSSLVerification"),
    ),
)


def endpoint_section(env: HandlerEnv, name: str) -> Any:
    """The `[[httppost]]` element named `name`, or None."""
    sections = env.section("httppost") or []
    for s in sections if isinstance(sections, list) else [sections]:
        if field_of(s, "endpoint", "") == name:
            return s
    return None


def _check(o: Values, env: HandlerEnv) -> None:
    if not o["url"] and not o["endpoint"]:
        raise HandlerOptionError("must provide url or endpoint")
    if o["endpoint"] and not o["url"] and endpoint_section(env, o["endpoint"]) is None:
        raise HandlerOptionError(f"endpoint {o['endpoint']!r} does not exist")
    if o["endpoint"]:
        _alert_template(endpoint_section(env, o["endpoint"]))


@functools.lru_cache(maxsize=64)
def _compiled(text: str) -> Template:
    try:
        return Template(text, name="alert")
    except TemplateError as exc:
        raise HandlerOptionError(str(exc)) from None


def _alert_template(ep: Any) -> Template | None:
    if ep is None:
        return None
    text = field_of(ep, "alert_template", "")
    path = field_of(ep, "alert_template_file", "")
    if path and not text:
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        except OSError as exc:
            raise HandlerOptionError(f"cannot read alert template file: {exc}") from None
    return _compiled(text) if text else None


def request(o: Values, event: Event, ctx: Ctx) -> HTTPRequest:
    url, headers = o["url"], dict(o["headers"])
    auth, template = None, None
    if o["endpoint"]:
        ep = endpoint_section(ctx.env, o["endpoint"])  # read per event: overrides apply at once
        if ep is None and not url:
            raise HandlerFailed(f"endpoint {o['endpoint']!r} does not exist")
        if ep is not None:
            url = url or field_of(ep, "url", "")
            for k, v in (field_of(ep, "headers", {}) or {}).items():
                headers.setdefault(k, v)
            ba = field_of(ep, "basic_auth", {}) or {}
            if ba.get("username"):
                auth = (ba.get("username", ""), ba.get("password", ""))
            template = _alert_template(ep)
    if not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = "application/json"
    content = template.render(_template_data(event)) if template else event.alert_text()
    return HTTPRequest(
        url,
        content=content,
        headers=headers,
        timeout=o["timeout"] / 1e9 or None,
        verify=not o["skip-ssl-verification"],
        auth=auth,
    )


class PostHandler(TableHandler):
    """Posts each event; logs the receiver's answer when `capture-response` is set."""

    async def handle(self, event: Event) -> None:
        req = request(self.values, event, Ctx(self.env))
        resp = await req.send(self.env)
        if self.values["capture-response"]:
            self.env.log("info", "alert post response", url=req.url, body=resp.text[:4096])


def _template_data(event: Event) -> GoStruct:
    """Template data for alert templates: the alert's fields under their Go names."""
    body = event.alert_json()
    rows = [
        GoStruct(
            {
                "Name": r.get("name", ""),
                "Tags": GoMap(r.get("tags") or {}, zero=""),
                "Columns": r.get("columns") or [],
                "Values": r.get("values") or [],
            },
            type_name="models.Row",
        )
        for r in (body["data"] or {}).get("series") or []
    ]
    return GoStruct(
        {
            "ID": body["id"],
            "Message": body["message"],
            "Details": body["details"],
            "Time": GoTime(event.state.time),
            "Duration": GoDuration(event.state.duration),
            "Level": body["level"],
            "Data": GoStruct({"Series": rows}, type_name="models.Result"),
            "PreviousLevel": body["previousLevel"],
            "Recoverable": body["recoverable"],
        },
        type_name="alert.AlertData",
    )


define(
    Kind(
        "post",
        TABLE,
        request,
        Tick("post", "AlertHTTPPostHandler", ("...string",), ("url",)),
        section=None,
        check=_check,
        handler=PostHandler,
    )
)
