"""Evaluate a parsed TICKscript into a typed `Pipeline` (Kapacitor's script evaluation rules)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kapacitrio.pipeline import gotypes as g
from kapacitrio.pipeline.alert import ALERT, HANDLERS, alert_fresh
from kapacitrio.pipeline.gotypes import HandlerRef
from kapacitrio.pipeline.literals import substitute
from kapacitrio.pipeline.nodes import KINDS, SAME, NodeKind, chain_methods, fresh_props
from kapacitrio.pipeline.props import Prop
from kapacitrio.pipeline.spec import BATCH, STAR, STREAM, NodeSpec, Pipeline, TimeDimension, Var
from kapacitrio.pipeline.udf import UDFInfo, udf_kind
from kapacitrio.pipeline.vars import api_type, predefined_value, zero_value
from kapacitrio.tick import ast
from kapacitrio.tick.errors import TickError
from kapacitrio.tick.regex import compile_re2
from kapacitrio.tick.values import Duration, go_duration

VAR_TYPES = ("int", "float", "bool", "string", "regex", "duration", "lambda", "list", "star")


@dataclass(frozen=True, slots=True)
class DeadmanConfig:
    """The `[deadman]` section as the builder needs it."""

    threshold: float = 0.0
    interval: int = 10_000_000_000
    id: str = "node 'NODE_NAME' in task '{{ .TaskName }}'"
    message: str = (
        '{{ .ID }} is {{ if eq .Level "OK" }}alive{{ else }}dead{{ end }}: '
        '{{ index .Fields "emitted" | printf "%0.3f" }} points/INTERVAL.'
    )
    global_: bool = False


class _Global:
    """A global function of the script scope (only `time()` exists)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


def _err(pos: ast.Position, text: str) -> TickError:
    return TickError(pos.prefix() + text)


