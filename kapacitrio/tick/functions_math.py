"""Math built-ins of TICKscript lambdas with Go `math` semantics (NaN and ±Inf instead of exceptions)."""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction

from kapacitrio.tick.errors import EvalError
from kapacitrio.tick.functions import FunctionSpec, _arity, register
from kapacitrio.tick.values import go_type_name

NAN, INF = math.nan, math.inf


def _guard(fn: Callable[[float], float], domain: Callable[[float], float | None]):
    """Wrap a Python math function: `domain(x)` gives the Go result for special inputs, else None."""

    def wrapped(x: float) -> float:
        special = domain(x)
        if special is not None:
            return special
        try:
            return fn(x)
        except OverflowError:
            return INF
        except ValueError:
            return NAN

    return wrapped


def _nan_in(x: float) -> float | None:
    return x if math.isnan(x) else None


def _log_domain(x: float) -> float | None:
    if math.isnan(x) or x < 0:
        return NAN
    if x == 0:
        return -INF
    if math.isinf(x):
        return INF
    return None


def _logb(x: float) -> float:
    if x == 0:
        return -INF
    if math.isinf(x):
        return INF
    if math.isnan(x):
        return x
    return float(math.frexp(x)[1] - 1)


def _gamma(x: float) -> float:
    if math.isnan(x):
        return x
    if x == 0:
        return math.copysign(INF, x)
    if x == -INF or (x < 0 and x == math.floor(x)):
        return NAN
    try:
        return math.gamma(x)
    except OverflowError:
        return INF
    except ValueError:
        return NAN


def _exp2(x: float) -> float:
    try:
        return 2.0**x
    except OverflowError:
        return INF


def _cbrt(x: float) -> float:
    """Correctly rounded cube root (Python's `math.cbrt` can be one ulp off; Go's is not)."""
    y = math.cbrt(x)
    if math.isnan(y) or math.isinf(y) or y == 0:
        return y
    target = Fraction(x)
    candidates = (math.nextafter(y, -INF), y, math.nextafter(y, INF))
    return min(candidates, key=lambda c: abs(Fraction(c) ** 3 - target))


def _sinh(x: float) -> float:
    try:
        return math.sinh(x)
    except OverflowError:
        return math.copysign(INF, x)


def _atanh(x: float) -> float:
    if x == 1:
        return INF
    if x == -1:
        return -INF
    if math.isnan(x) or abs(x) > 1:
        return NAN
    return math.atanh(x)


def _pow(x: float, y: float) -> float:
    try:
        return math.pow(x, y)
    except OverflowError:
        return INF if x > 0 or y == math.floor(y) and int(y) % 2 == 0 else -INF
    except ValueError:
        if x == 0 and y < 0:
            odd = y == math.floor(y) and int(y) % 2 == 1
            return math.copysign(INF, x) if odd else INF
        return NAN


def _mod(x: float, y: float) -> float:
    if y == 0 or math.isinf(x) or math.isnan(x) or math.isnan(y):
        return NAN
    return math.fmod(x, y)


def _max(x: float, y: float) -> float:
    if math.isinf(x) and x > 0 or math.isinf(y) and y > 0:
        return INF
    if math.isnan(x) or math.isnan(y):
        return NAN
    if x == 0 and y == 0:
        return y if math.copysign(1, x) < 0 else x
    return x if x > y else y


def _min(x: float, y: float) -> float:
    if math.isinf(x) and x < 0 or math.isinf(y) and y < 0:
        return -INF
    if math.isnan(x) or math.isnan(y):
        return NAN
    if x == 0 and y == 0:
        return x if math.copysign(1, x) < 0 else y
    return x if x < y else y


def _trunc(x: float) -> float:
    if math.isnan(x) or math.isinf(x):
        return x
    return float(math.trunc(x))


def _ceil(x: float) -> float:
    if math.isnan(x) or math.isinf(x):
        return x
    return float(math.ceil(x))


def _floor(x: float) -> float:
    if math.isnan(x) or math.isinf(x):
        return x
    return float(math.floor(x))


_MATH1: dict[str, Callable[[float], float]] = {
    "abs": abs,
    "acos": _guard(math.acos, _nan_in),
    "acosh": _guard(math.acosh, _nan_in),
    "asin": _guard(math.asin, _nan_in),
    "asinh": _guard(math.asinh, _nan_in),
    "atan": math.atan,
    "atanh": _atanh,
    "cbrt": _cbrt,
    "ceil": _ceil,
    "cos": _guard(math.cos, _nan_in),
    "cosh": _guard(math.cosh, _nan_in),
    "erf": math.erf,
    "erfc": math.erfc,
    "exp": _guard(math.exp, _nan_in),
    "exp2": _exp2,
    "expm1": _guard(math.expm1, _nan_in),
    "floor": _floor,
    "gamma": _gamma,
    "log": _guard(math.log, _log_domain),
    "log10": _guard(math.log10, _log_domain),
    "log1p": _guard(math.log1p, lambda x: _log_domain(x + 1) if x <= -1 or math.isnan(x) else None),
    "log2": _guard(math.log2, _log_domain),
    "logb": _logb,
    "sin": _guard(math.sin, _nan_in),
    "sinh": _sinh,
    "sqrt": _guard(math.sqrt, lambda x: NAN if x < 0 or math.isnan(x) else None),
    "tan": _guard(math.tan, _nan_in),
    "tanh": math.tanh,
    "trunc": _trunc,
}

