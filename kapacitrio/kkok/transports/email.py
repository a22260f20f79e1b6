"""The email transport: one mail per alert over SMTP (Subject the Title, Date the alert's)."""

from __future__ import annotations

import datetime as _dt
import smtplib
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import trio

from kapacitrio.kkok.alert import Alert
from kapacitrio.kkok.errors import KkokError
from kapacitrio.kkok.params import Params
from kapacitrio.kkok.render import alert_text, load_template
from kapacitrio.kkok.transports.base import (
    Transport,
    TransportError,
    read_lines_file,
    register_transport,
)

SMTP_TIMEOUT = 30


@register_transport("email")
class EmailTransport(Transport):
    """Sends each alert as a plain-text mail."""

    def configure(self, params: Params) -> None:
        self.from_ = params.str("from", required=True)
        self.host = params.str("host", "localhost")
        self.port = params.int("port", 25, minimum=1)
        self.user = params.str("user")
        self.password = params.str("password")
        self.to = params.str_list("to")
        self.cc = params.str_list("cc")
        self.bcc = params.str_list("bcc")
        self.to_file = params.str("to_file")
        self.cc_file = params.str("cc_file")
        self.bcc_file = params.str("bcc_file")
        self.template = load_template(params.str("template"))
        if not (self.to or self.cc or self.bcc or self.to_file or self.cc_file or self.bcc_file):
            raise KkokError("email transport: no recipients (to, cc, bcc or their _file)")

    def _recipients(self) -> tuple[list[str], list[str], list[str]]:
        return (
            self.to + read_lines_file(self.to_file),
            self.cc + read_lines_file(self.cc_file),
            self.bcc + read_lines_file(self.bcc_file),
        )

    def _message(self, alert: Alert, to: list[str], cc: list[str]) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.from_
        if to:
            msg["To"] = ", ".join(to)
        if cc:
            msg["Cc"] = ", ".join(cc)
        msg["Subject"] = alert.title
        when = _dt.datetime.fromtimestamp(alert.date / 1e9, tz=_dt.UTC)
        msg["Date"] = format_datetime(when)
        msg["Message-ID"] = make_msgid(domain="kapacitrio")
        msg.set_content(alert_text(alert, self.template))
        return msg

    async def deliver(self, alerts: list[Alert]) -> None:
        to, cc, bcc = self._recipients()
        rcpts = to + cc + bcc
        if not rcpts:
            return
        messages = [self._message(a, to, cc) for a in alerts]
        await trio.to_thread.run_sync(self._send, messages, rcpts)

    def _send(self, messages: list[EmailMessage], rcpts: list[str]) -> None:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT) as smtp:
                if self.user:
                    smtp.ehlo()
                    if smtp.has_extn("starttls"):
                        smtp.starttls()
                    smtp.login(self.user, self.password)
                for msg in messages:
                    smtp.send_message(msg, from_addr=self.from_, to_addrs=rcpts)
        except (OSError, smtplib.SMTPException) as exc:
            raise TransportError(f"email to {self.host}:{self.port} failed: {exc}") from None