class _Builder:
    def __init__(
        self,
        task_type: str,
        vars: dict[str, Var] | None,
        template: bool,
        deadman: DeadmanConfig,
        udfs: dict[str, UDFInfo],
    ) -> None:
        self.task_type = task_type
        self.predefined = vars or {}
        self.template = template
        self.deadman_cfg = deadman
        self.udfs = udfs
        self.nodes: list[NodeSpec] = []
        self.next_id = 0
        self.sources: list[NodeSpec] = []
        self.dbrps: list[tuple[str, str]] = []
        self.vars: dict[str, Var] = {}
        self.scope: dict[str, Any] = {}
        self.kinds: dict[int, NodeKind] = {}
        root = self._new_node(KINDS[task_type], [], ast.Position())
        self._add_source(root)
        self.scope[task_type] = root
        self.scope["time"] = _Global("time")

    # -- nodes ---------------------------------------------------------------------------------

    def _new_node(
        self, kind: NodeKind, args: list[Any], pos: ast.Position, provides: str = ""
    ) -> NodeSpec:
        props = fresh_props(kind)
        if kind is ALERT:
            alert_fresh(props)
        wants = kind.wants if kind.wants != SAME else provides
        prov = kind.provides if kind.provides != SAME else wants
        node = NodeSpec(
            kind=kind.kind,
            desc=kind.desc,
            id=-1,  # assigned when linked (or added as a source), as in Kapacitor
            wants=wants,
            provides=prov,
            args=list(args),
            props=props,
            pos=pos,
        )
        self.nodes.append(node)
        self.kinds[id(node)] = kind
        return node

    def kind_of(self, node: NodeSpec) -> NodeKind:
        return self.kinds[id(node)]

    def _assign_id(self, node: NodeSpec) -> None:
        node.id = self.next_id
        self.next_id += 1

    def _link(self, parent: NodeSpec, child: NodeSpec) -> None:
        """Link a child; like Kapacitor, every link (re)assigns the child's ID from the counter,
        so a join or union with k other parents consumes k+1 IDs and keeps the last."""
        self._assign_id(child)
        parent.children.append(child)
        child.parents.append(parent)

    def _add_source(self, node: NodeSpec) -> None:
        self._assign_id(node)
        self.sources.append(node)

    # -- statements ----------------------------------------------------------------------------

    def run(self, program: ast.ProgramNode) -> Pipeline:
        for stmt in program.statements:
            self.statement(stmt)
        if self.deadman_cfg.global_:
            self.deadman(
                self.sources[0],
                self.deadman_cfg.threshold,
                Duration(self.deadman_cfg.interval),
                [],
                ast.Position(),
            )
        pipeline = Pipeline(type=self.task_type, nodes=self.nodes, dbrps=self.dbrps, vars=self.vars)
        for node in walk(pipeline):
            kind = self.kind_of(node)
            if kind.validate is not None:
                msg = kind.validate(node)
                if msg:
                    raise TickError(msg)
        return pipeline

    def statement(self, stmt: ast.Node) -> None:
        if isinstance(stmt, ast.DBRPNode):
            self.dbrps.append((stmt.db, stmt.rp))
        elif isinstance(stmt, ast.DeclarationNode):
            self.declaration(stmt)
        elif isinstance(stmt, ast.ExpressionStatement):
            self.value(stmt.expr)
        else:
            self.value(stmt)

    def declaration(self, decl: ast.DeclarationNode) -> None:
        name = decl.name
        desc = "\n".join(decl.comment)
        if decl.value is None:
            self.typed_declaration(decl, desc)
            return
        value = self.value(decl.value)
        if name in self.scope and self.scope[name] is not None:
            raise TickError(f"attempted to redefine {name}, vars are immutable")
        typ = api_type(value)
        if typ is not None:
            self.vars[name] = Var(typ, _to_var_value(value), desc)
        if name in self.predefined:
            value = predefined_value(name, self.predefined[name], typ)
        self.scope[name] = value

    def typed_declaration(self, decl: ast.DeclarationNode, desc: str) -> None:
        name, typ = decl.name, decl.type_name or ""
        if typ not in VAR_TYPES:
            raise TickError(f'invalid var type "{typ}"')
        self.vars[name] = Var(typ, None, desc)
        if name in self.predefined:
            self.scope[name] = predefined_value(name, self.predefined[name], typ)
        elif self.template:
            self.scope[name] = zero_value(typ)
        else:
            raise TickError(f'missing value for var "{name}".')

    # -- expressions ---------------------------------------------------------------------------

    def lookup(self, name: str) -> Any:
        if name in self.scope:
            return self.scope[name]
        names = ",".join(self.scope)
        raise TickError(f'name "{name}" is undefined. Names in scope: {names}')

    def value(self, node: ast.Node) -> Any:
        match node:
            case ast.NumberNode():
                return node.value
            case ast.StringNode():
                return node.value
            case ast.DurationNode():
                return Duration(node.ns)
            case ast.BoolNode():
                return node.value
            case ast.RegexNode():
                try:
                    return compile_re2(node.pattern)
                except ValueError as exc:  # tick.regex.RegexError, re.error
                    raise _err(node.pos, str(exc)) from None
            case ast.StarNode():
                return STAR
            case ast.ReferenceNode():
                return node
            case ast.IdentifierNode():
                return self.lookup(node.name)
            case ast.ListNode():
                return [self.value(item) for item in node.items]
            case ast.LambdaNode():
                return ast.LambdaNode(
                    expr=substitute(node.expr, self.lookup), pos=node.pos, comment=node.comment
                )
            case ast.UnaryNode():
                return self.unary(node)
            case ast.BinaryNode():
                return self.binary(node)
            case ast.FunctionNode():
                return self.global_call(node)
            case ast.ChainNode():
                return self.chain(node)
        raise _err(node.pos, f"cannot evaluate {type(node).__name__}")

    def unary(self, node: ast.UnaryNode) -> Any:
        v = self.value(node.operand)
        if node.op == "-":
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise _err(node.pos, f"invalid arugument to '-' {_go_value(v)}")
            return Duration(-v) if g.is_duration(v) else -v
        if not isinstance(v, bool):
            raise _err(node.pos, f"invalid arugument to '!' {_go_value(v)}")
        return not v

    def binary(self, node: ast.BinaryNode) -> Any:
        """A binary expression outside a lambda: evaluated now, with the lambda rules and functions."""
        from kapacitrio.tick.lambdas import compile_expression

        expr = substitute(node, self.lookup)
        try:
            return compile_expression(expr).instance().eval_scope({})
        except TickError:
            raise
        except (TypeError, ValueError, ZeroDivisionError, OverflowError) as exc:
            raise TickError(str(exc)) from exc

    def global_call(self, node: ast.FunctionNode) -> Any:
        fn = self.scope.get(node.name)
        if not isinstance(fn, _Global):
            raise _err(node.pos, f'no global function "{node.name}" defined')
        args = [self.value(a) for a in node.args]
        if len(args) == 1 and isinstance(args[0], list):
            args = args[0]
        msg = g.check_call((g.DURATION, "..." + g.DURATION), args)
        if msg:
            raise _err(node.pos, f'error calling func "{node.name}" on obj <nil>: {msg}')
        offset = int(args[1]) if len(args) > 1 else 0
        return TimeDimension(every=int(args[0]), offset=offset)

    # -- chains --------------------------------------------------------------------------------

    def chain(self, node: ast.ChainNode) -> Any:
        """A chain, evaluated left to right without recursing once per step."""
        steps: list[ast.ChainNode] = []
        cur: ast.Node = node
        while isinstance(cur, ast.ChainNode):
            steps.append(cur)
            cur = cur.left
        obj = self.value(cur)
        for step in reversed(steps):
            obj = self.chain_step(step, obj)
        return obj

    def chain_step(self, node: ast.ChainNode, obj: Any) -> Any:
        if node.args is None:
            return self.read_property(node, obj)
        args = [self.value(a) for a in node.args]
        if len(args) == 1 and isinstance(args[0], list):
            args = list(args[0])
        pos = getattr(node, "name_pos", None) or node.pos
        if not isinstance(obj, NodeSpec | HandlerRef):
            raise _err(pos, f'no method or property "{node.name}" on {g.go_type(obj)}')
        try:
            return self.call(node, pos, obj, args)
        except _GoPanicPlain as err:
            raise _err(pos, str(err)) from None
        except _GoPanic as panic:
            text = f'error calling func "{node.name}" on obj {g.go_type(obj)}: {panic}'
            if "*ast.ReferenceNode" in text and "type string" in text:
                text = "cannot assign *ast.ReferenceNode to type string, did you use double quotes instead of single quotes?"
            raise _err(pos, text) from None

    def read_property(self, node: ast.ChainNode, obj: Any) -> Any:
        target = obj.node if isinstance(obj, HandlerRef) else obj
        if isinstance(target, NodeSpec):
            key = _key(node.name)
            if key in target.props:
                return target.props[key]
        raise _err(node.pos, f"object {g.go_type(obj)} has no property {node.name}")

    def call(
        self, node: ast.ChainNode, pos: ast.Position, obj: NodeSpec | HandlerRef, args: list[Any]
    ) -> Any:
        name = _key(node.name)
        target = obj.node if isinstance(obj, HandlerRef) else obj
        kind = self.kind_of(target)
        handler = HANDLERS[obj.handler.kind] if isinstance(obj, HandlerRef) else None
        has_prop = name in kind.prop_index or (handler is not None and name in handler.prop_index)
        if kind is ALERT and name in HANDLERS:
            has_prop = True
        has_chain = name in chain_methods(kind)
        has_udf = name in self.udfs
        what = g.go_type(obj)
        if node.op == "|":
            if has_chain:
                return self.chain_method(node, target, name, args)
            if has_prop:
                raise _err(
                    pos,
                    f"no chaining method \"{node.name}\" on {what}, but property does exist. Use '.' operator instead: 'node.{node.name}(..)'.",
                )
            if has_udf:
                raise _err(
                    pos,
                    f"no chaining method \"{node.name}\" on {what}, but dynamic method does exist. Use '@' operator instead: 'node@{node.name}(..)'.",
                )
        elif node.op == ".":
            if has_prop:
                return self.set_property(obj, kind, handler, name, args)
            if has_chain:
                raise _err(
                    pos,
                    f"no property method \"{node.name}\" on {what}, but chaining method does exist. Use '|' operator instead: 'node|{node.name}(..)'.",
                )
            if has_udf:
                raise _err(
                    pos,
                    f"no property method \"{node.name}\" on {what}, but dynamic method does exist. Use '@' operator instead: 'node@{node.name}(..)'.",
                )
        elif node.op == "@":
            if has_udf:
                return self.udf(node, target, args)
            if has_prop:
                raise _err(
                    pos,
                    f"no dynamic method \"{node.name}\" on {what}, but property does exist. Use '.' operator instead: 'node.{node.name}(..)'.",
                )
            if has_chain:
                raise _err(
                    pos,
                    f"no dynamic method \"{node.name}\" on {what}, but chaining method does exist. Use '|' operator instead: 'node|{node.name}(..)'.",
                )
        raise _err(pos, f'no method or property "{node.name}" on {what}')

    # -- properties ----------------------------------------------------------------------------

    def set_property(
        self, obj: NodeSpec | HandlerRef, kind: NodeKind, handler: Any, name: str, args: list[Any]
    ) -> Any:
        if isinstance(obj, HandlerRef) and name in handler.prop_index:
            self.apply(handler.prop_index[name], obj.handler.props, args, g.go_type(obj))
            return obj
        target = obj.node if isinstance(obj, HandlerRef) else obj
        if kind is ALERT and name in HANDLERS:
            return self.add_handler(target, name, args)
        self.apply(kind.prop_index[name], target.props, args, g.go_type(obj))
        return obj

    def apply(self, prop: Prop, props: dict[str, Any], args: list[Any], go: str) -> None:
        if prop.field:
            if len(args) != 1:
                raise _GoPanicPlain(f"too many arguments to set property {_cap(prop.name)} on {go}")
            msg = g.check_field(prop.params[0], args[0])
            if msg:
                raise _GoPanic(msg)
            props[prop.store] = args[0]
            return
        msg = g.check_call(prop.params, args)
        if msg:
            raise _GoPanic(msg)
        if prop.apply is None:
            props[prop.store] = args[0] if args else True
            return
        err = prop.apply(props, args)
        if err:
            raise _GoPanicPlain(err)

    def add_handler(self, node: NodeSpec, name: str, args: list[Any]) -> HandlerRef:
        hk = HANDLERS[name]
        msg = g.check_call(hk.params, args)
        if msg:
            raise _GoPanic(msg)
        spec = hk.new(args)
        node.props["handlers"].append(spec)
        return HandlerRef(node, spec, hk.go)

    # -- chaining methods ----------------------------------------------------------------------

    def chain_method(
        self, node: ast.ChainNode, parent: NodeSpec, name: str, args: list[Any]
    ) -> NodeSpec:
        if name == "stats":
            return self.stats(parent, args, node.pos)
        if name == "deadman":
            msg = g.check_call((g.FLOAT, g.DURATION, "..." + g.LAMBDA), args)
            if msg:
                raise _GoPanic(msg)
            return self.deadman(parent, args[0], args[1], args[2:], node.pos)
        if name == "window" and parent.provides != STREAM:
            raise _GoPanic("cannot Window batch edge")
        if name == "trickle" and parent.provides != BATCH:
            raise _GoPanic("cannot Trickle stream edge")
        kind = KINDS[name]
        msg = g.check_call(kind.params, args)
        if msg:
            raise _GoPanic(msg)
        if name in ("join", "union"):
            return self.multi_parent(kind, parent, [g.unwrap(a) for a in args], node.pos)
        child = self._new_node(kind, args, node.pos, parent.provides)
        self._link(parent, child)
        if kind.init is not None:
            err = kind.init(child)
            if err:  # Kapacitor's constructors panic on bad arguments
                raise _GoPanic(err)
        return child

    def multi_parent(
        self, kind: NodeKind, parent: NodeSpec, others: list[NodeSpec], pos: ast.Position
    ) -> NodeSpec:
        child = self._new_node(kind, [], pos, parent.provides)
        # join links the left parent first; union links the others, then the left parent.
        order = [parent, *others] if kind.kind == "join" else [*others, parent]
        for p in order:
            self._link(p, child)
        return child

    def stats(self, parent: NodeSpec, args: list[Any], pos: ast.Position) -> NodeSpec:
        msg = g.check_call((g.DURATION,), args)
        if msg:
            raise _GoPanic(msg)
        node = self._new_node(KINDS["stats"], args, pos, STREAM)
        node.props["observed"] = parent
        self._add_source(node)
        if not parent.children:
            noop = self._new_node(KINDS["noOp"], [], pos, parent.provides)
            self._link(parent, noop)
        return node

    def deadman(
        self,
        parent: NodeSpec,
        threshold: float,
        interval: int,
        extra: list[ast.LambdaNode],
        pos: ast.Position,
    ) -> NodeSpec:
        stats = self.stats(parent, [Duration(interval)], pos)
        stats.props["align"] = True
        deriv = self._new_node(KINDS["derivative"], ["emitted"], pos, STREAM)
        self._link(stats, deriv)
        deriv.props["as"] = "emitted"
        deriv.props["nonNegative"] = True
        deriv.props["unit"] = Duration(interval)
        alert = self._new_node(ALERT, [], pos, STREAM)
        self._link(deriv, alert)
        crit: ast.Node = ast.BinaryNode(
            op="<=",
            left=ast.ReferenceNode(name="emitted"),
            right=ast.NumberNode(value=float(threshold), literal=repr(float(threshold))),
        )
        for lam in extra:
            crit = ast.BinaryNode(op="AND", left=crit, right=lam.expr)
        alert.props["crit"] = ast.LambdaNode(expr=crit)
        alert.props["id"] = self.deadman_cfg.id.replace("NODE_NAME", parent.name, 1)
        alert.props["message"] = self.deadman_cfg.message.replace(
            "INTERVAL", go_duration(int(interval)), 1
        )
        return alert

    def udf(self, node: ast.ChainNode, parent: NodeSpec, args: list[Any]) -> NodeSpec:
        info = self.udfs[node.name]
        if args:
            raise _GoPanic("reflect: Call with too many input arguments")
        child = self._new_node(udf_kind(node.name, info), [], node.pos, parent.provides)
        child.props["udf"] = node.name
        self._link(parent, child)
        return child