_MATH2: dict[str, Callable[[float, float], float]] = {
    "atan2": math.atan2,
    "hypot": lambda x, y: INF if math.isinf(x) or math.isinf(y) else math.hypot(x, y),
    "max": _max,
    "min": _min,
    "mod": _mod,
    "pow": _pow,
}


def _make1(name: str, fn: Callable[[float], float]):
    def call(*args: object) -> float:
        if len(args) == 1 and type(args[0]) is float:
            return fn(args[0])  # type: ignore[arg-type]
        _arity(name, args, 1)
        a = args[0]
        if type(a) is not float:
            raise EvalError(f"cannot pass {go_type_name(a)} to {name}, must be float64")
        return fn(a)  # type: ignore[arg-type]

    return call


def _make2(name: str, fn: Callable[[float, float], float]):
    def call(*args: object) -> float:
        if len(args) == 2 and type(args[0]) is float and type(args[1]) is float:
            return fn(args[0], args[1])  # type: ignore[arg-type]
        _arity(name, args, 2)
        for a in args:
            if type(a) is not float:
                raise EvalError(f"cannot pass {go_type_name(a)} to {name}, must be float64")
        return fn(args[0], args[1])  # type: ignore[arg-type]

    return call


def _pow10(*args: object) -> float:
    if len(args) != 1:
        raise EvalError("pow10 expects exactly two arguments")
    n = args[0]
    if type(n) is not int:
        raise EvalError(f"cannot pass {go_type_name(n)} to pow10, must be int64")
    if n < -323:
        return 0.0
    if n > 308:
        return INF
    return float(f"1e{n}")


def _make_int_float(name: str, fn: Callable[[int, float], float]):
    def call(*args: object) -> float:
        _arity(name, args, 2)
        n, x = args
        if type(n) is not int:
            raise EvalError(f"cannot pass {go_type_name(n)} to {name} as first arg, must be int64")
        if type(x) is not float:
            raise EvalError(
                f"cannot pass {go_type_name(x)} to {name} as second arg, must be float64"
            )
        return fn(n, x)  # type: ignore[arg-type]

    return call


for _name, _fn in _MATH1.items():
    register(FunctionSpec(_name, {(float,): float}, call=_make1(_name, _fn)))
for _name, _fn in _MATH2.items():
    register(FunctionSpec(_name, {(float, float): float}, call=_make2(_name, _fn)))
register(FunctionSpec("pow10", {(int,): float}, call=_pow10))


# ---------------------------------------------------------------------------------------------
# Bessel functions of integer order (Python's math module has none).
# J_n and Y_n come from their integral representations, evaluated with composite Gauss-Legendre
# quadrature, and from Hankel's asymptotic expansion for large arguments.


def _legendre_nodes(n: int) -> list[tuple[float, float]]:
    nodes = []
    for i in range(1, n + 1):
        x = math.cos(math.pi * (i - 0.25) / (n + 0.5))
        for _ in range(100):
            p0, p1 = 1.0, x
            for k in range(2, n + 1):
                p0, p1 = p1, ((2 * k - 1) * x * p1 - (k - 1) * p0) / k
            dp = n * (x * p1 - p0) / (x * x - 1)
            dx = p1 / dp
            x -= dx
            if abs(dx) < 1e-16:
                break
        nodes.append((x, 2 / ((1 - x * x) * dp * dp)))
    return nodes


_GL = _legendre_nodes(20)


def _integrate(f: Callable[[float], float], a: float, b: float, panels: int) -> float:
    total = 0.0
    width = (b - a) / panels
    for p in range(panels):
        mid = a + (p + 0.5) * width
        half = width / 2
        total += half * sum(w * f(mid + half * x) for x, w in _GL)
    return total


