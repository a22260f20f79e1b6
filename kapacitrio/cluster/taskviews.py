"""The task list on any member: the engine's part of each view (executing, stats, ...) from its owner.

A member knows the definitions of every task (they are shared) but runs only its own, so for the
others `executing`, `error`, `stats` and the executing `dot` come from the owner: one forwarded
list request per owner that has tasks on the page, all at once, each bounded by `OWNER_TIMEOUT`.
The owner answers from its engine only (the request is marked as forwarded). An owner that does
not answer in time leaves its tasks not executing, with the reason in their `error` and under
`cluster.unreachable` in the response, so the list always answers.
"""

from __future__ import annotations

from typing import Any

import trio

from kapacitrio.cluster.proxy import forward_get

#: The fields of a task view that only its owner knows.
ENGINE_FIELDS = ("executing", "error", "stats", "dot")
#: How long a member waits for each owner's part of a list.
OWNER_TIMEOUT = 2.0


def remote_owners(cluster: Any, ids: list[str]) -> dict[str, list[str]]:
    """Owner name -> the ids among `ids` that it runs, for owners other than this member."""
    out: dict[str, list[str]] = {}
    for task_id in ids:
        owner = cluster.members.owner(task_id)
        if owner is not None and owner != cluster.name:
            out.setdefault(owner, []).append(task_id)
    return out


def owner_args(args: Any, fields: list[str]) -> list[tuple[str, str]]:
    """The list request to send to an owner: the same page, only the engine's fields."""
    keep = [(k, v) for k, v in args.items(multi=True) if k != "fields"]
    wanted = [f for f in ENGINE_FIELDS if f in fields]
    return keep + [("fields", f) for f in ["id", *wanted]]


async def _ask(
    client: Any, url: str, path: str, params: list[tuple[str, str]], headers: Any
) -> dict[str, dict[str, Any]] | str:
    """The owner's views by id, or why there are none."""
    with trio.move_on_after(OWNER_TIMEOUT):
        got = await forward_get(client, url, path, params, headers, timeout=OWNER_TIMEOUT)
        if got is None:
            return "cannot reach it"
        status, body = got
        if status != 200 or not isinstance(body, dict) or not isinstance(body.get("tasks"), list):
            return f"it answered {status}"
        return {t["id"]: t for t in body["tasks"] if isinstance(t, dict) and "id" in t}
    return f"no answer within {OWNER_TIMEOUT:g}s"


async def fill_from_owners(
    cluster: Any,
    client: Any,
    views: list[dict[str, Any]],
    ids: list[str],
    fields: list[str],
    request: Any,
) -> dict[str, str]:
    """Replace the engine fields of other members' tasks in `views` (same order as `ids`) with
    their owners' values; returns owner -> reason for every owner that did not answer."""
    wanted = [f for f in ENGINE_FIELDS if f in fields]
    owners = remote_owners(cluster, ids)
    if not wanted or not owners:
        return {}
    params = owner_args(request.args, fields)
    answers: dict[str, dict[str, dict[str, Any]] | str] = {}

    async def ask(owner: str) -> None:
        url = cluster.members.url_of(owner)
        if not url:
            answers[owner] = "its address is unknown"
            return
        answers[owner] = await _ask(client, url, request.path, params, request.headers)

    async with trio.open_nursery() as nursery:
        for owner in owners:
            nursery.start_soon(ask, owner)
    by_id = dict(zip(ids, views, strict=True))
    unreachable: dict[str, str] = {}
    for owner, task_ids in owners.items():
        answer = answers.get(owner, "no answer")
        for task_id in task_ids:
            view = by_id[task_id]
            if isinstance(answer, str):
                unreachable[owner] = answer
                _not_executing(view, f"cluster member {owner} runs this task: {answer}")
            elif task_id in answer:
                for f in wanted:
                    if f in answer[task_id]:
                        view[f] = answer[task_id][f]
    return unreachable


def _not_executing(view: dict[str, Any], reason: str) -> None:
    if "executing" in view:
        view["executing"] = False
    if "stats" in view:
        view["stats"] = {}
    if "error" in view:
        view["error"] = reason
