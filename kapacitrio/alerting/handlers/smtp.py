"""The `smtp` handler (TICKscript `.email()`): an HTML mail, quoted-printable, as Kapacitor sends it."""

from __future__ import annotations

import quopri
import smtplib
import ssl
from dataclasses import dataclass
from email.header import Header
from email.message import Message
from email.utils import formatdate, make_msgid
from typing import Any

import trio

from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import define
from kapacitrio.alerting.handlers.base import HandlerEnv, HandlerFailed
from kapacitrio.alerting.handlers.kind import Ctx, Kind, Tick, config_section
from kapacitrio.alerting.handlers.options import ADDLIST, STRINGS, Opt, Table, Values
from kapacitrio.alerting.handlers.services_common import template_data
from kapacitrio.config import duration_ns

TIMEOUT = 30.0


def _validate(cfg: Any) -> None:
    duration_ns(cfg.idle_timeout)
    if not 0 < cfg.port < 65536:
        raise ValueError(f"invalid port {cfg.port}")
    if cfg.enabled and not cfg.from_:
        raise ValueError("must provide a 'from' address")


SMTPConfig = config_section(
    "smtp",
    "SMTPConfig",
    "`[smtp]`: the mail server alerts are sent through.",
    {
        "enabled": False,
        "host": "localhost",
        "port": 25,
        "username": "",
        "password": "",
        "from_": "",
        "to": [],
        "no_verify": False,
        "idle_timeout": "30s",
        "global_": False,
        "state_changes_only": False,
    },
    secrets=("password",),
    validate=_validate,
)

TABLE = Table(
    "*smtp.HandlerConfig",
    (
        Opt("to", STRINGS, tick_as=ADDLIST),
        Opt("to-templates", STRINGS, templated=True, tick="toTemplates", tick_as=ADDLIST),
    ),
)


def _get(sec: Any, name: str, default: Any = None) -> Any:
    for key in (name, name + "_"):
        if hasattr(sec, key):
            return getattr(sec, key)
    if isinstance(sec, dict):
        return sec.get(name, sec.get(name.replace("_", "-"), default))
    return default


def mail_message(sender: str, to: list[str], subject: str, html_body: str) -> Message:
    """The message Kapacitor's mailer writes: HTML, UTF-8, quoted-printable body."""
    msg = Message()
    msg["Mime-Version"] = "1.0"
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid()
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject if subject.isascii() else Header(subject, "utf-8")
    msg["Content-Type"] = "text/html; charset=UTF-8"
    msg["Content-Transfer-Encoding"] = "quoted-printable"
    msg.set_payload(quopri.encodestring(html_body.encode()).decode("ascii"))
    return msg


def send_mail(sec: Any, to: list[str], subject: str, html_body: str) -> None:
    """Deliver one message (blocking; run in a worker thread)."""
    msg = mail_message(_get(sec, "from"), to, subject, html_body)
    host, port = _get(sec, "host", "localhost"), int(_get(sec, "port", 25))
    context = ssl.create_default_context()
    if _get(sec, "no_verify", False):
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    cls = smtplib.SMTP_SSL if port == 465 else smtplib.SMTP
    kwargs: dict[str, Any] = {"context": context} if port == 465 else {}
    with cls(host, port, timeout=TIMEOUT, **kwargs) as client:
        client.ehlo()
        if port != 465 and client.has_extn("starttls"):
            client.starttls(context=context)
            client.ehlo()
        if _get(sec, "username", ""):
            client.login(_get(sec, "username"), _get(sec, "password", ""))
        client.send_message(msg, to_addrs=to)


@dataclass
class Mail:
    """One mail to send through the configured server."""

    section: Any
    to: list[str]
    subject: str
    body: str

    async def send(self, env: HandlerEnv) -> None:
        try:
            await trio.to_thread.run_sync(
                send_mail, self.section, self.to, self.subject, self.body, abandon_on_cancel=True
            )
        except (OSError, smtplib.SMTPException) as exc:
            raise HandlerFailed(f"smtp: failed to send mail: {exc}") from None


def request(o: Values, event: Event, ctx: Ctx) -> Mail:
    to = list(o["to"])
    for text in o.render("to-templates", template_data(event)):
        to.extend(a.strip() for a in text.split(",") if a.strip())
    to = to or list(_get(ctx.section, "to", []) or [])
    if not to:
        raise HandlerFailed("smtp: no recipients specified")
    return Mail(ctx.section, to, event.state.message, event.state.details)


define(
    Kind(
        "smtp",
        TABLE,
        request,
        Tick("email", "EmailHandler", ("...string",), ("*to",)),
        section="smtp",
        fix_tick=lambda opts, args, props: opts.update(
            to=[str(a) for a in args] + [str(a) for a in props.get("to") or []]
        ),
    )
)
