"""An InfluxDB 1.x HTTP client on httpx: ping, write line protocol, query returning series."""

from __future__ import annotations

from typing import Any

import httpx


class InfluxDBError(Exception):
    """InfluxDB refused a request or could not be reached; the text says which and why."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


def quote_ident(name: str) -> str:
    """An InfluxQL identifier in double quotes."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


class InfluxDBClient:
    """One InfluxDB server. Use `async with` or call `aclose()` when done."""

    def __init__(
        self,
        url: str | list[str],
        username: str = "",
        password: str = "",
        timeout: float = 10.0,
        *,
        verify: bool | str = True,
        user_agent: str = "kapacitrio",
        http: httpx.AsyncClient | None = None,
        token: str = "",
    ) -> None:
        urls = [url] if isinstance(url, str) else list(url)
        if not urls:
            raise ValueError("an InfluxDB client needs at least one URL")
        self.urls = [u.rstrip("/") for u in urls]
        self._current = 0
        auth = httpx.BasicAuth(username, password) if username else None
        self._own = http is None
        self.http = http or httpx.AsyncClient(timeout=timeout, verify=verify)
        self._auth = auth
        self._headers = {"User-Agent": user_agent}
        #: An InfluxDB 2 API token: sent as `Authorization: Token ...` on Flux queries.
        self.token = token
        self.timeout = timeout

    async def __aenter__(self) -> InfluxDBClient:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._own:
            await self.http.aclose()

    @property
    def url(self) -> str:
        """The URL in use: requests fail over to the next one when a server cannot be reached."""
        return self.urls[self._current]

    async def _request(self, method: str, path: str, **kw: Any) -> httpx.Response:
        kw.setdefault("timeout", self.timeout)
        headers = {**self._headers, **kw.pop("headers", {})}
        auth = kw.pop("auth", self._auth)
        error: Exception | None = None
        for _ in range(len(self.urls)):
            url = self.url
            try:
                return await self.http.request(
                    method,
                    url + path,
                    auth=auth or httpx.USE_CLIENT_DEFAULT,
                    headers=headers,
                    **kw,
                )
            except httpx.TransportError as exc:
                error = InfluxDBError(f"{method} {url}{path}: {exc or type(exc).__name__}")
                self._current = (self._current + 1) % len(self.urls)
            except httpx.HTTPError as exc:
                raise InfluxDBError(f"{method} {url}{path}: {exc or type(exc).__name__}") from exc
        assert error is not None
        raise error

    async def ping(self) -> str:
        """The server's version (`X-Influxdb-Version`)."""
        resp = await self._request("GET", "/ping")
        if resp.status_code != 204:
            raise InfluxDBError(f"ping: unexpected status {resp.status_code}", resp.status_code)
        return resp.headers.get("X-Influxdb-Version", "")

    async def write(
        self,
        db: str,
        body: bytes | str,
        rp: str = "",
        precision: str = "",
        consistency: str = "",
    ) -> None:
        """Write line protocol to db/rp; raises InfluxDBError with the server's error text."""
        params = {"db": db, **_set_only(rp=rp, precision=precision, consistency=consistency)}
        data = body.encode() if isinstance(body, str) else body
        resp = await self._request("POST", "/write", params=params, content=data)
        if resp.status_code != 204:
            raise InfluxDBError(f"write failed: {_error_text(resp)}", resp.status_code)

    async def query(
        self, q: str, db: str = "", rp: str = "", epoch: str = "", method: str = "POST"
    ) -> list[dict[str, Any]]:
        """Run InfluxQL; returns one result dict per statement (`series`, maybe `error`)."""
        params = {"q": q, **_set_only(db=db, rp=rp, epoch=epoch)}
        if method == "GET":
            resp = await self._request("GET", "/query", params=params)
        else:
            resp = await self._request("POST", "/query", data=params)
        if resp.status_code != 200:
            raise InfluxDBError(f"query failed: {_error_text(resp)}", resp.status_code)
        try:
            doc = resp.json()
        except ValueError as exc:
            raise InfluxDBError(f"query: invalid JSON response: {exc}") from exc
        if doc.get("error"):
            raise InfluxDBError(f"query failed: {doc['error']}")
        return list(doc.get("results") or [])

    async def series(
        self, q: str, db: str = "", rp: str = "", epoch: str = ""
    ) -> list[dict[str, Any]]:
        """Run one statement; its series (raises on a statement error)."""
        results = await self.query(q, db, rp, epoch)
        if not results:
            return []
        first = results[0]
        if first.get("error"):
            raise InfluxDBError(f"query failed: {first['error']}")
        return list(first.get("series") or [])

    async def flux(self, query: str, org: str = "", org_id: str = "", now: str = "") -> str:
        """Run a Flux query on InfluxDB 2's `/api/v2/query`; the annotated CSV it answers.

        `now` (RFC3339) is the query's `now()`. With a token the request carries
        `Authorization: Token ...`, else the username and password as basic auth.
        """
        body: dict[str, Any] = {
            "type": "flux",
            "query": query,
            "dialect": {
                "annotations": ["datatype", "group", "default"],
                "delimiter": ",",
                "header": True,
            },
        }
        if now:
            body["now"] = now
        extra: dict[str, Any] = {"headers": {"Accept": "application/csv"}}
        if self.token:
            extra["headers"]["Authorization"] = f"Token {self.token}"
            extra["auth"] = None
        params = _set_only(org=org, orgID=org_id)
        resp = await self._request("POST", "/api/v2/query", params=params, json=body, **extra)
        if resp.status_code != 200:
            raise InfluxDBError(f"flux query failed: {_flux_error(resp)}", resp.status_code)
        return resp.text

    async def create_database(self, db: str, rp: str = "") -> None:
        """`CREATE DATABASE` (with a default retention policy named rp, when given)."""
        q = f"CREATE DATABASE {quote_ident(db)}"
        if rp:
            q += f" WITH NAME {quote_ident(rp)}"
        await self.series(q)


def _error_text(resp: httpx.Response) -> str:
    try:
        doc = resp.json()
        if isinstance(doc, dict) and doc.get("error"):
            return f"{resp.status_code}: {doc['error']}"
    except ValueError:
        pass
    return f"{resp.status_code}: {resp.text.strip()[:200]}"


def _flux_error(resp: httpx.Response) -> str:
    try:
        doc = resp.json()
        if isinstance(doc, dict) and (doc.get("message") or doc.get("error")):
            return f"{resp.status_code}: {doc.get('message') or doc.get('error')}"
    except ValueError:
        pass
    return f"{resp.status_code}: {resp.text.strip()[:200]}"


def _set_only(**params: str) -> dict[str, str]:
    """The request parameters that have a value."""
    return {name: value for name, value in params.items() if value}