class _GoPanic(Exception):
    """A Go reflection panic text; reported as `error calling func ...`."""


class _GoPanicPlain(_GoPanic):
    """An error returned by a property method (reported the same way)."""


def _key(name: str) -> str:
    return name[:1].lower() + name[1:]


def _cap(name: str) -> str:
    return name[:1].upper() + name[1:]


def _go_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _to_var_value(value: Any) -> Any:
    if isinstance(value, list):
        return [Var(api_type(v) or "string", v) for v in value]
    return value


def build_pipeline(
    program: ast.ProgramNode,
    task_type: str,
    vars: dict[str, Var] | None = None,
    *,
    template: bool = False,
    deadman: DeadmanConfig | None = None,
    udfs: dict[str, UDFInfo] | None = None,
) -> Pipeline:
    """Evaluate a parsed script for a `stream` or `batch` task into its pipeline."""
    if task_type not in (STREAM, BATCH):
        raise TickError(f"source edge type must be either Stream or Batch not {task_type}")
    builder = _Builder(task_type, vars, template, deadman or DeadmanConfig(), udfs or {})
    try:
        return builder.run(program)
    except RecursionError:
        raise TickError("script is too deeply nested to evaluate") from None


def compile_task(
    script: str,
    task_type: str,
    vars: dict[str, Var] | None = None,
    *,
    template: bool = False,
    deadman: DeadmanConfig | None = None,
    udfs: dict[str, UDFInfo] | None = None,
) -> Pipeline:
    """Parse and evaluate a script."""
    from kapacitrio.tick.parser import parse

    try:
        program = parse(script)
    except RecursionError:
        raise TickError("script is too deeply nested to evaluate") from None
    return build_pipeline(program, task_type, vars, template=template, deadman=deadman, udfs=udfs)


def walk(pipeline: Pipeline) -> list[NodeSpec]:
    """The nodes in Kapacitor's walk order (parents before children; used by DOT and start-up):
    a depth-first post-order from each source, sources taken last first, then reversed."""
    out: list[NodeSpec] = []
    seen: set[int] = set()
    for src in reversed(pipeline.sources):
        if id(src) in seen:
            continue
        seen.add(id(src))
        stack: list[tuple[NodeSpec, int]] = [(src, 0)]
        while stack:
            n, i = stack.pop()
            if i < len(n.children):
                stack.append((n, i + 1))
                child = n.children[i]
                if id(child) not in seen:
                    seen.add(id(child))
                    stack.append((child, 0))
            else:
                out.append(n)
    out.reverse()
    return out
