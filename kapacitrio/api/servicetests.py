"""`/service-tests`: list testable services with their default options, and run one test."""

from __future__ import annotations

from quart import Blueprint, Response, jsonify, request

from kapacitrio.alerting.service import glob_match
from kapacitrio.alerting.servicetests import TESTS
from kapacitrio.api.app import BASE, services
from kapacitrio.api.errors import ApiError, json_body

bp = Blueprint("servicetests", __name__)


def _view(name: str) -> dict:
    return {
        "link": {"rel": "self", "href": f"{BASE}/service-tests/{name}"},
        "name": name,
        "options": TESTS[name][0],
    }


@bp.route("/service-tests", methods=["GET"])
async def list_tests() -> Response:
    pattern = request.args.get("pattern", "*")
    names = [n for n in sorted(TESTS) if glob_match(pattern, n)]
    return jsonify(
        {
            "link": {"rel": "self", "href": f"{BASE}/service-tests"},
            "services": [_view(n) for n in names],
        }
    )


@bp.route("/service-tests/<name>", methods=["GET"])
async def get_test(name: str) -> Response:
    if name not in TESTS:
        raise ApiError(404, f"service {name!r} not found")
    return jsonify(_view(name))


@bp.route("/service-tests/<name>", methods=["POST"])
async def run_test(name: str) -> Response:
    if name not in TESTS:
        raise ApiError(404, f"service {name!r} not found")
    defaults, fn = TESTS[name]
    body = await json_body(request, required=False)
    if body is not None and not isinstance(body, dict):
        raise ApiError(400, "options must be a JSON object")
    options = {**defaults, **(body or {})}
    success, message = await fn(services(), options)
    return jsonify({"success": success, "message": message})
