"""Any Kapacitor alert handler kind (post, tcp, log, slack, ...) used as a kkok transport."""

from __future__ import annotations

from typing import Any

from kapacitrio.kkok.alert import Alert
from kapacitrio.kkok.errors import KkokError
from kapacitrio.kkok.transports.base import Transport, TransportEnv, TransportError

#: Kinds that make no sense as a transport: kkok would loop, aggregate needs its own timer.
EXCLUDED = {"kkok", "aggregate"}


class HandlerTransport(Transport):
    """Delivers each alert as a Kapacitor event to a handler of that kind."""

    def __init__(self, kind: str, handler: Any) -> None:
        self.type_name = kind
        self.handler = handler

    async def deliver(self, alerts: list[Alert]) -> None:
        from kapacitrio.kkok.sources.kapacitor import event_from_alert

        errors = []
        for alert in alerts:
            try:
                await self.handler.handle(event_from_alert(alert))
            except Exception as exc:  # a handler's failure is this delivery's failure
                errors.append(f"{type(exc).__name__}: {exc}")
        if errors:
            raise TransportError(f"{self.type_name} handler: {'; '.join(errors)}")


def _handler_env(env: TransportEnv) -> Any:
    from kapacitrio.alerting.handlers.base import HandlerEnv

    services = env.services
    alerts = getattr(services, "alerts", None)
    if alerts is not None and getattr(alerts, "env", None) is not None:
        return alerts.env
    config = getattr(services, "config", None)
    return HandlerEnv(config=config.get if config is not None else None)


def handler_transport(
    kind: str, options: dict[str, Any], env: TransportEnv, *, owner: str
) -> Transport | None:
    """A transport wrapping the Kapacitor handler `kind`, or None when no such handler exists."""
    from kapacitrio.alerting import handlers as registry

    registry.load_all()
    if kind in EXCLUDED or kind not in registry.KINDS:
        return None
    try:
        handler = registry.build(kind, dict(options), _handler_env(env))
    except ValueError as exc:
        raise KkokError(f"{owner}: {kind} handler: {exc}") from None
    return HandlerTransport(kind, handler)
