"""The maildir source: each new mail becomes an alert; pseudo-headers at the top of the body set fields."""

from __future__ import annotations

import email
import email.policy
import email.utils
import os
import re
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import trio

from kapacitrio.kkok.alert import Alert, alert_from_json
from kapacitrio.kkok.errors import KkokError
from kapacitrio.kkok.params import Params
from kapacitrio.logs import get_logger
from kapacitrio.models.timefmt import format_rfc3339, parse_rfc3339

NS = 1_000_000_000
MAX_MAIL = 10 * 1024 * 1024
_PSEUDO = re.compile(r"^([A-Za-z0-9-]+):[ \t]*(.*)$")

log = get_logger("kkok")


def _date_ns(text: str) -> int | None:
    try:
        return int(email.utils.parsedate_to_datetime(text).timestamp() * NS)
    except (TypeError, ValueError, IndexError):
        pass
    try:
        return parse_rfc3339(text.strip())
    except ValueError:
        return None


def _sender(value: str) -> str:
    name, addr = email.utils.parseaddr(value)
    return name or addr or value


def _body_text(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",)) if msg.is_multipart() else msg
    if part is None or part.get_content_maintype() != "text":
        ctype = "none" if part is None else part.get_content_type()
        raise KkokError(f"mail has no text body (content type {ctype})")
    try:
        content = part.get_content()
    except (LookupError, ValueError) as exc:
        raise KkokError(f"mail body cannot be decoded: {exc}") from None
    return content.replace("\r", "")


def split_pseudo_headers(body: str) -> tuple[dict[str, str], str]:
    """Leading `Key: value` lines ended by a blank line; anything else means there are none."""
    headers: dict[str, str] = {}
    rest = body
    while True:
        line, sep, after = rest.partition("\n")
        if not sep:
            return {}, body  # no blank line after them: not pseudo-headers
        if line == "":
            return (headers, after) if headers else ({}, body)
        m = _PSEUDO.match(line)
        if m is None:
            return {}, body
        headers[m.group(1)] = m.group(2)
        rest = after


def parse_mail(data: bytes, now_ns: int) -> Alert:
    """Build an alert from one mail's bytes."""
    if len(data) > MAX_MAIL:
        raise KkokError("mail is larger than 10 MiB")
    msg = email.message_from_bytes(data, policy=email.policy.default)
    doc: dict[str, Any] = {
        "From": _sender(str(msg.get("From", ""))),
        "Title": str(msg.get("Subject", "")),
        "Info": {},
    }
    date = _date_ns(str(msg.get("Date", ""))) if msg.get("Date") else None
    headers, message = split_pseudo_headers(_body_text(msg))
    for key, value in headers.items():
        if key in ("From", "Title", "Host"):
            doc[key] = value
        elif key == "Date":
            date = _date_ns(value) or date
        else:
            doc["Info"][key] = value
    doc["Message"] = message
    if date is not None:
        doc["Date"] = format_rfc3339(date)
    return alert_from_json(doc, now_ns=now_ns)


class MaildirSource:
    """Polls `dir/new` every `interval` seconds; handled mails move to `dir/cur`."""

    def __init__(self, directory: str, interval: int, router: Any) -> None:
        self.dir = Path(directory)
        self.interval = interval
        self.router = router

    @classmethod
    def from_params(cls, spec: dict[str, Any], router: Any) -> MaildirSource:
        p = Params("maildir source", spec)
        directory = p.str("dir", required=True)
        interval = p.int("interval", 10, minimum=1)
        p.finish()
        return cls(directory, interval, router)

    async def run(self, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        clock = self.router.clock
        while True:
            try:
                await self.scan_once()
            except OSError as exc:
                log.error("maildir scan failed", dir=str(self.dir), err=str(exc))
            await clock.sleep_until(clock.now() + self.interval * NS)

    async def scan_once(self) -> int:
        """Turn every mail in `new/` into an alert; returns how many alerts were pooled."""
        new = self.dir / "new"
        names = await trio.to_thread.run_sync(lambda: sorted(os.listdir(new)))
        count = 0
        for name in names:
            path = new / name
            data = await trio.to_thread.run_sync(path.read_bytes)
            try:
                alert = parse_mail(data, self.router.clock.now())
            except (KkokError, ValueError) as exc:
                log.error("maildir: mail not turned into an alert", file=str(path), err=str(exc))
            else:
                await self.router.add_alert(alert)
                count += 1
            await trio.to_thread.run_sync(self._move_to_cur, path)
        return count

    def _move_to_cur(self, path: Path) -> None:
        cur = self.dir / "cur"
        cur.mkdir(exist_ok=True)
        name = path.name if ":2," in path.name else path.name + ":2,S"
        path.rename(cur / name)
