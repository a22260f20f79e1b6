"""The `post` handler: HTTP POST of the alert JSON (or a rendered template) to a URL or endpoint."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import http, register
from kapacitrio.alerting.handlers.base import (
    Handler,
    HandlerEnv,
    HandlerOptionError,
    compile_template,
    opt_bool,
    opt_dict,
    opt_duration,
    opt_str,
    section_field,
)
from kapacitrio.config import section
from kapacitrio.tick.gotemplate import GoDuration, GoMap, GoStruct, GoTime, Template


@section("httppost", many=True)
@dataclass
class HTTPPostConfig:
    """`[[httppost]]`: a named endpoint alert and httpPost nodes can post to."""

    endpoint: str = ""
    url: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    basic_auth: dict[str, str] = field(default_factory=dict)
    alert_template: str = ""
    alert_template_file: str = ""
    row_template: str = ""
    row_template_file: str = ""

    SECRETS = ("basic_auth",)


def _endpoint(env: HandlerEnv, name: str) -> Any:
    sections = env.section("httppost") or []
    for s in sections if isinstance(sections, list) else [sections]:
        if section_field(s, "endpoint", "") == name:
            return s
    return None


class PostHandler(Handler):
    def __init__(self, options: dict[str, Any], env: HandlerEnv) -> None:
        self.env = env
        self.url = opt_str(options, "url")
        self.endpoint = opt_str(options, "endpoint")
        self.headers = {str(k): str(v) for k, v in opt_dict(options, "headers").items()}
        self.capture = opt_bool(options, "capture-response")
        self.timeout = opt_duration(options, "timeout") / 1e9 or None
        self.verify = not opt_bool(options, "skip-ssl-verification")
        if not self.url and not self.endpoint:
            raise HandlerOptionError("must provide url or endpoint")
        if not any(k.lower() == "content-type" for k in self.headers):
            self.headers["Content-Type"] = "application/json"
        self.template: Template | None = None
        self.auth: tuple[str, str] | None = None
        self._own = (self.url, dict(self.headers))  # before the endpoint's settings are merged
        self._ep: Any = None
        if self.endpoint:
            ep = _endpoint(env, self.endpoint)
            if ep is None and not self.url:
                raise HandlerOptionError(f"endpoint {self.endpoint!r} does not exist")
            if ep is not None:
                self._from_endpoint(ep)

    def _from_endpoint(self, ep: Any) -> None:
        self._ep = ep
        self.url = self.url or section_field(ep, "url", "")
        for k, v in (section_field(ep, "headers", {}) or {}).items():
            self.headers.setdefault(k, v)
        ba = section_field(ep, "basic_auth", {}) or {}
        if ba.get("username"):
            self.auth = (ba.get("username", ""), ba.get("password", ""))
        text = section_field(ep, "alert_template", "")
        path = section_field(ep, "alert_template_file", "")
        if path and not text:
            try:
                with open(path, encoding="utf-8") as fh:
                    text = fh.read()
            except OSError as exc:
                raise HandlerOptionError(f"cannot read alert template file: {exc}") from None
        if text:
            self.template = compile_template(text, "alert")

    def _follow_endpoint(self) -> None:
        """Take the endpoint's settings again when a config override replaced its section."""
        ep = _endpoint(self.env, self.endpoint)
        if ep is None or ep is self._ep:
            return
        self.url, headers = self._own
        self.headers, self.template, self.auth = dict(headers), None, None
        self._from_endpoint(ep)

    async def handle(self, event: Event) -> None:
        if self.endpoint:
            self._follow_endpoint()
        if self.template is not None:
            content = self.template.render(_template_data(event))
        else:
            content = event.alert_text()
        resp = await http.post(
            self.env,
            self.url,
            content=content,
            headers=self.headers,
            timeout=self.timeout,
            verify=self.verify,
            auth=self.auth,
        )
        if self.capture:
            self.env.log("info", "alert post response", url=self.url, body=resp.text[:4096])


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


def _from_tick(args: list[Any], props: dict[str, Any]) -> dict[str, Any]:
    opts: dict[str, Any] = {"url": args[0] if args else "", "endpoint": props.get("endpoint", "")}
    opts["headers"] = dict(props.get("headers") or {})
    opts["capture-response"] = bool(props.get("captureResponse"))
    opts["timeout"] = int(props.get("timeout") or 0)
    opts["skip-ssl-verification"] = bool(props.get("skipSSLVerification"))
    return opts


register("post", PostHandler, _from_tick)