def _hankel(n: int, x: float) -> tuple[float, float]:
    """(J_n(x), Y_n(x)) for large x from the asymptotic expansion."""
    mu = 4.0 * n * n
    p, q = 1.0, 0.0
    term = 1.0
    k = 1
    best = (1.0, 0.0)
    prev = INF
    while k < 60:
        term *= (mu - (2 * k - 1) ** 2) / (k * 8.0 * x)
        if abs(term) >= prev:
            break
        prev = abs(term)
        if k % 2 == 1:
            q += term * (-1) ** ((k - 1) // 2)
        else:
            p += term * (-1) ** (k // 2)
        best = (p, q)
        k += 1
    p, q = best
    chi = x - (n / 2.0 + 0.25) * math.pi
    scale = math.sqrt(2.0 / (math.pi * x))
    return scale * (p * math.cos(chi) - q * math.sin(chi)), scale * (
        p * math.sin(chi) + q * math.cos(chi)
    )


def _jn_pos(n: int, x: float) -> float:
    if n <= 1:
        return _j01(n, x)
    if n < x:
        # Upward recurrence is stable while the order stays below the argument.
        prev, cur = _j01(0, x), _j01(1, x)
        for k in range(1, n):
            prev, cur = cur, (2.0 * k / x) * cur - prev
        return cur
    return _jn_miller(n, x)


def _j01(n: int, x: float) -> float:
    if x > 25 + n * n:
        return _hankel(n, x)[0]
    panels = max(4, int((x + n) / 4) + 4)
    return _integrate(lambda t: math.cos(n * t - x * math.sin(t)), 0.0, math.pi, panels) / math.pi


def _jn_miller(n: int, x: float) -> float:
    """J_n(x) for n >= x by downward recurrence, normalised with J0 + 2(J2 + J4 + ...) = 1."""
    start = 2 * ((n + int(math.sqrt(60.0 * n)) + 10) // 2)
    nxt, cur = 0.0, 1e-300
    total, found = 0.0, 0.0
    for k in range(start, 0, -1):
        prev = (2.0 * k / x) * cur - nxt
        nxt, cur = cur, prev
        if k - 1 == n:
            found = cur
        if (k - 1) % 2 == 0 and k - 1 > 0:
            total += cur
        if abs(cur) > 1e250:  # rescale to stay in range
            nxt, cur, total, found = nxt * 1e-250, cur * 1e-250, total * 1e-250, found * 1e-250
    norm = cur + 2.0 * total  # cur is now the unnormalised J0
    return found / norm


def _y01(n: int, x: float) -> float:
    if x > 25 + n * n:
        return _hankel(n, x)[1]
    panels = max(4, int((x + n) / 4) + 4)
    first = _integrate(lambda t: math.sin(x * math.sin(t) - n * t), 0.0, math.pi, panels) / math.pi
    sign = -1.0 if n % 2 else 1.0
    # The second integrand decays like exp(-x sinh t): stop where it is negligible.
    upper = math.asinh((40.0 + n * 2) / x) + 1.0 if x > 0 else 50.0
    upper = min(upper, 60.0)

    def tail(t: float) -> float:
        e = -x * math.sinh(t)
        return math.exp(n * t + e) + sign * math.exp(-n * t + e)

    second = _integrate(tail, 0.0, upper, max(8, int(upper * 8))) / math.pi
    return first - second


def _yn_pos(n: int, x: float) -> float:
    if n <= 1:
        return _y01(n, x)
    # Upward recurrence is stable for the second kind.
    prev, cur = _y01(0, x), _y01(1, x)
    for k in range(1, n):
        prev, cur = cur, (2.0 * k / x) * cur - prev
        if math.isinf(cur):
            return cur
    return cur


def _positive_order(n: int) -> tuple[int, float]:
    """|n| and the sign a Bessel function of order n takes from it: (-1)^n for negative n."""
    if n < 0:
        return -n, -1.0 if n % 2 else 1.0
    return n, 1.0


def jn(n: int, x: float) -> float:
    """Bessel function of the first kind of integer order n."""
    if math.isnan(x):
        return x
    if math.isinf(x):
        return 0.0
    n, sign = _positive_order(n)
    if x < 0:
        x = -x
        if n % 2:
            sign = -sign
    if x == 0:
        return sign * (1.0 if n == 0 else 0.0)
    return sign * _jn_pos(n, x)


def yn(n: int, x: float) -> float:
    """Bessel function of the second kind of integer order n."""
    if math.isnan(x) or x < 0:
        return NAN
    if math.isinf(x):
        return 0.0
    n, sign = _positive_order(n)
    if x == 0:
        return -INF * sign
    return sign * _yn_pos(n, x)


register(FunctionSpec("j0", {(float,): float}, call=_make1("j0", lambda x: jn(0, x))))
register(FunctionSpec("j1", {(float,): float}, call=_make1("j1", lambda x: jn(1, x))))
register(FunctionSpec("y0", {(float,): float}, call=_make1("y0", lambda x: yn(0, x))))
register(FunctionSpec("y1", {(float,): float}, call=_make1("y1", lambda x: yn(1, x))))
register(FunctionSpec("jn", {(int, float): float}, call=_make_int_float("jn", jn)))
register(FunctionSpec("yn", {(int, float): float}, call=_make_int_float("yn", yn)))
