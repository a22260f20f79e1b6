"""HTTP posting for transports: retries on 5xx and connection errors, fails fast on 4xx."""

from __future__ import annotations

from typing import Any

import httpx
import trio

from kapacitrio.kkok.transports.base import TransportError

HTTP_TIMEOUT = 30.0


async def post_with_retry(
    url: str, *, max_retry: int, delay: float, **kwargs: Any
) -> httpx.Response:
    """POST, trying again up to `max_retry` times (waits `delay`, doubling) while the server fails."""
    last = ""
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as client:
        for attempt in range(max_retry + 1):
            if attempt:
                await trio.sleep(delay * 2 ** (attempt - 1))
            try:
                resp = await client.post(url, **kwargs)
            except httpx.HTTPError as exc:
                last = f"POST {url} failed: {exc}"
                continue
            if resp.status_code < 300:
                return resp
            last = f"POST {url} answered {resp.status_code}: {resp.text[:200]}"
            if resp.status_code < 500:
                break
    raise TransportError(last)
