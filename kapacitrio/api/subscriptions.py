"""`POST /subscriptions`: link every InfluxDB cluster's subscriptions now."""

from __future__ import annotations

from quart import Blueprint, Response

from kapacitrio.api.app import no_content, services
from kapacitrio.api.errors import ApiError

bp = Blueprint("subscriptions", __name__)


@bp.route("/subscriptions", methods=["POST"])
async def link_subscriptions() -> Response:
    from kapacitrio.influxdb.client import InfluxDBError
    from kapacitrio.influxdb.subscriptions import SubscriptionService

    svc = services().extra.get("subscriptions")
    if isinstance(svc, SubscriptionService):
        try:
            await svc.link_all()
        except InfluxDBError as exc:
            raise ApiError(500, f"failed to link subscriptions: {exc}") from None
    return no_content()
