"""`POST /write`: InfluxDB line protocol into the engine (also at `/write`, like InfluxDB).

The route here serves every write the fast lane (kapacitrio.api.fastwrite) leaves to Quart; both
go through kapacitrio.api.ingest, so they answer alike.
"""

from __future__ import annotations

from quart import Blueprint, Response, request

from kapacitrio.api.app import no_content, services
from kapacitrio.api.ingest import decode_body, ingest

bp = Blueprint("write", __name__)
ROOT_ROUTES = True


@bp.route("/write", methods=["POST"])
async def write() -> Response:
    svc = services()
    data = await request.get_data(cache=False)
    encoding = request.headers.get("Content-Encoding", "")
    body = decode_body(data, encoding, svc.config.http.max_body_size)
    args = request.args
    await ingest(svc, args.get("db", ""), args.get("rp", ""), args.get("precision", ""), body)
    return no_content()
