"""httpPost: POST each point or batch as JSON to a URL or a configured endpoint, off the hot path."""

from __future__ import annotations

from collections import deque
from typing import Any

import httpx
import trio

from kapacitrio.engine.node import NodeError, NodeRuntime, register
from kapacitrio.models import gonumbers
from kapacitrio.models.point import Barrier, Batch, DeleteGroup, Point
from kapacitrio.models.result import to_row
from kapacitrio.tick.gotemplate import GoMap, GoTime, Template, TemplateError

#: Requests waiting to be sent before the oldest is dropped.
MAX_QUEUE = 1000
#: Timeout when `.timeout()` is not set (Kapacitor has none; a hung receiver must not pin a task).
DEFAULT_TIMEOUT = 30.0
#: Seconds the requests still queued when a task's input ends may take, all together; what is
#: left then is dropped (counted in `post_errors`). A cancelled task drops its queue at once.
FINAL_DRAIN_SECONDS = 5.0


def endpoint_config(services: Any, name: str) -> Any:
    """The `[[httppost]]` section whose `endpoint` is `name`, or None."""
    config = getattr(services, "config", None) if services is not None else None
    if config is None:
        return None
    try:
        sections = config.get("httppost")
    except (KeyError, AttributeError):
        return None
    for s in sections if isinstance(sections, list) else [sections]:
        value = s.get("endpoint") if isinstance(s, dict) else getattr(s, "endpoint", None)
        if value == name:
            return s
    return None


def _field(section: Any, name: str, default: Any) -> Any:
    if isinstance(section, dict):
        return section.get(name, section.get(name.replace("_", "-"), default))
    return getattr(section, name, default)


class _Request:
    """A POST to make (and the message to pass on after it, with codeField); url None: only a
    barrier or delete to pass on in order."""

    __slots__ = ("url", "body", "msg")

    def __init__(self, url: str | None, body: str, msg: Any) -> None:
        self.url = url
        self.body = body
        self.msg = msg


