"""Shared HTTP sending for handler kinds that talk to web services (one POST per event)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from kapacitrio.alerting.handlers.base import HandlerEnv, HandlerFailed
from kapacitrio.models import gonumbers

DEFAULT_TIMEOUT = 30.0


async def post(
    env: HandlerEnv,
    url: str,
    *,
    json_body: Any = None,
    content: bytes | str | None = None,
    data: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    timeout: float | None = None,
    verify: bool = True,
    auth: tuple[str, str] | None = None,
    method: str = "POST",
    ok: tuple[int, ...] = (),
) -> httpx.Response:
    """Send one request; raise HandlerFailed on transport errors or a non-2xx status."""
    hdrs = dict(headers or {})
    body: bytes | str | None = content
    if json_body is not None:
        body = gonumbers.dumps(json_body, separators=(",", ":"), ensure_ascii=False)
        hdrs.setdefault("Content-Type", "application/json")
    plain = env.plain_http.takes(url, data) if env.plain_http is not None else None
    client = env.http_client if verify else None
    try:
        if plain is not None:
            resp = await env.plain_http.request(
                method,
                plain,
                content=body,
                headers=hdrs,
                timeout=timeout or DEFAULT_TIMEOUT,
                auth=auth,
            )
        elif client is not None:
            resp = await client.request(
                method,
                url,
                content=body,
                data=data,
                headers=hdrs,
                timeout=timeout or DEFAULT_TIMEOUT,
                auth=auth,
            )
        else:
            async with httpx.AsyncClient(verify=verify, timeout=timeout or DEFAULT_TIMEOUT) as c:
                resp = await c.request(
                    method, url, content=body, data=data, headers=hdrs, auth=auth
                )
    except httpx.HTTPError as exc:
        raise HandlerFailed(f"failed to POST to {url}: {exc or type(exc).__name__}") from None
    if (resp.status_code not in ok) if ok else (resp.status_code // 100 != 2):
        text = resp.text[:512]
        raise HandlerFailed(f"{url} returned status {resp.status_code}: {text}")
    return resp


@dataclass
class HTTPRequest:
    """One HTTP request of a handler kind, exactly as it goes on the wire (see `send`).

    `json` is serialised compactly (Go's encoding/json shape) with `Content-Type:
    application/json`; `ok` lists the statuses that count as delivered (default: any 2xx).
    """

    url: str
    method: str = "POST"
    json: Any = None
    content: bytes | str | None = None
    form: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    auth: tuple[str, str] | None = None
    verify: bool = True
    timeout: float | None = None
    ok: tuple[int, ...] = ()

    async def send(self, env: HandlerEnv) -> httpx.Response:
        resp = await post(
            env,
            self.url,
            json_body=self.json,
            content=self.content,
            data=self.form,
            headers=self.headers,
            timeout=self.timeout,
            verify=self.verify,
            auth=self.auth,
            method=self.method,
            ok=self.ok,
        )
        return resp
