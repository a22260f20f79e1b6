"""Holt-Winters damped forecasting as InfluxQL computes it: grid of starts, Nelder-Mead on the SSE."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

_WEIGHT = 0.5  # share of the first value/slope used as the starting level/trend
_EPSILON = 1.0e-4
_GRID = (0.3, 0.3 + 0.4)  # starting guesses for alpha, beta, gamma and phi
_MAX_ITER = 1000


def _fsum_seq(values: Sequence[float]) -> float:
    """Plain left-to-right float addition (no compensated summation)."""
    total = 0.0
    for v in values:
        total += v
    return total


def _ipow(x: float, n: int) -> float:
    """x**n for n >= 0 by binary exponentiation, rounding like Go's math.Pow for integer powers."""
    if n == 0 or x == 1.0:
        return 1.0
    if n == 1:
        return x
    result, base = 1.0, x
    while n:
        if n & 1:
            result *= base
        base *= base
        n >>= 1
    return result


def nelder_mead(
    objective: Callable[[list[float]], float], start: Sequence[float], epsilon: float, scale: float
) -> tuple[float, list[float]]:
    """Minimise `objective` from `start` with a regular initial simplex; returns (min, point).

    The objective may change the vertex it is given (InfluxQL clamps parameters in place), and
    that changed vertex is what the simplex keeps.
    """
    n = len(start)
    root2 = math.sqrt(2)
    pn = scale * (math.sqrt(n + 1) - 1 + n) / (n * root2)
    qn = scale * (math.sqrt(n + 1) - 1) / (n * root2)
    verts = [list(start)]
    for i in range(n):
        verts.append([start[j] + (pn if j == i else qn) for j in range(n)])
    vals = [objective(v) for v in verts]
    for _ in range(_MAX_ITER):
        hi = lo = 0
        for i in range(n + 1):
            if vals[i] > vals[hi]:
                hi = i
            if vals[i] < vals[lo]:
                lo = i
        second = lo
        for i in range(n + 1):
            if vals[second] < vals[i] < vals[hi]:
                second = i
        centre = [_fsum_seq([verts[k][i] for k in range(n + 1) if k != hi]) / n for i in range(n)]
        refl = [centre[i] + (centre[i] - verts[hi][i]) for i in range(n)]
        f_refl = objective(refl)
        if vals[lo] <= f_refl < vals[second]:
            verts[hi], vals[hi] = list(refl), f_refl
        if f_refl < vals[lo]:
            expd = [centre[i] + 2.0 * (refl[i] - centre[i]) for i in range(n)]
            f_expd = objective(expd)
            if f_expd < f_refl:
                verts[hi], vals[hi] = expd, f_expd
            else:
                verts[hi], vals[hi] = list(refl), f_refl
        if f_refl >= vals[second]:
            if vals[second] <= f_refl < vals[hi]:
                con = [centre[i] + 0.5 * (refl[i] - centre[i]) for i in range(n)]
            else:
                con = [centre[i] - 0.5 * (centre[i] - verts[hi][i]) for i in range(n)]
            f_con = objective(con)
            if f_con < vals[hi]:
                verts[hi], vals[hi] = con, f_con
            else:
                for k in range(n + 1):
                    if k != lo:
                        verts[k] = [
                            verts[lo][i] + (verts[k][i] - verts[lo][i]) / 2.0 for i in range(n)
                        ]
                vals[hi] = objective(verts[hi])
                vals[second] = objective(verts[second])
        mean = _fsum_seq(vals) / (n + 1)
        spread = math.sqrt(_fsum_seq([(v - mean) * (v - mean) / n for v in vals]))
        if spread < epsilon:
            break
    lo = 0
    for i in range(n + 1):
        if vals[i] < vals[lo]:
            lo = i
    best = list(verts[lo])
    return objective(verts[lo]), best


