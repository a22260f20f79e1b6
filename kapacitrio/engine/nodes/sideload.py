"""sideload: add fields and tags to points from YAML/JSON files or an HTTP source, by tag-templated paths."""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import trio
import yaml

from kapacitrio.engine.node import NodeError, NodeRuntime, register
from kapacitrio.engine.nodes.httppost import endpoint_config
from kapacitrio.models.point import Barrier, Batch, BatchPoint, DeleteGroup, Point
from kapacitrio.tick.gotemplate import GoMap, Template, TemplateError

_EXTENSIONS = (".yml", ".yaml", ".json")


def load_dir(root: Path) -> dict[str, dict[str, Any]]:
    """Every YAML/JSON file under root, keyed by its path relative to root ('/' separated)."""
    out: dict[str, dict[str, Any]] = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            if not name.endswith(_EXTENSIONS):
                continue
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
            doc = json.loads(text) if name.endswith(".json") else yaml.safe_load(text)
            if doc is None:
                doc = {}
            if not isinstance(doc, dict):
                raise ValueError(f"{rel}: expected a mapping of keys to values")
            out[rel] = doc
    return out


_GO_NAMES = {int: "int64", float: "float64", bool: "bool", str: "string"}
_TRUE = ("1", "t", "T", "TRUE", "true", "True")
_FALSE = ("0", "f", "F", "FALSE", "false", "False")


def go_type(value: Any) -> str:
    return _GO_NAMES.get(type(value), type(value).__name__)


def _float_text(x: float) -> str:
    """A float as Go's FormatFloat(x, 'f', -1, 64): shortest digits, no exponent."""
    text = format(Decimal(repr(x)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def convert_type(value: Any, default: Any) -> Any:
    """The loaded value in the default's type, converting as Kapacitor does; ValueError if not."""
    src, want = type(value), type(default)
    if want is int:
        if src is int:
            return value
        if src is float and float(int(value)) == value:
            return int(value)
        if src is str:
            try:
                return int(value, 10)
            except ValueError:
                raise ValueError(f"cannot convert string to int64: {value!r}") from None
    elif want is float:
        if src in (int, float):
            return float(value)
        if src is str:
            try:
                return float(value)
            except ValueError:
                raise ValueError(f"cannot convert string to float64: {value!r}") from None
    elif want is bool:
        if src is bool:
            return value
        if src is str:
            if value in _TRUE:
                return True
            if value in _FALSE:
                return False
            raise ValueError(f"cannot convert string to bool: {value!r}")
    elif want is str:
        if src is str:
            return value
        if src is bool:
            return "true" if value else "false"
        if src is int:
            return str(value)
        if src is float:
            return _float_text(value)
    raise ValueError(f"cannot convert value of type {go_type(value)} to type {go_type(default)}")


@register("sideload")
class SideloadNode(NodeRuntime):
    """For each field/tag, the first ordered source path that has the key wins; else the default."""

    def __init__(self, spec, ctx) -> None:
        super().__init__(spec, ctx)
        p = spec.props
        self.source: str = p.get("source", "")
        try:
            self.order_raw = [str(t) for t in (p.get("order") or [])]
            self.order = [Template(t) for t in self.order_raw]
        except TemplateError as exc:
            raise NodeError(f"sideload: invalid order template: {exc}") from exc
        self.fields: dict[str, Any] = dict(p.get("fields") or {})
        self.tags: dict[str, str] = dict(p.get("tags") or {})
        self.data: dict[str, dict[str, Any]] = {}
        self.ready = False
        self.held: list[tuple[Point | Batch | Barrier | DeleteGroup, int]] = []

    # -- loading
    async def load(self) -> None:
        """(Re)load the whole source."""
        src = self.source
        scheme = urlparse(src).scheme
        if scheme == "file":
            root = Path(urlparse(src).path)
            self.data = await trio.to_thread.run_sync(load_dir, root)
            return
        url = src
        if scheme not in ("http", "https"):
            ep = endpoint_config(self.ctx.services, src)
            if ep is None:
                raise ValueError(f"unknown sideload source {src!r}")
            url = ep.get("url") if isinstance(ep, dict) else getattr(ep, "url", "")
        async with httpx.AsyncClient(timeout=30) as client:
            resp = await client.get(url)
        if resp.status_code != 200:
            raise ValueError(f"GET {url}: status {resp.status_code}")
        doc = resp.json()
        if not isinstance(doc, dict) or not all(isinstance(v, dict) for v in doc.values()):
            raise ValueError(f"GET {url}: expected an object of objects")
        self.data = doc

    async def reload(self) -> None:
        await self.load()

    async def run_background(self) -> None:
        try:
            await self.load()
        except (OSError, ValueError, yaml.YAMLError, httpx.HTTPError) as exc:
            self.error(f"sideload: failed to load {self.source!r}: {exc}")
        self.ready = True
        held, self.held = self.held, []
        for msg, parent in held:
            if isinstance(msg, Point):
                self.point(msg, parent)
            elif isinstance(msg, Batch):
                self.batch(msg, parent)
            else:
                self.emit(msg)
        await self.flush()

    # -- lookups
    def _paths(self, tags: dict[str, str]) -> list[str] | None:
        """The order templates rendered with the point's tags; None when one fails."""
        data = GoMap(tags)
        out = []
        for raw, t in zip(self.order_raw, self.order, strict=True):
            try:
                out.append(t.render(data))
            except TemplateError as exc:
                self.error(f"failed to evaluate order template: {exc} (order={raw})")
                return None
        return out

    def _lookup(self, paths: list[str], key: str) -> Any:
        for path in paths:
            doc = self.data.get(path)
            if doc is not None and key in doc:
                return doc[key]
        return None

    def _load(self, paths: list[str], key: str, default: Any) -> Any:
        found = self._lookup(paths, key)
        if found is None:
            return default
        try:
            return convert_type(found, default)
        except ValueError as exc:
            self.error(
                f"failed to load key: {exc} (key={key}, expected={go_type(default)},"
                f" got={go_type(found)})"
            )
            return default

    def _apply(self, fields: dict, tags: dict) -> tuple[dict, dict]:
        paths = self._paths(tags)
        if paths is None:
            return fields, tags
        if self.fields:
            fields = dict(fields)
            for key, default in self.fields.items():
                fields[key] = self._load(paths, key, default)
        if self.tags:
            tags = dict(tags)
            for key, default in self.tags.items():
                tags[key] = self._load(paths, key, str(default))
        return fields, tags

    def busy(self) -> bool:
        """Messages held until the sources are loaded (a new run loads them itself: the data
        is read from files, so nothing of it is handed over)."""
        return bool(self.held)

    def point(self, p: Point, parent: int) -> None:
        if not self.ready:
            self.held.append((p, parent))
            return
        fields, tags = self._apply(p.fields, p.tags)
        self.emit(p.copy_with(fields=fields, tags=tags))

    def barrier(self, b: Barrier, parent: int) -> None:
        if self.ready:
            self.emit(b)
        else:
            self.held.append((b, parent))

    def delete_group(self, d: DeleteGroup, parent: int) -> None:
        if self.ready:
            self.emit(d)
        else:
            self.held.append((d, parent))

    def batch(self, b: Batch, parent: int) -> None:
        if not self.ready:
            self.held.append((b, parent))
            return
        points = []
        for bp in b.points:
            fields, tags = self._apply(bp.fields, bp.tags)
            points.append(BatchPoint(bp.time, fields, tags))
        self.emit(b.copy_with(points=points))
