"""The exec transport: runs a command with the alerts as JSON on its stdin."""

from __future__ import annotations

from kapacitrio.kkok.alert import Alert
from kapacitrio.kkok.command import run_command
from kapacitrio.kkok.params import Params
from kapacitrio.kkok.transports.base import Transport, TransportError, register_transport


@register_transport("exec")
class ExecTransport(Transport):
    """One run per alert (the alert object on stdin), or with `all` one run for the array."""

    def configure(self, params: Params) -> None:
        self.command = params.command("command", required=True)
        self.all = params.bool("all")
        self.timeout = params.int("timeout", 5)

    async def deliver(self, alerts: list[Alert]) -> None:
        payloads = [[a.to_json() for a in alerts]] if self.all else [a.to_json() for a in alerts]
        errors = []
        for payload in payloads:
            result = await run_command(self.command, payload, self.timeout)
            if not result.ok:
                errors.append(result.error)
        if errors:
            raise TransportError("; ".join(str(e) for e in errors))
