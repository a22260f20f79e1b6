"""The lambda compiler: generated code, runtime type dispatch, state per instance, point scopes."""

from __future__ import annotations

import pytest

from kapacitrio.tick import ast as A
from kapacitrio.tick.errors import EvalError, TickError
from kapacitrio.tick.lambdas import compile_expression
from kapacitrio.tick.values import Duration, Time


def ref(name):
    return A.ReferenceNode(name=name)


def num(v):
    return A.NumberNode(value=v)


def bin_(op, left, right):
    return A.BinaryNode(op=op, left=left, right=right)


def call(name, *args):
    return A.FunctionNode(name=name, args=list(args))


BENCH = bin_(
    "AND",
    bin_(">", ref("value"), num(10.0)),
    bin_("==", ref("host"), A.StringNode(value="serverA")),
)


def test_fields_and_tags_are_both_visible():
    inst = compile_expression(BENCH).instance()
    assert inst.eval_bool(0, {"value": 11.0}, {"host": "serverA"}) is True
    assert inst.eval_bool(0, {"value": 11.0}, {"host": "serverB"}) is False
    assert inst.eval_bool(0, {"value": 9.0}, {"host": "serverA"}) is False


def test_a_field_may_change_type_between_points():
    inst = compile_expression(bin_(">", ref("value"), num(10.0))).instance()
    assert inst.eval(0, {"value": 11}, {}) is True
    assert inst.eval(0, {"value": 9.5}, {}) is False
    with pytest.raises(EvalError, match="mismatched type to binary operator. got string > float"):
        inst.eval(0, {"value": "x"}, {})


def test_references_in_order_of_first_use():
    assert compile_expression(BENCH).references == ["value", "host"]


def test_missing_reference_and_field_tag_conflict():
    inst = compile_expression(BENCH).instance()
    with pytest.raises(EvalError, match='left reference value "value" is missing value'):
        inst.eval_bool(0, {}, {"host": "serverA"})
    with pytest.raises(EvalError, match='cannot have field and tags with same name "host"'):
        inst.eval_bool(0, {"value": 1.0, "host": "a"}, {"host": "a"})


def test_short_circuit_does_not_evaluate_the_right_side():
    expr = bin_("AND", bin_(">", ref("a"), num(10)), bin_(">", call("count"), num(0)))
    inst = compile_expression(expr).instance()
    assert inst.eval_bool(0, {"a": 1}, {}) is False
    assert inst.eval_bool(0, {"a": 11}, {}) is True
    assert compile_expression(call("count")).instance().eval(0, {}, {}) == 1


def test_stateful_functions_share_one_state_per_name_and_instance():
    expr = compile_expression(bin_("+", call("count"), call("count")))
    first = expr.instance()
    assert first.eval(0, {}, {}) == 3
    assert first.eval(0, {}, {}) == 7
    assert expr.instance().eval(0, {}, {}) == 3
    first.reset()
    assert first.eval(0, {}, {}) == 3


def test_eval_bool_rejects_non_boolean_results():
    inst = compile_expression(ref("value")).instance()
    assert inst.eval_bool(0, {"value": True}, {}) is True
    with pytest.raises(
        EvalError, match="TypeGuard: expression returned unexpected type float, expected boolean"
    ):
        inst.eval_bool(0, {"value": 1.0}, {})


def test_time_reference_and_time_functions():
    inst = compile_expression(call("unixNano", ref("time"))).instance()
    assert inst.eval(1234, {}, {}) == 1234
    assert compile_expression(ref("time")).instance().eval(5, {}, {}) == Time(5)


def test_now_uses_the_given_clock():
    inst = compile_expression(call("unixNano", call("now")), now=lambda: 42).instance()
    assert inst.eval(0, {}, {}) == 42


def test_constant_type_errors_are_compile_errors():
    with pytest.raises(TickError, match="invalid math operator % for type float"):
        compile_expression(bin_("%", num(5.0), num(5.0)))


def test_duration_literals_and_vars():
    expr = bin_("*", A.IdentifierNode(name="period"), num(2))
    inst = compile_expression(expr, {"period": Duration(60_000_000_000)}).instance()
    value = inst.eval(0, {}, {})
    assert value == 120_000_000_000 and type(value) is Duration


def test_function_signature_errors():
    inst = compile_expression(bin_(">", call("sqrt", ref("v")), num(1.0))).instance()
    assert inst.eval(0, {"v": 4.0}, {}) is True
    with pytest.raises(EvalError) as info:
        inst.eval(0, {"v": 4}, {})
    assert str(info.value) == (
        'Cannot call function "sqrt" with args ("v": int), available signatures are [(float)].'
    )
    with pytest.raises(EvalError) as info:
        inst.eval(0, {}, {})
    assert str(info.value) == (
        'Cannot call function "sqrt" argument "v" is missing, values in scope are []'
    )