@register("httpPost")
class HTTPPostNode(NodeRuntime):
    """Passes data on; a background worker posts it in order, one request per point or batch."""

    extra_stats = {"posts": 0, "post_errors": 0}

    def __init__(self, spec, ctx) -> None:
        super().__init__(spec, ctx)
        p = spec.props
        url = p.get("url") or (spec.args[0] if spec.args else "")
        self.headers: dict[str, str] = {}
        self.auth: tuple[str, str] | None = None
        self.row_template: Template | None = None
        endpoint = p.get("endpoint") or ""
        self._endpoint, self._ep, self._own_url = endpoint, None, url
        if endpoint:
            url = self._from_endpoint(endpoint, url)
        self._own_headers = {str(k): str(v) for k, v in (p.get("headers") or {}).items()}
        self.headers.update(self._own_headers)
        if not url:
            raise NodeError("httpPost: no URL to post to")
        try:
            self.url = Template(url) if "{{" in url else url
        except TemplateError as exc:
            raise NodeError(f"httpPost: invalid URL template: {exc}") from exc
        self.capture = bool(p.get("captureResponse", False))
        timeout = int(p.get("timeout") or 0)
        self.timeout = timeout / 1e9 if timeout > 0 else DEFAULT_TIMEOUT
        self.code_field: str = p.get("codeField") or ""
        self.verify = not bool(p.get("skipSSLVerification", False))
        self.queue: deque[_Request] = deque()
        self.wake = trio.Event()
        self._busy = False  # a request is on the wire
        self._settled = trio.Event()  # set after each request the worker finishes

    def _from_endpoint(self, name: str, url: str) -> str:
        ep = endpoint_config(self.ctx.services, name)
        if ep is None:
            raise NodeError(f"endpoint '{name}' does not exist")
        self._ep = ep
        url = url or _field(ep, "url", "")
        self.headers.update(_field(ep, "headers", {}) or {})
        auth = _field(ep, "basic_auth", {}) or {}
        if auth.get("username"):
            self.auth = (auth["username"], auth.get("password", ""))
        text = _field(ep, "row_template", "")
        path = _field(ep, "row_template_file", "")
        if path and not text:
            try:
                with open(path, encoding="utf-8") as fh:
                    text = fh.read()
            except OSError as exc:
                raise NodeError(f"cannot read row template file: {exc}") from exc
        if text:
            try:
                self.row_template = Template(text)
            except TemplateError as exc:
                raise NodeError(f"invalid row template: {exc}") from exc
        return url

    def _follow_endpoint(self) -> None:
        """Take the endpoint's settings again when a config override replaced its section."""
        ep = endpoint_config(self.ctx.services, self._endpoint)
        if ep is None or ep is self._ep:
            return
        before = (self.headers, self.auth, self.row_template, self.url)
        self.headers, self.auth, self.row_template = {}, None, None
        try:
            url = self._from_endpoint(self._endpoint, self._own_url)
            self.url = Template(url) if "{{" in url else url
        except (NodeError, TemplateError) as exc:
            self.headers, self.auth, self.row_template, self.url = before
            self._ep = ep
            self.error(f"endpoint '{self._endpoint}' changed but cannot be used: {exc}")
            return
        self.headers.update(self._own_headers)

    # -- hot path
    def _handle(self, msg: Point | Batch) -> None:
        if self._endpoint:
            self._follow_endpoint()
        row = to_row(msg)
        try:
            mapped = (
                self._mapped_row(msg, row)
                if self.row_template or not isinstance(self.url, str)
                else None
            )
            url = self.url if isinstance(self.url, str) else self.url.render(mapped)
            if self.row_template is not None:
                body = self.row_template.render(mapped)
            else:
                body = gonumbers.dumps({"series": [row]}, separators=(",", ":"), default=str) + "\n"
        except TemplateError as exc:
            self.error(f"failed to POST data: failed to execute template: {exc}")
            if not self.code_field:
                self.emit(msg)
            else:
                self._emit_with_code(msg, 0)
            return
        if len(self.queue) >= MAX_QUEUE:
            dropped = self.queue.popleft()
            self.stats["post_errors"] += 1
            self.error("failed to POST data: queue full, dropped the oldest request")
            if dropped.msg is not None:
                self._emit_with_code(dropped.msg, 0)
        self.queue.append(_Request(url, body, msg if self.code_field else None))
        self.wake.set()
        if not self.code_field:
            self.emit(msg)

    @staticmethod
    def _mapped_row(msg: Point | Batch, row: dict[str, Any]) -> dict[str, Any]:
        """Template data: Name, Tags and Values (one column -> value map per row value)."""
        columns = row.get("columns", [])
        times = [msg.time] if isinstance(msg, Point) else [bp.time for bp in msg.points]
        values = []
        for t, vals in zip(times, row.get("values", []), strict=False):
            item = dict(zip(columns, vals, strict=False))
            item["time"] = GoTime(t)
            values.append(item)
        return {
            "Name": row.get("name", ""),
            "Tags": GoMap(row.get("tags", {}), zero=""),
            "Values": values,
        }

    def busy(self) -> bool:
        """With codeField, messages wait for their response: a snapshot waits for them too
        (without it, requests are side effects: one in flight does not hold checkpoints back)."""
        return bool(self.code_field) and (bool(self.queue) or self._busy)

    def point(self, p: Point, parent: int) -> None:
        self._handle(p)

    def batch(self, b: Batch, parent: int) -> None:
        self._handle(b)

    def _in_order(self, msg: Barrier | DeleteGroup) -> None:
        """With codeField, points wait for their response: barriers and deletes wait behind them."""
        if self.code_field and self.queue:
            self.queue.append(_Request(None, "", msg))
            self.wake.set()
        else:
            self.emit(msg)

    def barrier(self, b: Barrier, parent: int) -> None:
        self._in_order(b)

    def delete_group(self, d: DeleteGroup, parent: int) -> None:
        self._in_order(d)

    def _emit_with_code(self, msg: Point | Batch, code: int) -> None:
        if isinstance(msg, Point):
            self.emit(msg.copy_with(fields={**msg.fields, self.code_field: code}))
        else:
            from kapacitrio.models.point import BatchPoint

            pts = [
                BatchPoint(bp.time, {**bp.fields, self.code_field: code}, bp.tags)
                for bp in msg.points
            ]
            self.emit(msg.copy_with(points=pts))

    # -- worker
    async def run_background(self) -> None:
        shared = getattr(self.ctx.services, "http_client", None) if self.verify else None
        if shared is not None:
            await self._work(shared)
        else:
            async with httpx.AsyncClient(verify=self.verify) as client:
                await self._work(client)

    async def _work(self, client: httpx.AsyncClient) -> None:
        try:
            while True:
                await self.wake.wait()
                self.wake = trio.Event()
                await self._drain(client)
        finally:
            # Cancelled (the task was stopped or the server is going down): nothing is shielded,
            # so a hung receiver never holds a stop; what is still queued is dropped.
            self._drop_queued("the task stopped")

    async def drain(self) -> None:
        """Runner hook when the input ends: send what is queued within one overall deadline."""
        with trio.move_on_after(FINAL_DRAIN_SECONDS):
            while self.queue or self._busy:
                self._settled = trio.Event()
                self.wake.set()
                await self._settled.wait()
        self._drop_queued("the requests did not finish in time")

    def _drop_queued(self, why: str) -> None:
        """Give up on every queued request: one error line with the count; codeField messages and
        waiting barriers go on (code 0) so nothing downstream waits for them."""
        dropped = 0
        while self.queue:
            req = self.queue.popleft()
            if req.url is not None:
                dropped += 1
                if req.msg is not None:
                    self._emit_with_code(req.msg, 0)
            elif req.msg is not None:
                self.emit(req.msg)
        if dropped:
            self.stats["post_errors"] += dropped
            self.error(f"failed to POST data: {why}, dropped {dropped} queued request(s)")

    async def _drain(self, client: httpx.AsyncClient) -> None:
        while self.queue:
            req = self.queue.popleft()
            if req.url is None:
                self.emit(req.msg)
                await self.flush()
                continue
            self._busy = True
            try:
                code = await self._post(client, req)
            finally:
                self._busy = False
            if req.msg is not None:
                self._emit_with_code(req.msg, code)
                await self.flush()
            self._settled.set()
        self._settled.set()

    async def _post(self, client: httpx.AsyncClient, req: _Request) -> int:
        headers = dict(self.headers)
        if self.row_template is None:
            headers = {"Content-Type": "application/json", **headers}
        try:
            resp = await client.post(
                req.url,
                content=req.body.encode(),
                headers=headers,
                timeout=self.timeout,
                auth=self.auth or httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.HTTPError as exc:
            self.stats["post_errors"] += 1
            self.error(f"failed to POST data: {exc or type(exc).__name__}")
            return 0
        self.stats["posts"] += 1
        if not 200 <= resp.status_code < 300:
            self.stats["post_errors"] += 1
            if self.capture:
                detail = resp.text[:4096]
            else:
                detail = "unknown error, use .captureResponse() to capture the HTTP response"
            self.error(
                "POST returned non 2xx status code", error=detail, code=str(resp.status_code)
            )
        return resp.status_code
