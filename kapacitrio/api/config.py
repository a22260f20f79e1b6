"""`/config`: the merged configuration (secrets redacted) and overrides of its sections."""

from __future__ import annotations

from typing import Any

from quart import Blueprint, Response, jsonify, request

from kapacitrio.api.app import BASE, no_content, services
from kapacitrio.api.errors import ApiError, json_body
from kapacitrio.auth.guard import require_admin
from kapacitrio.auth.overrides import protected_options
from kapacitrio.configoverride import sections
from kapacitrio.configoverride.action import decode
from kapacitrio.configoverride.service import ConfigOverrideService

bp = Blueprint("config", __name__)

_ROOT = f"{BASE}/config"


def _service() -> ConfigOverrideService:
    svc = services().extra.get("config_override")
    if svc is None:  # a server started without the plugin still answers from its config
        svc = services().extra["config_override"] = ConfigOverrideService(
            services().config, services().store
        )
    if not svc.enabled:
        raise ApiError(403, "config override service is not enabled")
    return svc


def _parse_path() -> tuple[bool, str, str, bool]:
    """(has section, section, element, has element) from the request path, as Kapacitor splits it."""
    path = request.path
    for prefix in ("/kapacitor/v1preview/config", _ROOT):
        if path.startswith(prefix):
            path = path[len(prefix) :]
            break
    if not path.startswith("/"):
        return False, "", "", False
    rest = path[1:]
    parts = rest.split("/")
    section, element = (parts + [""])[:2] if len(parts) <= 2 else ("", "")
    has_element = element != "" or (section != "" and rest.endswith("/"))
    return True, section, element, has_element


def _element_view(name: str, element_name: str, element: Any) -> dict[str, Any]:
    options, redacted = sections.redacted(element)
    view: dict[str, Any] = {
        "link": {"rel": "self", "href": f"{_ROOT}/{name}/{element_name}"},
        "options": options,
    }
    if redacted:
        view["redacted"] = redacted
    return view


async def _section_view(svc: ConfigOverrideService, name: str) -> dict[str, Any]:
    return {
        "link": {"rel": "self", "href": f"{_ROOT}/{name}"},
        "elements": [_element_view(name, en, e) for en, e in await svc.elements(name)],
    }


@bp.route("/config", methods=["GET"])
@bp.route("/config/", methods=["GET"])
@bp.route("/config/<path:_rest>", methods=["GET"])
async def get_config(_rest: str = "") -> Response:
    svc = _service()
    has_section, section, element, has_element = _parse_path()
    if not has_section:
        names = sections.overridable()
        body = {
            "link": {"rel": "self", "href": _ROOT},
            "sections": {n: await _section_view(svc, n) for n in names},
        }
        return jsonify(body)
    if section == "":
        raise ApiError(400, "section not specified, do you have an extra trailing '/'?")
    if sections.lookup(section) is None:
        raise ApiError(404, f"unknown section: {section}")
    if not has_element:
        return jsonify(await _section_view(svc, section))
    for name, value in await svc.elements(section):
        if name == element:
            return jsonify(_element_view(section, name, value))
    raise ApiError(404, f"unknown section/element: {section}/{element}")


@bp.route("/config", methods=["POST"])
@bp.route("/config/", methods=["POST"])
@bp.route("/config/<path:_rest>", methods=["POST"])
async def update_config(_rest: str = "") -> Response:
    svc = _service()
    has_section, section, element, has_element = _parse_path()
    if not has_section:
        raise ApiError(400, "no section specified")
    try:
        body = await json_body(request)
    except ApiError as exc:
        raise ApiError(400, f"failed to decode JSON: {exc.message}") from None
    action = decode(section, element, has_element, body)
    protected = protected_options(action)
    if protected:
        require_admin(f"changing {', '.join(protected)} of [{section}]")
    await svc.update(action)
    return no_content()