class _Model:
    """The bucketed series and the recursive relations of the damped multiplicative model."""

    def __init__(self, y: list[float], m: int) -> None:
        self.y = y
        self.m = m
        self.seasonal = m >= 2
        self.observed = [i for i, v in enumerate(y) if not math.isnan(v)]

    def run(self, h: int, params: list[float]) -> list[float]:
        """One-step fits for the series and h forecasts; clamps params[0:4] to [0, 1] in place."""
        for i in range(4):
            params[i] = min(max(params[i], 0.0), 1.0)
        alpha, beta, gamma, phi = params[0], params[1], params[2], params[3]
        total = len(self.y) + h
        if self.seasonal:
            return self._run_seasonal(total, params, alpha, beta, gamma, phi)
        # Without seasons every s term is 1 (x / 1.0 and x * 1.0 are exactly x).
        y_t, level, trend = self.y[0], params[4], params[5]
        a1, b1 = 1 - alpha, 1 - beta
        ipow = _ipow
        phi_h = phi
        out = [y_t] * total
        for t in range(1, total):
            prev_level = level
            level = alpha * y_t + a1 * (prev_level + phi * trend)
            trend = beta * (level - prev_level) + b1 * phi * trend
            y_t = level + phi_h * trend
            phi_h += ipow(phi, t)
            out[t] = y_t
        return out

    def _run_seasonal(
        self, total: int, params: list[float], alpha: float, beta: float, gamma: float, phi: float
    ) -> list[float]:
        y_t, level, trend = self.y[0], params[4], params[5]
        seasons = params[6:]
        m = len(seasons)
        offset = m - 1
        a1, b1, g1 = 1 - alpha, 1 - beta, 1 - gamma
        ipow = _ipow
        phi_h = phi
        out = [y_t] * total
        for t in range(1, total):
            s_tm = seasons[(t - m + offset) % m]
            s_tmh = seasons[(t - m + t % m + offset) % m]
            prev_level = level
            damped = prev_level + phi * trend
            level = alpha * (y_t / s_tm) + a1 * damped
            s_t = gamma * (y_t / damped) + g1 * s_tm
            trend = beta * (level - prev_level) + b1 * phi * trend
            y_t = (level + phi_h * trend) * s_tmh
            phi_h += ipow(phi, t)
            seasons[(t + offset) % m] = s_t
            offset += 1
            out[t] = y_t
        params[6:] = seasons
        return out

    def sse(self, params: list[float]) -> float:
        fitted = self.run(0, params)
        total = 0.0
        isnan = math.isnan
        for i in self.observed:
            got = fitted[i]
            if isnan(got):
                return math.inf
            diff = got - self.y[i]
            total += diff * diff
        return total


def _round(t: int, interval: int) -> int:
    rem = t % interval
    if rem > interval // 2:
        return (t // interval + 1) * interval
    return (t // interval) * interval


def _bucket(series: Sequence[tuple[int, float]], interval: int) -> list[float] | None:
    start = _round(series[0][0], interval)
    stop = _round(series[-1][0], interval)
    if (stop - start) // interval <= 0:
        return None
    y = [series[0][1]]
    t = start
    for time, value in series[1:]:
        rounded = _round(time, interval)
        if rounded <= t:
            continue
        t += interval
        while rounded != t:
            y.append(math.nan)
            t += interval
        y.append(value)
    return y


def _starting_params(y: list[float], m: int, seasonal: bool) -> list[float]:
    if seasonal:
        level = _fsum_seq([(1.0 / m) * y[i] for i in range(m) if not math.isnan(y[i])])
        trend = 0.0
        for i in range(m):
            if m + i >= len(y):
                break
            if not math.isnan(y[i]) and not math.isnan(y[m + i]):
                trend += (1.0 / (m * m)) * (y[m + i] - y[i])
        seasons = [0.0 if math.isnan(y[i]) else y[i] / level for i in range(m)]
    else:
        level = _WEIGHT * y[0]
        trend = 0.0 if math.isnan(y[1]) else _WEIGHT * (y[1] - y[0])
        seasons = []
    return [0.0, 0.0, 0.0, 0.0, level, trend, *seasons]


def forecast(
    series: Sequence[tuple[int, float]], h: int, m: int, interval: int, with_fit: bool
) -> list[tuple[int, float]]:
    """Forecast `h` values `interval` apart after the series (and the fitted values with_fit)."""
    seasonal = m >= 2
    if len(series) < 2 or (seasonal and len(series) < m) or h <= 0 or interval <= 0:
        return []
    y = _bucket(series, interval)
    if y is None or (seasonal and len(y) < m):
        return []
    model = _Model(y, m)
    params = _starting_params(y, m, seasonal)
    best: list[float] | None = None
    best_sse = math.inf
    for alpha in _GRID:
        for beta in _GRID:
            for gamma in _GRID:
                for phi in _GRID:
                    params[0:4] = [alpha, beta, gamma, phi]
                    sse, found = nelder_mead(model.sse, params, _EPSILON, 1.0)
                    if sse < best_sse or best is None:
                        best_sse, best = sse, found
    assert best is not None
    values = model.run(h, best)
    if with_fit:
        start = series[0][0]
        pairs = [(start + interval * i, v) for i, v in enumerate(values)]
    else:
        stop = series[-1][0]
        pairs = [(stop + interval * (i + 1), v) for i, v in enumerate(values[len(y) :])]
    return [(t, v) for t, v in pairs if not math.isnan(v)]
