"""The built-in web UI: `GET /` is its page and `/ui/...` its static files, shipped in the package."""

from __future__ import annotations

import mimetypes
from importlib import resources

from quart import Blueprint, Response, current_app, redirect

from kapacitrio.api.errors import ApiError

bp = Blueprint("ui", __name__)
ROOT_ONLY = True

_STATIC = resources.files("kapacitrio.ui") / "static"
_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
}


def _file(name: str) -> Response:
    parts = name.split("/")
    if any(p in ("", ".", "..") or p.startswith(".") for p in parts):
        raise ApiError(404, "Not Found")
    target = _STATIC.joinpath(*parts)
    if not target.is_file():
        raise ApiError(404, "Not Found")
    suffix = "." + parts[-1].rsplit(".", 1)[-1] if "." in parts[-1] else ""
    mime = _TYPES.get(suffix) or mimetypes.guess_type(parts[-1])[0] or "application/octet-stream"
    if mime.startswith("text/"):
        mime += "; charset=utf-8"
    response = current_app.response_class(target.read_bytes(), content_type=mime)
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/", methods=["GET"])
async def index() -> Response:
    return _file("index.html")


@bp.route("/ui", methods=["GET"])
async def ui_root() -> Response:
    return redirect("/")


@bp.route("/ui/<path:name>", methods=["GET"])
async def static_file(name: str) -> Response:
    return _file(name)
