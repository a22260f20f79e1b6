"""Shared HTTP sending for handler kinds that talk to web services (one POST per event)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from kapacitrio.alerting.handlers.base import HandlerEnv, HandlerFailed

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
) -> httpx.Response:
    """Send one request; raise HandlerFailed on transport errors or a non-2xx status."""
    hdrs = dict(headers or {})
    body: bytes | str | None = content
    if json_body is not None:
        body = json.dumps(json_body, separators=(",", ":"), ensure_ascii=False)
        hdrs.setdefault("Content-Type", "application/json")
    client = env.http_client if verify else None
    try:
        if client is not None:
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
    if resp.status_code // 100 != 2:
        text = resp.text[:512]
        raise HandlerFailed(f"{url} returned status {resp.status_code}: {text}")
    return resp
