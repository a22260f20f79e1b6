"""`watch-events [TOPIC]`: print alert events as they happen, from the server's WebSocket feed.

(Kapacitor has no such command; `watch TASK` there tails a task's logs, see logs.py.)
"""

from __future__ import annotations

import argparse
import json
import ssl
import sys

import trio
from trio_websocket import (
    ConnectionClosed,
    ConnectionRejected,
    HandshakeError,
    open_websocket_url,
)

from kapacitrio.cli.client.http import (
    PREVIEW,
    ClientError,
    add_url_flag,
    guarded,
    q,
    server_url,
    verify_tls,
)


def add_parser(subparsers: argparse._SubParsersAction, name: str) -> None:
    p = subparsers.add_parser(
        name,
        help="follow a topic's alert events (WebSocket feed; not in Kapacitor)",
        description="Print each alert event of a topic, one JSON object a line, until interrupted.",
    )
    add_url_flag(p)
    p.add_argument("-n", dest="count", type=int, default=0, help="stop after N events")
    p.add_argument("topic", nargs="?", default=None, metavar="TOPIC", help="default: every topic")
    p.set_defaults(run=guarded(run))


def feed_url(url: str, topic: str | None) -> str:
    """The WebSocket URL of one topic's feed, or of every topic's when `topic` is None."""
    scheme, rest = url.split("://", 1)
    ws = {"http": "ws", "https": "wss"}.get(scheme.lower())
    if ws is None:
        raise ClientError(f"invalid URL {url!r}: expected http:// or https://")
    where = f"{q(topic)}/feed" if topic is not None else "feed"
    return f"{ws}://{rest}{PREVIEW}/alerts/topics/{where}"


def run(args: argparse.Namespace) -> int:
    target = feed_url(server_url(args), args.topic)
    try:
        trio.run(follow, target, args.count, _tls_context(target, verify_tls(args)))
    except KeyboardInterrupt:
        return 0
    return 0


def _tls_context(target: str, verify: bool) -> ssl.SSLContext | None:
    if not target.startswith("wss://"):
        return None
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


async def follow(target: str, count: int, tls: ssl.SSLContext | None = None) -> None:
    """Print messages from the feed at `target` (stop after `count` when positive)."""
    seen = 0
    try:
        async with open_websocket_url(target, ssl_context=tls) as ws:
            while not count or seen < count:
                message = await ws.get_message()
                text = message.decode() if isinstance(message, bytes) else message
                sys.stdout.write(_one_line(text) + "\n")
                sys.stdout.flush()
                seen += 1
    except ConnectionRejected as exc:
        raise ClientError(f"cannot open the feed {target}: {_rejection(exc)}") from None
    except HandshakeError as exc:
        raise ClientError(f"cannot open the feed {target}: {exc}") from None
    except ConnectionClosed as exc:
        reason = exc.reason
        if reason is not None and reason.code in (1000, 1001):
            return
        detail = f"{reason.code} {reason.reason or ''}".strip() if reason else "closed"
        raise ClientError(f"the feed closed: {detail}") from None
    except OSError as exc:
        raise ClientError(f"cannot connect to {target}: {exc.strerror or exc}") from None


def _rejection(exc: ConnectionRejected) -> str:
    """The server's reason for refusing the WebSocket: its JSON error, else the status."""
    try:
        error = json.loads(exc.body or b"{}").get("error")
    except (ValueError, AttributeError):
        error = None
    return f"{exc.status_code} {error}" if error else f"HTTP {exc.status_code}"


def _one_line(text: str) -> str:
    try:
        return json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)
    except ValueError:
        return text.replace("\n", " ")
