"""The `talk` handler: a message to a Talk (talk.ai) incoming webhook."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import http, register
from kapacitrio.alerting.handlers.base import Handler, HandlerEnv, section_field
from kapacitrio.alerting.handlers.services_common import enabled_section
from kapacitrio.config import section


@section("talk")
@dataclass
class TalkConfig:
    """`[talk]`: a Talk webhook."""

    enabled: bool = False
    url: str = ""
    author_name: str = "Kapacitor"

    SECRETS = ("url",)


class TalkHandler(Handler):
    def __init__(self, options: dict[str, Any], env: HandlerEnv) -> None:
        self.env = env

    async def handle(self, event: Event) -> None:
        sec = enabled_section(self.env, "talk")
        body = {
            "title": event.state.id,
            "text": event.state.message,
            "authorName": section_field(sec, "author_name", "Kapacitor"),
        }
        await http.post(self.env, section_field(sec, "url", ""), json_body=body)


register("talk", TalkHandler, lambda a, p: {})
