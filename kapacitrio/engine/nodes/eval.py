"""`eval`: evaluates lambdas per point into new fields or tags (`as`, `tags`, `keep`)."""

from __future__ import annotations

from typing import Any

from kapacitrio.engine.node import NodeRuntime, register
from kapacitrio.engine.nodes._columnar import columnar_lambda, used_groups
from kapacitrio.engine.nodes.lambdas import PerGroup, compile_lambda, dump_all, load_all
from kapacitrio.models.columns import Column, ColumnChunk
from kapacitrio.models.point import Batch, BatchPoint, DeleteGroup, Point
from kapacitrio.tick.columnar import Vec
from kapacitrio.tick.errors import EvalError
from kapacitrio.tick.values import MISSING

_VALUE_KINDS = (int, float, bool, str)


class _Skip(Exception):
    """The point is dropped (the error was already counted)."""


@register("eval")
class EvalRuntime(NodeRuntime):
    """Each result is visible to the later expressions; output fields follow `keep`."""

    extra_stats = {"eval_errors": 0}

    def __init__(self, spec: Any, ctx: Any) -> None:
        super().__init__(spec, ctx)
        self.exprs = [PerGroup(compile_lambda(lam)) for lam in spec.args]
        self.names: list[str] = list(spec.props.get("as") or [])
        self.tag_names = set(spec.props.get("tags") or [])
        self.keep = bool(spec.props.get("keep"))
        self.keep_list: list[str] | None = spec.props.get("keepList")
        self.columnar = None
        if not self.tag_names and not any(lam.compiled.stateful for lam in self.exprs):
            forms = [columnar_lambda(lam) for lam in spec.args[: len(self.names)]]
            if all(f is not None for f in forms):
                self.columnar = forms

    def point_chunk(self, chunk: Any, parent: int) -> int:
        """A columnar chunk evaluated by columns; any row the columns cannot settle (an error, a
        missing value) sends the whole chunk point by point, so output and errors stay exact."""
        if self.columnar is None or type(chunk) is not ColumnChunk:
            return -1
        n = len(chunk)
        results: dict[str, Vec] = {}
        for form, name in zip(self.columnar, self.names, strict=False):
            res = form.evaluate(chunk, results)
            if res is None or res[1].any() or res[0].kind not in _VALUE_KINDS:
                return -1
            results[name] = res[0]
        out = self._output(chunk, {k: v.column(n) for k, v in results.items()})
        if out is None:
            return -1
        for group in used_groups(chunk):
            for lam in self.exprs:
                lam.get(group)
        self.emit_chunk(out)
        return n

    def _output(self, chunk: ColumnChunk, results: dict[str, Column]) -> ColumnChunk | None:
        """The chunk with the fields `keep`/`keepList` ask for (None: decide point by point)."""
        if not self.keep:
            return chunk.derive(fields=results, layout_codes=None, layouts=[tuple(results)])
        if self.keep_list is None:
            fields = {**chunk.fields, **results}
            layouts = [lay + tuple(k for k in results if k not in lay) for lay in chunk.layouts]
            return chunk.derive(fields=fields, layouts=layouts)
        fields = {}
        for name in self.keep_list:
            col = results.get(name) or chunk.fields.get(name)
            if col is None or col.present is not None:
                return None  # a field some rows lack: the per-point errors say so
            fields[name] = col
        return chunk.derive(fields=fields, layout_codes=None, layouts=[tuple(fields)])

    def _fail(self, message: str) -> None:
        self.stats["eval_errors"] += 1
        self.error(message)
        raise _Skip

    def _apply(
        self, group: str, time: int, fields: dict[str, Any], tags: dict[str, str]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        scope = dict(fields)
        results: dict[str, Any] = {}
        new_tags: dict[str, str] | None = None
        for lam, name in zip(self.exprs, self.names, strict=False):
            try:
                value = lam.get(group).eval(time, scope, tags if new_tags is None else new_tags)
            except EvalError as exc:
                self._fail(str(exc))
            if value is MISSING:
                refs = ", ".join(lam.compiled.references)
                self._fail(f"failed to evaluate expression for {name!r}: missing value for {refs}")
            if name in self.tag_names:
                if not isinstance(value, str):
                    self._fail(f"cannot set tag {name} to non string value {value!r}")
                if new_tags is None:
                    new_tags = dict(tags)
                new_tags[name] = value
            results[name] = value
            scope[name] = value
        out_tags = tags if new_tags is None else new_tags
        if not self.keep:
            return {k: v for k, v in results.items() if k not in self.tag_names}, out_tags
        if self.keep_list is None:
            return {**fields, **results}, out_tags
        out: dict[str, Any] = {}
        for name in self.keep_list:
            if name in results:
                out[name] = results[name]
            elif name in fields:
                out[name] = fields[name]
            else:
                self._fail(f"cannot keep field {name!r}, field does not exist")
        return out, out_tags

    def point(self, p: Point, parent: int) -> None:
        try:
            fields, tags = self._apply(p.group, p.time, p.fields, p.tags)
        except _Skip:
            return
        if tags is p.tags:
            self.out.append(Point(p.name, tags, fields, p.time, p.db, p.rp, p.group, p.dimensions))
            return
        d = p.dimensions
        if any(tags.get(t) != p.tags.get(t) for t in d.tag_names):
            self.out.append(p.copy_with(fields=fields, tags=tags, group=d.group_id(p.name, tags)))
        else:
            self.out.append(p.copy_with(fields=fields, tags=tags))

    def batch(self, b: Batch, parent: int) -> None:
        points = []
        for bp in b.points:
            try:
                fields, tags = self._apply(b.group, bp.time, bp.fields, bp.tags)
            except _Skip:
                continue
            points.append(BatchPoint(bp.time, fields, tags))
        self.emit(b.copy_with(points=points))

    def delete_group(self, d: DeleteGroup, parent: int) -> None:
        for lam in self.exprs:
            lam.drop(d.group)
        self.emit(d)

    def cardinality(self) -> int:
        return max((len(lam.instances) for lam in self.exprs), default=0)

    # -- state handover: only stateful lambdas (sigma(), count(), ...) have any
    def keeps_state(self) -> bool:
        return any(lam.compiled.stateful for lam in self.exprs)

    def snapshot(self) -> Any:
        return dump_all(self.exprs) if self.keeps_state() else None

    def restore(self, data: Any) -> None:
        load_all(self.exprs, data)
