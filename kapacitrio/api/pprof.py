"""`/debug/pprof/...`: profiles of the running server, behind `[http] pprof-enabled` (default off).

When it is off every route answers 404, as if it did not exist (as Kapacitor's). `profile` samples
the event loop for `seconds` (default 30, at most `profiler.MAX_SECONDS`) and answers collapsed
stacks (`format=collapsed`, the default) or speedscope JSON (`format=speedscope`); `heap` lists
the top allocation sites; `goroutine` the Trio task tree with each task's stack; `cmdline` the
command line. One profile at a time: a second answers 409.
"""

from __future__ import annotations

import html
import json
import sys

from quart import Blueprint, Response, current_app, request

from kapacitrio import profiler
from kapacitrio.api.app import services
from kapacitrio.api.errors import ApiError, bad_request, not_found

bp = Blueprint("pprof", __name__)

TEXT = "text/plain; charset=utf-8"

#: name -> what it is (the index page lists them).
PROFILES = {
    "profile": "CPU profile: the event loop's stacks sampled for ?seconds=N "
    "(format=collapsed or speedscope)",
    "heap": "top allocation sites (tracemalloc) over ?seconds=N",
    "goroutine": "every Trio task, nursery by nursery, with its current stack",
    "cmdline": "the server's command line",
}


def _enabled() -> None:
    if not services().config.http.pprof_enabled:
        raise not_found("Not Found")


def _seconds(default: float) -> float:
    raw = request.args.get("seconds", "")
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"invalid seconds {raw!r}: must be a whole number") from None
    if not 1 <= value <= profiler.MAX_SECONDS:
        raise bad_request(f"seconds must be between 1 and {profiler.MAX_SECONDS}")
    return float(value)


def _text(body: str) -> Response:
    return current_app.response_class(body, status=200, content_type=TEXT)


@bp.route("/debug/pprof/", methods=["GET"])
async def index() -> Response:
    _enabled()
    items = "".join(
        f'<tr><td><a href="{name}">{name}</a></td><td>{html.escape(what)}</td></tr>'
        for name, what in PROFILES.items()
    )
    body = (
        "<html><head><title>/debug/pprof/</title></head><body><h1>/debug/pprof/</h1>"
        f"<table>{items}</table></body></html>"
    )
    return current_app.response_class(body, status=200, content_type="text/html; charset=utf-8")


@bp.route("/debug/pprof/profile", methods=["GET"])
async def profile() -> Response:
    _enabled()
    fmt = request.args.get("format", "collapsed")
    if fmt not in ("collapsed", "speedscope"):
        raise bad_request(f"unknown format {fmt!r}: use collapsed or speedscope")
    seconds = _seconds(30)
    try:
        prof = await profiler.cpu_profile(seconds)
    except profiler.Busy:
        raise ApiError(409, "a profile is already running") from None
    if fmt == "speedscope":
        body = json.dumps(prof.speedscope(), separators=(",", ":"))
        return current_app.response_class(body, status=200, content_type="application/json")
    return _text(prof.collapsed())


@bp.route("/debug/pprof/heap", methods=["GET"])
async def heap() -> Response:
    _enabled()
    seconds = _seconds(5)
    try:
        return _text(await profiler.heap_profile(seconds))
    except profiler.Busy:
        raise ApiError(409, "a profile is already running") from None


@bp.route("/debug/pprof/goroutine", methods=["GET"])
async def goroutine() -> Response:
    _enabled()
    return _text(profiler.task_tree())


@bp.route("/debug/pprof/cmdline", methods=["GET"])
async def cmdline() -> Response:
    _enabled()
    return _text("\x00".join(sys.argv))
