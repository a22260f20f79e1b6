"""The slack transport: posts alerts as attachments to an incoming webhook."""

from __future__ import annotations

import re
from typing import Any

from kapacitrio.kkok.alert import Alert
from kapacitrio.kkok.errors import KkokError
from kapacitrio.kkok.js import JSError
from kapacitrio.kkok.params import Params
from kapacitrio.kkok.render import alert_text, load_template
from kapacitrio.kkok.transports.base import Transport, register_transport
from kapacitrio.kkok.transports.http import post_with_retry

_COLOR = re.compile(r"^(good|warning|danger|#[0-9a-fA-F]{6})$")


@register_transport("slack")
class SlackTransport(Transport):
    """One webhook post per delivery, one attachment per alert."""

    def configure(self, params: Params) -> None:
        self.url = params.str("url", required=True)
        if not self.url.startswith(("http://", "https://")):
            raise KkokError("slack transport: url must be an http(s) URL")
        self.max_retry = params.int("max_retry", 3)
        self.name = params.str("name")
        self.icon = params.str("icon")
        self.channel = params.str("channel")
        self.color_source = params.str("color")
        self.color = self.env.js.expression(self.color_source) if self.color_source else None
        self.template = load_template(params.str("template"))

    def _color(self, alert: Alert) -> str | None:
        if self.color is None:
            return None
        try:
            value = self.color.eval_alert(alert)
        except JSError:
            return None
        return value if isinstance(value, str) and _COLOR.match(value) else None

    def _attachment(self, alert: Alert) -> dict[str, Any]:
        att: dict[str, Any] = {
            "fallback": str(alert),
            "title": alert.title,
            "text": alert.message if self.template is None else alert_text(alert, self.template),
            "fields": [
                {"title": "From", "value": alert.from_, "short": True},
                {"title": "Host", "value": alert.host, "short": True},
            ],
            "ts": alert.date // 1_000_000_000,
        }
        color = self._color(alert)
        if color:
            att["color"] = color
        return att

    def payload(self, alerts: list[Alert]) -> dict[str, Any]:
        body: dict[str, Any] = {"attachments": [self._attachment(a) for a in alerts]}
        if self.name:
            body["username"] = self.name
        if self.icon:
            key = "icon_url" if self.icon.startswith(("http://", "https://")) else "icon_emoji"
            body[key] = self.icon
        if self.channel:
            body["channel"] = self.channel
        return body

    async def deliver(self, alerts: list[Alert]) -> None:
        await post_with_retry(
            self.url,
            max_retry=self.max_retry,
            delay=self.env.retry_delay,
            json=self.payload(alerts),
        )
