"""The `smtp` (TICKscript `email`) handler: mails the message as subject and the details as HTML body."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import trio

from kapacitrio.alerting.event import Event
from kapacitrio.alerting.handlers import register
from kapacitrio.alerting.handlers.base import (
    Handler,
    HandlerEnv,
    HandlerFailed,
    compile_template,
    opt_list,
)
from kapacitrio.alerting.handlers.services_common import enabled_section
from kapacitrio.config import duration_ns, section

TIMEOUT = 30.0


@section("smtp")
@dataclass
class SMTPConfig:
    """`[smtp]`: the mail server alerts are sent through."""

    enabled: bool = False
    host: str = "localhost"
    port: int = 25
    username: str = ""
    password: str = ""
    from_: str = ""
    to: list[str] = field(default_factory=list)
    no_verify: bool = False
    idle_timeout: str = "30s"
    global_: bool = False
    state_changes_only: bool = False

    SECRETS = ("password",)

    def validate(self) -> None:
        duration_ns(self.idle_timeout)
        if not 0 < self.port < 65536:
            raise ValueError(f"invalid port {self.port}")
        if self.enabled and not self.from_:
            raise ValueError("must provide a 'from' address")


def _get(sec: Any, name: str, default: Any = None) -> Any:
    for key in (name, name + "_"):
        if hasattr(sec, key):
            return getattr(sec, key)
    if isinstance(sec, dict):
        return sec.get(name, sec.get(name.replace("_", "-"), default))
    return default


def send_mail(sec: Any, to: list[str], subject: str, html_body: str) -> None:
    """Deliver one message (blocking; run in a worker thread)."""
    msg = EmailMessage()
    msg["From"] = _get(sec, "from")
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid()
    msg.set_content(html_body, subtype="html")
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


class SMTPHandler(Handler):
    def __init__(self, options: dict[str, Any], env: HandlerEnv) -> None:
        self.env = env
        self.to = opt_list(options, "to")
        self.to_templates = [compile_template(t, "to") for t in opt_list(options, "to-templates")]

    async def handle(self, event: Event) -> None:
        sec = enabled_section(self.env, "smtp")
        to = list(self.to)
        data = {
            "ID": event.state.id,
            "Name": event.data.name,
            "TaskName": event.data.task_name,
            "Group": event.data.group,
            "Tags": event.data.tags,
            "Level": event.state.level,
        }
        for t in self.to_templates:
            to.extend(a.strip() for a in t.render(data).split(",") if a.strip())
        to = to or list(_get(sec, "to", []) or [])
        if not to:
            raise HandlerFailed("smtp: no recipients specified")
        try:
            await trio.to_thread.run_sync(
                send_mail, sec, to, event.state.message, event.state.details, abandon_on_cancel=True
            )
        except (OSError, smtplib.SMTPException) as exc:
            raise HandlerFailed(f"smtp: failed to send mail: {exc}") from None


def _from_tick(args: list[Any], props: dict[str, Any]) -> dict[str, Any]:
    to = [str(a) for a in args] + [str(a) for a in props.get("to") or []]
    return {"to": to, "to-templates": list(props.get("toTemplates") or [])}


register("smtp", SMTPHandler, _from_tick, "email")
