"""Alert topics as the whole cluster has them: each member reports its topics, any member shows all.

Event states are shared already (the state bucket), so a topic's events and level are the same on
every member. What stays per member is which topics exist (an alert node makes its topic where its
task runs) and how many events each collected; every member puts `{topic: collected}` into its
heartbeat record, and the API shows the union of the topics with the sum of the counts.
"""

from __future__ import annotations

from typing import Any

#: The key of the topic counts in a member's heartbeat record.
REPORT_KEY = "topics"


def local_counts(alerts: Any) -> dict[str, int]:
    """This member's topics that an alert node uses or that collected events, with their counts."""
    if alerts is None:
        return {}
    return {tid: t.collected for tid, t in alerts.topics.items() if t.collected or t.anon}


def peer_counts(cluster: Any) -> dict[str, int]:
    """Topic -> events collected by the other live members (empty when clustering is off)."""
    if cluster is None:
        return {}
    out: dict[str, int] = {}
    for name, rec in list(cluster.members.live.items()):
        if name == cluster.name:
            continue
        reported = rec.get(REPORT_KEY)
        if not isinstance(reported, dict):
            continue
        for tid, n in reported.items():
            if isinstance(n, int):
                out[tid] = out.get(tid, 0) + n
    return out
