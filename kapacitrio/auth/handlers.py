"""`[alert] disable-handlers`: handler kinds (`exec`, `log`, `tcp`, ...) no task or topic may use."""

from __future__ import annotations

import typing
from dataclasses import dataclass, field
from typing import Any

from kapacitrio.alerting.handlers import add_build_check
from kapacitrio.alerting.handlers.base import HandlerOptionError
from kapacitrio.config import section


@section("alert")
@dataclass
class AlertConfig:
    """`[alert]`: Kapacitor's alert service keys; `disable-handlers` lists refused handler kinds."""

    STRICT: typing.ClassVar[bool] = True

    persist_topics: bool = True
    topic_buffer_length: int = 5000
    disable_handlers: list[str] = field(default_factory=list)


def _refuse_disabled(kind: str, env: Any) -> None:
    alert = env.section("alert")
    disabled = {k.lower() for k in getattr(alert, "disable_handlers", None) or []}
    if kind.lower() in disabled:
        raise HandlerOptionError(f"handler '{kind}' is disabled")


add_build_check(_refuse_disabled)
