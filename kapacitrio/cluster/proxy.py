"""Answering for a task that runs on another member: forward the request to its owner."""

from __future__ import annotations

from typing import Any

from kapacitrio.logs import get_logger

_log = get_logger("cluster")

#: Set on forwarded requests: a member never forwards a request twice (no loops while the
#: members disagree about an owner for a moment).
PROXIED = "X-Kapacitrio-Proxied"


def remote_owner(cluster: Any, task_id: str, headers: Any) -> tuple[str, str] | None:
    """(owner name, owner URL) when the task runs on another live member and we may forward."""
    if cluster is None or headers.get(PROXIED):
        return None
    owner = cluster.members.owner(task_id)
    if owner is None or owner == cluster.name:
        return None
    url = cluster.members.url_of(owner)
    return None if not url else (owner, url)


async def forward_get(
    client: Any, url: str, path: str, args: Any, headers: Any, *, timeout: float = 5.0
) -> tuple[int, Any] | None:
    """GET `path` on another member; (status, JSON body) or None when it cannot be reached.
    `args`: the query, as request args or a list of (name, value) pairs."""
    import httpx

    params = list(args.items(multi=True)) if hasattr(args, "items") else list(args)
    fwd = {PROXIED: "1"}
    for name in ("Authorization",):
        if headers.get(name):
            fwd[name] = headers[name]
    try:
        resp = await client.get(url + path, params=params, headers=fwd, timeout=timeout)
        return resp.status_code, resp.json()
    except (httpx.HTTPError, ValueError) as exc:
        _log.warning("cannot reach a cluster member", url=url, err=repr(exc))
        return None
