"""`POST /write`: InfluxDB line protocol into the engine (also at `/write`, like InfluxDB)."""

from __future__ import annotations

import inspect
import zlib

from quart import Blueprint, Response, request

from kapacitrio.api.app import no_content, services
from kapacitrio.api.errors import ApiError, bad_request

bp = Blueprint("write", __name__)
ROOT_ROUTES = True


def _gunzip(data: bytes, limit: int) -> bytes:
    """Decompress a gzip body, refusing to inflate past `limit` bytes (0: no limit)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limit + 1 if limit else 0)
        if not inflater.eof:
            if limit and len(out) > limit:
                raise ApiError(413, "request body too large")
            raise bad_request("gzip: unexpected EOF")
    except zlib.error as exc:
        raise bad_request(f"gzip: invalid body: {exc}") from None
    return out


async def _body() -> bytes:
    data = await request.get_data(cache=False)
    limit = services().config.http.max_body_size
    if request.headers.get("Content-Encoding", "").lower() == "gzip":
        data = _gunzip(data, limit)
    if limit and len(data) > limit:
        raise ApiError(413, "request body too large")
    return data


@bp.route("/write", methods=["POST"])
async def write() -> Response:
    from kapacitrio.models.lineprotocol import LineProtocolError

    svc = services()
    db = request.args.get("db", "")
    rp = request.args.get("rp", "") or svc.config.default_retention_policy
    precision = request.args.get("precision", "") or "n"
    body = await _body()
    if not body.strip():
        return no_content()
    if not db:
        raise bad_request("database is required")
    cluster = svc.extra.get("cluster")
    if cluster is not None:  # stored in JetStream for whichever member runs the tasks
        tally: dict[str, int] = {}
        try:
            await cluster.ingest.publish(db, rp, precision, body, tally)
        except LineProtocolError as exc:
            raise bad_request(str(exc)) from None
        except cluster.link.errors as exc:
            raise ApiError(503, f"the cluster cannot store the write: {exc!r}") from None
        if svc.taskmaster is not None:  # received here, whichever member runs the tasks
            svc.taskmaster.count_ingress(db, rp, tally)
        return no_content()
    if svc.taskmaster is None:
        raise ApiError(503, "the engine is not running")
    try:
        result = svc.taskmaster.write(db, rp, precision, body)
        if inspect.isawaitable(result):
            await result
    except LineProtocolError as exc:
        raise bad_request(str(exc)) from None
    return no_content()
