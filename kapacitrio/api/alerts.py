"""`/alerts/topics`: topics, their events and state, and topic handlers (create, replace, patch, delete)."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response, jsonify, request

from kapacitrio.alerting import levels
from kapacitrio.alerting.service import AlertService, AlertServiceError, NotFound, glob_match
from kapacitrio.alerting.topic import Topic
from kapacitrio.api.app import BASE, no_content, services
from kapacitrio.api.errors import ApiError, json_body
from kapacitrio.cluster.topics import peer_counts

bp = Blueprint("alerts", __name__)

TOPICS = f"{BASE}/alerts/topics"


def _alerts() -> AlertService:
    svc = services().alerts
    if svc is None:
        raise ApiError(503, "the alert service is not running")
    return svc


def _min_level() -> int:
    text = request.args.get("min-level", "OK")
    try:
        return levels.parse(text)
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None


def _link(href: str, rel: str = "self") -> dict[str, str]:
    return {"rel": rel, "href": href}


def _peers() -> dict[str, int]:
    """Events collected per topic by the other cluster members (none without clustering)."""
    return peer_counts(services().extra.get("cluster"))


def _topic(topic_id: str, peers: dict[str, int]) -> Any:
    """The topic, or an empty one that only other cluster members have; 404 otherwise."""
    alerts = _alerts()
    if topic_id not in alerts.topics and topic_id in peers:
        return Topic(topic_id)
    return _call(alerts.get_topic, topic_id)


def _topic_json(t: Any, peers: dict[str, int]) -> dict[str, Any]:
    base = f"{TOPICS}/{t.id}"
    return {
        "link": _link(base),
        "id": t.id,
        "level": levels.name(t.level),
        "collected": t.collected + peers.get(t.id, 0),
        "events-link": _link(f"{base}/events", "events"),
        "handlers-link": _link(f"{base}/handlers", "handlers"),
    }


def _event_json(topic_id: str, state: Any) -> dict[str, Any]:
    return {
        "link": _link(f"{TOPICS}/{topic_id}/events/{state.id}"),
        "id": state.id,
        "state": state.to_api(),
    }


def _handler_json(topic_id: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "link": _link(f"{TOPICS}/{topic_id}/handlers/{spec['id']}"),
        "id": spec["id"],
        "kind": spec["kind"],
        "options": spec.get("options") or {},
        "match": spec.get("match", ""),
    }


def _call(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except NotFound as exc:
        raise ApiError(404, str(exc)) from None
    except AlertServiceError as exc:
        raise ApiError(400, str(exc)) from None


async def _acall(fn: Any, *args: Any) -> Any:
    try:
        return await fn(*args)
    except NotFound as exc:
        raise ApiError(404, str(exc)) from None
    except AlertServiceError as exc:
        raise ApiError(400, str(exc)) from None


async def _delete(fn: Any, *args: Any) -> None:
    """A delete; deleting what does not exist is done already (204), as in Kapacitor."""
    try:
        await fn(*args)
    except NotFound:
        pass
    except AlertServiceError as exc:
        raise ApiError(400, str(exc)) from None


@bp.route("/alerts/topics", methods=["GET"])
async def list_topics() -> Response:
    alerts, min_level = _alerts(), _min_level()
    pattern = request.args.get("pattern", "*") or "*"
    topics = {t.id: t for t in alerts.list_topics(min_level, pattern)}
    peers = _peers()
    if min_level <= levels.OK:  # a topic only others have holds no events here: it is OK
        for tid in peers:
            if tid not in alerts.topics and glob_match(pattern, tid):
                topics[tid] = Topic(tid)
    body = [_topic_json(topics[tid], peers) for tid in sorted(topics)]
    return jsonify({"link": _link(TOPICS), "topics": body})


@bp.route("/alerts/topics/<topic>", methods=["GET"])
async def get_topic(topic: str) -> Response:
    peers = _peers()
    return jsonify(_topic_json(_topic(topic, peers), peers))


@bp.route("/alerts/topics/<topic>", methods=["DELETE"])
async def delete_topic(topic: str) -> Response:
    await _delete(_alerts().delete_topic, topic)
    return no_content()


@bp.route("/alerts/topics/<topic>/events", methods=["GET"])
async def list_events(topic: str) -> Response:
    min_level = _min_level()
    t = _topic(topic, _peers())
    states = [s for _, s in sorted(t.events.items()) if s.level >= min_level]
    return jsonify(
        {
            "link": _link(f"{TOPICS}/{topic}/events"),
            "topic": topic,
            "events": [_event_json(topic, s) for s in states],
        }
    )


@bp.route("/alerts/topics/<topic>/events/<path:event>", methods=["GET"])
async def get_event(topic: str, event: str) -> Response:
    return jsonify(_event_json(topic, _call(_alerts().event, topic, event)))


@bp.route("/alerts/topics/<topic>/handlers", methods=["GET"])
async def list_handlers(topic: str) -> Response:
    specs = _alerts().list_handlers(topic, request.args.get("pattern", "*"))
    return jsonify(
        {
            "link": _link(f"{TOPICS}/{topic}/handlers"),
            "topic": topic,
            "handlers": [_handler_json(topic, s) for s in specs],
        }
    )


@bp.route("/alerts/topics/<topic>/handlers", methods=["POST"])
async def create_handler(topic: str) -> Response:
    spec = await json_body(request)
    doc = await _acall(_alerts().create_handler, topic, spec)
    return jsonify(_handler_json(topic, doc))


@bp.route("/alerts/topics/<topic>/handlers/<handler>", methods=["GET"])
async def get_handler(topic: str, handler: str) -> Response:
    return jsonify(_handler_json(topic, _call(_alerts().get_handler, topic, handler)))


@bp.route("/alerts/topics/<topic>/handlers/<handler>", methods=["PUT"])
async def replace_handler(topic: str, handler: str) -> Response:
    spec = await json_body(request)
    doc = await _acall(_alerts().replace_handler, topic, handler, spec)
    return jsonify(_handler_json(topic, doc))


@bp.route("/alerts/topics/<topic>/handlers/<handler>", methods=["PATCH"])
async def patch_handler(topic: str, handler: str) -> Response:
    patch = await json_body(request)
    doc = await _acall(_alerts().patch_handler, topic, handler, patch)
    return jsonify(_handler_json(topic, doc))


@bp.route("/alerts/topics/<topic>/handlers/<handler>", methods=["DELETE"])
async def delete_handler(topic: str, handler: str) -> Response:
    await _delete(_alerts().delete_handler, topic, handler)
    return no_content()
