"""The twilio transport: SMS through Twilio's REST API, rate limited per destination class."""

from __future__ import annotations

from kapacitrio.kkok.alert import Alert
from kapacitrio.kkok.params import Params
from kapacitrio.kkok.render import alert_text, load_template
from kapacitrio.kkok.transports.base import (
    Transport,
    TransportError,
    read_lines_file,
    register_transport,
)
from kapacitrio.kkok.transports.http import post_with_retry

DEFAULT_API_URL = "https://api.twilio.com"
NS = 1_000_000_000


def min_gap_ns(number: str) -> int:
    """Twilio sends 1 message a second to US and Canada (+1) numbers, 10 a second elsewhere."""
    return NS if number.startswith("+1") else NS // 10


@register_transport("twilio")
class TwilioTransport(Transport):
    """One SMS per alert and recipient (or with `count_only` one SMS giving the count)."""

    def configure(self, params: Params) -> None:
        self.account = params.str("account", required=True)
        self.token = params.str("token", required=True)
        self.key_sid = params.str("key_sid")
        self.from_ = params.str("from", required=True)
        self.to = params.str_list("to")
        self.to_file = params.str("to_file")
        self.max_length = params.int("max_length", 160, minimum=1)
        self.max_retry = params.int("max_retry", 3)
        self.template = load_template(params.str("template"))
        self.count_only = params.bool("count_only")
        self.api_url = params.str("api_url", DEFAULT_API_URL).rstrip("/")
        self._next_send: dict[int, int] = {}

    def bodies(self, alerts: list[Alert]) -> list[str]:
        if self.count_only:
            texts = [f"{len(alerts)} alert{'s' if len(alerts) != 1 else ''}"]
        elif self.template is None:
            texts = [str(a) for a in alerts]
        else:
            texts = [alert_text(a, self.template) for a in alerts]
        return [t[: self.max_length] for t in texts]

    async def _wait_turn(self, number: str) -> None:
        gap = min_gap_ns(number)
        clock = self.env.clock
        ready = self._next_send.get(gap, 0)
        if clock.now() < ready:
            await clock.sleep_until(ready)
        self._next_send[gap] = clock.now() + gap

    async def _send(self, number: str, body: str) -> None:
        await self._wait_turn(number)
        url = f"{self.api_url}/2010-04-01/Accounts/{self.account}/Messages.json"
        await post_with_retry(
            url,
            max_retry=self.max_retry,
            delay=self.env.retry_delay,
            data={"From": self.from_, "To": number, "Body": body},
            auth=(self.key_sid or self.account, self.token),
        )

    async def deliver(self, alerts: list[Alert]) -> None:
        numbers = self.to + read_lines_file(self.to_file)
        errors = []
        for body in self.bodies(alerts):
            for number in numbers:
                try:
                    await self._send(number, body)
                except TransportError as exc:
                    errors.append(str(exc))
        if errors:
            raise TransportError("; ".join(errors))