def test_predicates_check_function_signatures_first():
    inst = compile_expression(call("strContains", ref("host"), A.StringNode(value="a"))).instance()
    assert inst.eval_bool(0, {}, {"host": "abc"}) is True
    with pytest.raises(EvalError) as info:
        inst.eval_bool(0, {"value": 1.0}, {})
    assert str(info.value) == (
        'Cannot call function "strContains" argument "host" is missing, values in scope are []'
    )


def test_is_present():
    inst = compile_expression(call("isPresent", ref("v"))).instance()
    assert inst.eval_bool(0, {"v": 1}, {}) is True
    assert inst.eval_bool(0, {}, {}) is False


def test_undefined_function():
    inst = compile_expression(call("nope")).instance()
    with pytest.raises(EvalError, match='undefined function: "nope"'):
        inst.eval(0, {}, {})


def test_regex_operands_are_mismatched():
    regex = A.RegexNode(pattern="^(.*)c$", literal="^(.*)c$")
    with pytest.raises(TickError) as info:
        compile_expression(bin_("=~", regex, regex))
    assert str(info.value) == (
        "mismatched type to binary operator. got regex =~ regex. "
        "see bool(), int(), float(), string(), duration()"
    )


def test_scope_evaluation_reports_undefined_and_nil_names():
    inst = compile_expression(bin_("==", ref("value"), A.StringNode(value="yo"))).instance()
    with pytest.raises(EvalError, match='name "value" is undefined. Names in scope: other'):
        inst.eval_scope({"other": 1})
    with pytest.raises(EvalError, match='referenced value "value" is nil.'):
        inst.eval_scope({"value": None})
    assert inst.eval_scope({"value": "yo"}, "bool") is True


def test_logical_operators_check_a_right_reference_before_short_circuiting():
    expr = bin_("OR", ref("a"), ref("b"))
    inst = compile_expression(expr).instance()
    assert inst.eval_bool(0, {"a": True, "b": False}, {}) is True
    with pytest.raises(EvalError) as info:
        inst.eval_bool(0, {"a": True, "b": "x"}, {})
    assert str(info.value) == (
        "mismatched type to binary operator. got boolean OR string. "
        "see bool(), int(), float(), string(), duration()"
    )
    with pytest.raises(EvalError, match='right reference value "b" is missing value'):
        inst.eval_bool(0, {"a": True}, {})
    with pytest.raises(EvalError, match="invalid logical operator OR for type float"):
        inst.eval_bool(0, {"a": 1.0, "b": True}, {})


def test_int_is_converted_to_float_for_mixed_comparisons():
    inst = compile_expression(bin_("==", ref("v"), num(9007199254740992.0))).instance()
    assert inst.eval(0, {"v": 9007199254740993}, {}) is True


def test_vars_inline_lambdas_and_report_undefined_names():
    inner = bin_(">", ref("v"), num(1))
    inst = compile_expression(bin_("AND", A.IdentifierNode(name="cond"), TRUE), {"cond": inner})
    assert inst.references == ["v"]
    assert inst.instance().eval_bool(0, {"v": 2}, {}) is True
    with pytest.raises(TickError, match='name "nope" is undefined'):
        compile_expression(A.IdentifierNode(name="nope"))


TRUE = A.BoolNode(value=True)


def test_generated_int_arithmetic_wraps_around():
    expr = bin_("*", bin_("+", ref("v"), num(1)), num(2))
    inst = compile_expression(expr).instance()
    assert inst.eval(0, {"v": 2**63 - 1}, {}) == 0
    assert inst.eval(0, {"v": 3}, {}) == 8


def test_deeply_nested_calls_compile_and_errors_name_the_argument_path():
    node = ref("a")
    for _ in range(40):
        node = call("abs", node)
    inst = compile_expression(node).instance()
    assert inst.eval(0, {"a": -2.0}, {}) == 2.0
    nested = compile_expression(call("abs", call("sigma", A.BoolNode(value=True)))).instance()
    with pytest.raises(EvalError) as info:
        nested.eval(0, {}, {})
    assert str(info.value) == (
        'Failed to handle 1 argument: Cannot call function "sigma" with args (TRUE: boolean), '
        "available signatures are [(float)]."
    )
    failing = compile_expression(call("abs", call("float", A.StringNode(value="x")))).instance()
    with pytest.raises(EvalError) as info:
        failing.eval(0, {}, {})
    assert str(info.value) == (
        'Failed to handle 1 argument: error calling "float": '
        'strconv.ParseFloat: parsing "x": invalid syntax'
    )


def test_absurdly_deep_trees_are_a_clear_error():
    node = ref("a")
    for _ in range(5000):
        node = A.UnaryNode(op="-", operand=node)
    with pytest.raises(TickError, match="too deeply nested"):
        compile_expression(node)
