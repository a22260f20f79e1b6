"""InfluxDB line protocol: parse a write body into points, with a cheap measurement-only peek."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from itertools import groupby, repeat
from typing import Any

from kapacitrio.models.chunk import PointChunk
from kapacitrio.models.point import FieldValue, Point

#: Nanoseconds per unit of each precision InfluxDB's write endpoint accepts.
PRECISIONS: dict[str, int] = {
    "": 1,
    "n": 1,
    "ns": 1,
    "u": 1_000,
    "us": 1_000,
    "µ": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}

_BOOLS = {
    "t": True,
    "T": True,
    "true": True,
    "True": True,
    "TRUE": True,
    "f": False,
    "F": False,
    "false": False,
    "False": False,
    "FALSE": False,
}
_FLOAT = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_INT = re.compile(r"[-+]?[0-9]+")
_UINT = re.compile(r"\+?[0-9]+")
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1
_UINT_MAX = 2**64 - 1
_KEY_UNESCAPE = re.compile(r"\\([, =])")
_MEAS_UNESCAPE = re.compile(r"\\([, ])")


class LineProtocolError(ValueError):
    """A write body holds a line that is not valid line protocol; the message names the line."""


class _Bad(Exception):
    """Internal: the reason one line is invalid."""


#: Longer than any int64/uint64 in decimal, with room for a sign and leading zeros.
_LONG_INT = 40


def _to_int(text: str) -> int:
    """`int(text)`, but a number too long for any field or timestamp is simply out of range.

    Python refuses to convert strings of more than 4300 digits (a ValueError nobody expects), and
    converting huge ones costs quadratic time; such a value can only be out of range anyway.
    """
    if len(text) > _LONG_INT and len(text.lstrip("+-").lstrip("0")) > _LONG_INT:
        return _INT_MIN * 4 if text.startswith("-") else _UINT_MAX * 4
    return int(text)


def precision_multiplier(precision: str) -> int:
    """Nanoseconds per timestamp unit; raises `LineProtocolError` for an unknown precision."""
    try:
        return PRECISIONS[precision]
    except KeyError:
        raise LineProtocolError(f"invalid precision {precision!r}") from None


def iter_lines(body: bytes | str) -> Iterator[str]:
    """The non-blank, non-comment lines of a body, without line endings."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    for raw in text.split("\n"):
        line = raw.strip()
        if line and line[0] != "#":
            yield line


def measurement_of(line: str) -> str:
    """The (unescaped) measurement name of a line, reading nothing past it."""
    end = len(line)
    i = line.find(",")
    j = line.find(" ")
    if i != -1 and i < end:
        end = i
    if j != -1 and j < end:
        end = j
    if "\\" not in line[: end + 1]:
        return line[:end]
    out = []
    k = 0
    n = len(line)
    while k < n:
        c = line[k]
        if c == "\\" and k + 1 < n:
            out.append(line[k : k + 2])
            k += 2
            continue
        if c in ", ":
            break
        out.append(c)
        k += 1
    return _MEAS_UNESCAPE.sub(r"\1", "".join(out))


def parse_lines(
    body: bytes | str, precision: str = "n", now_ns: int = 0, db: str = "", rp: str = ""
) -> list[Point]:
    """Parse a whole body; any bad line rejects it all with a `LineProtocolError` naming that line."""
    mult = precision_multiplier(precision)
    default_time = now_ns - now_ns % mult
    return [parse_line(line, mult, default_time, db, rp) for line in iter_lines(body)]


def parse_line(
    line: str, mult: int = 1, default_time: int = 0, db: str = "", rp: str = ""
) -> Point:
    """Parse one line (already stripped); raises `LineProtocolError` naming it."""
    if "\\" not in line and '"' not in line:
        p = _parse_plain(line, mult, default_time, db, rp)
        if p is not None:
            return p
    return _parse_careful(line, mult, default_time, db, rp)


def _parse_careful(
    line: str, mult: int = 1, default_time: int = 0, db: str = "", rp: str = ""
) -> Point:
    """The character-level parser every fast path must agree with (and which words the errors)."""
    try:
        key, fields_text, ts = _sections_slow(line)
        name, tags = _parse_key(key)
        fields = _parse_fields(fields_text)
        time = _parse_time(ts, mult) if ts else default_time
    except _Bad as exc:
        raise LineProtocolError(f"unable to parse '{line}': {exc}") from None
    return Point(name, tags, fields, time, db, rp)


_NUM_START = frozenset("0123456789.-+")
_INF = float("inf")


def _parse_plain(line: str, mult: int, default_time: int, db: str, rp: str) -> Point | None:
    """The fast path for lines without escapes or strings; None sends the line to the full parser."""
    parts = line.split(" ")
    if len(parts) == 3:
        key, ftext, ts = parts
    elif len(parts) == 2:
        key, ftext = parts
        ts = ""
    else:
        return None
    kparts = key.split(",")
    name = kparts[0]
    if not name:
        return None
    tags: dict[str, str] = {}
    for i in range(1, len(kparts)):
        k, _, v = kparts[i].partition("=")
        if not k or not v or "=" in v:
            return None
        tags[k] = v
    fields: dict[str, FieldValue] = {}
    for kv in ftext.split(","):
        k, _, v = kv.partition("=")
        if not k or not v or "_" in v:
            return None
        last = v[-1]
        try:
            if last == "i" or last == "u":
                num = _to_int(v[:-1])
                if not v.isascii() or num > _INT_MAX or num < (0 if last == "u" else _INT_MIN):
                    return None
                fields[k] = num
            elif v[0] in _NUM_START:
                f = float(v)
                if f == _INF or f == -_INF or not v.isascii():
                    return None
                fields[k] = f
            else:
                b = _BOOLS.get(v)
                if b is None:
                    return None
                fields[k] = b
        except ValueError:
            return None
    if ts:
        if "_" in ts or not ts.isascii():
            return None
        try:
            t = _to_int(ts) * mult
        except ValueError:
            return None
        if t > _INT_MAX or t < _INT_MIN:
            return None
    else:
        t = default_time
    return Point(name, tags, fields, t, db, rp)


def _sections_slow(line: str) -> tuple[str, str, str]:
    """Split a line at unescaped, unquoted spaces into key, fields and timestamp sections."""
    sections: list[str] = []
    start = 0
    i = 0
    n = len(line)
    in_quote = False
    in_fields = False
    while i < n:
        c = line[i]
        if c == "\\" and i + 1 < n:
            i += 2
            continue
        if c == '"' and in_fields:
            in_quote = not in_quote
        elif c == " " and not in_quote:
            if i > start:
                sections.append(line[start:i])
                in_fields = len(sections) == 1
            start = i + 1
        i += 1
    if in_quote:
        raise _Bad("unbalanced quotes")
    if start < n:
        sections.append(line[start:])
    if not sections or not sections[0]:
        raise _Bad("missing measurement")
    if len(sections) == 1:
        raise _Bad("missing fields")
    if len(sections) > 3:
        raise _Bad("invalid timestamp" if len(sections) == 4 else "invalid field format")
    return sections[0], sections[1], sections[2] if len(sections) == 3 else ""


def _split_unescaped(text: str, sep: str, quotes: bool = False) -> list[str]:
    """Split at `sep` when not escaped (and not inside double quotes when `quotes`)."""
    if "\\" not in text and (not quotes or '"' not in text):
        return text.split(sep)
    parts: list[str] = []
    start = 0
    i = 0
    n = len(text)
    in_quote = False
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n:
            i += 2
            continue
        if quotes and c == '"':
            in_quote = not in_quote
        elif c == sep and not in_quote:
            parts.append(text[start:i])
            start = i + 1
        i += 1
    parts.append(text[start:])
    return parts


def _parse_key(key: str) -> tuple[str, dict[str, str]]:
    parts = _split_unescaped(key, ",")
    name = parts[0]
    if not name:
        raise _Bad("missing measurement")
    if "\\" in name:
        name = _MEAS_UNESCAPE.sub(r"\1", name)
    tags: dict[str, str] = {}
    for kv in parts[1:]:
        k, v = _split_pair(kv, "tag")
        tags[k] = v
    return name, tags


def _split_pair(kv: str, what: str) -> tuple[str, str]:
    """`k=v` at the first unescaped `=`, both unescaped; errors as InfluxDB words them."""
    if "\\" not in kv:
        k, eq, v = kv.partition("=")
    else:
        pieces = _split_unescaped(kv, "=")
        k, eq, v = pieces[0], "=" if len(pieces) > 1 else "", "=".join(pieces[1:])
    if not eq:
        raise _Bad(f"missing {what} value" if k else f"missing {what} key")
    if not k:
        raise _Bad(f"missing {what} key")
    if what == "tag":
        if not v:
            raise _Bad("missing tag value")
        if "\\" not in v and "=" in v:
            raise _Bad("invalid tag format")
        if "\\" in v:
            v = _KEY_UNESCAPE.sub(r"\1", v)
    if "\\" in k:
        k = _KEY_UNESCAPE.sub(r"\1", k)
    return k, v


def _parse_fields(text: str) -> dict[str, FieldValue]:
    fields: dict[str, FieldValue] = {}
    for kv in _split_unescaped(text, ",", quotes=True):
        if not kv:
            raise _Bad("missing field key" if fields else "missing fields")
        k, v = _split_pair(kv, "field")
        fields[k] = _field_value(v)
    return fields


def _field_value(v: str) -> FieldValue:
    if not v:
        raise _Bad("missing field value")
    c = v[0]
    if c == '"':
        if len(v) < 2 or v[-1] != '"':
            raise _Bad("unbalanced quotes")
        inner = v[1:-1]
        if "\\" in inner:
            inner = inner.replace('\\"', '"').replace("\\\\", "\\")
        return inner
    last = v[-1]
    if last == "i":
        if not _INT.fullmatch(v, 0, len(v) - 1):
            raise _Bad("invalid number")
        n = _to_int(v[:-1])
        if n < _INT_MIN or n > _INT_MAX:
            raise _Bad(
                f'unable to parse integer {v[:-1]}: strconv.ParseInt: parsing "{v[:-1]}": value out of range'
            )
        return n
    if last == "u":
        if not _UINT.fullmatch(v, 0, len(v) - 1):
            raise _Bad("invalid number")
        n = _to_int(v[:-1])
        if n > _UINT_MAX:
            raise _Bad(
                f'unable to parse unsigned {v[:-1]}: strconv.ParseUint: parsing "{v[:-1]}": value out of range'
            )
        return n
    b = _BOOLS.get(v)
    if b is not None:
        return b
    if c.isalpha():
        raise _Bad("invalid boolean")
    if not _FLOAT.fullmatch(v):
        raise _Bad("invalid number")
    f = float(v)
    if f in (float("inf"), float("-inf")):
        raise _Bad(f"unable to parse floating point number {v}: value out of range")
    return f


def _parse_time(ts: str, mult: int) -> int:
    if not _INT.fullmatch(ts):
        raise _Bad("bad timestamp")
    t = _to_int(ts) * mult
    if t < _INT_MIN or t > _INT_MAX:
        raise _Bad("time outside range")
    return t


def validate_line(line: str, mult: int = 1) -> None:
    """Check one line without keeping a point; raises `LineProtocolError` like `parse_line`."""
    m = _ONE_LINE.fullmatch(line)
    if m is None or (m.group(7) and not _INT_MIN <= _to_int(m.group(7)) * mult <= _INT_MAX):
        parse_line(line, mult)


# -- whole-body fast path: one regex validates and splits every common line in C.
# A line without escapes, quotes or odd leading characters, whose values the regex fully checks:
# at most 18 (int) / 19 (uint) digits, floats that cannot overflow. Anything else (including blank
# and comment lines) falls back to the per-line parser, so results and error texts never differ.
# The regex may only ever reject more than the careful parser, never accept more.
_P_NAME = r'[^\s,\\"#][^ \n,\\"]*+'
_P_KEY = r'[^ \n,=\\"]++'
_P_EXP = r"(?:[eE][-+]?[0-9]{1,2})?"
_P_FLOAT = rf"(?:[0-9]{{1,200}}(?:\.[0-9]*)?{_P_EXP}|\.[0-9]+{_P_EXP})"
_P_VAL = (
    rf"(?>-(?:[0-9]{{1,18}}i|{_P_FLOAT})|\+?(?:[0-9]{{1,18}}[iu]|[0-9]{{19}}u|{_P_FLOAT})"
    r"|true|True|TRUE|false|False|FALSE|[tTfF])"
)
_P_FIELD = rf"{_P_KEY}={_P_VAL}"
# The first field is split further: its key, then its value as a float or as anything else.
_P_OTHER = (
    r"(?>-[0-9]{1,18}i|\+?(?:[0-9]{1,18}[iu]|[0-9]{19}u)"
    r"|true|True|TRUE|false|False|FALSE|[tTfF])"
)
_P_LINE = (
    rf"({_P_NAME})((?:,{_P_KEY}={_P_KEY})*+) ({_P_KEY})="
    rf"(?:([-+]?{_P_FLOAT})(?![^ ,\n])|({_P_OTHER}))((?:,{_P_FIELD})*+)"
    r"(?: ([-+]?[0-9]{1,19}))?"
)
_BODY_LINES = re.compile(rf"^{_P_LINE}$", re.M)
_ONE_LINE = re.compile(_P_LINE)
_DIGIT_OR_DOT = frozenset("0123456789.")

#: (name, ",tags", first field key, its float text, its other text, ",more=fields", timestamp)
Groups = tuple[str, str, str, str, str, str, str]


def _plain_value(v: str) -> FieldValue:
    """A value the fast regex accepted."""
    last = v[-1]
    if last in _DIGIT_OR_DOT:
        return float(v)
    if last == "i" or last == "u":
        return int(v[:-1])
    return _BOOLS[v]


def _plain_fields(fkey: str, ffloat: str, fother: str, rest: str) -> dict[str, FieldValue]:
    """Fields of a line the fast regex accepted: every value is known to be valid."""
    fields: dict[str, FieldValue] = {fkey: float(ffloat) if ffloat else _plain_value(fother)}
    if rest:
        for kv in rest[1:].split(","):
            k, _, v = kv.partition("=")
            fields[k] = _plain_value(v)
    return fields


def _tag_dict(tagtext: str) -> dict[str, str]:
    return dict(kv.split("=") for kv in tagtext[1:].split(",")) if tagtext else {}


def _scan(text: str) -> list[Groups] | None:
    """The regex groups of every line when all are plain; None otherwise."""
    found = _BODY_LINES.findall(text)
    n = text.count("\n") + (0 if text.endswith("\n") else 1)
    return found if len(found) == n else None


def _lines_slow(text: str) -> list[Groups | str]:
    """Each line as regex groups when plain, else as the stripped line itself."""
    out: list[Groups | str] = []
    for line in iter_lines(text):
        m = _ONE_LINE.fullmatch(line)
        out.append(m.groups("") if m is not None else line)  # type: ignore[arg-type]
    return out


class _Runs:
    """Routed points as runs of consecutive points sharing one targets object."""

    __slots__ = ("runs", "targets", "cur")

    def __init__(self) -> None:
        self.runs: list[tuple[Any, list[Point]]] = []
        self.targets: Any = None
        self.cur: list[Point] = PointChunk()

    def start(self, targets: Any) -> list[Point]:
        self.cur = PointChunk()
        self.targets = targets
        self.runs.append((targets, self.cur))
        return self.cur


def parse_routed(
    body: bytes | str,
    mult: int,
    default_time: int,
    db: str,
    rp: str,
    by_name: dict[str, Any],
    default: Any,
) -> list[tuple[Any, list[Point]]]:
    """Validate a whole body, then build the points whose measurement has truthy targets.

    Targets are `by_name.get(name, default)`. Returns runs of consecutive routed points that share
    one targets object, in body order: `[(targets, points), ...]`, each `points` a `PointChunk`.
    Raises `LineProtocolError` (for the first bad line) before anything is returned.
    """
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    found = _scan(text)
    if found is None:
        return _route_mixed(_lines_slow(text), mult, default_time, db, rp, by_name, default)
    runs = _route_columns(found, mult, db, rp, by_name, default)
    if runs is None:  # line by line
        routed = _Runs()
        _add_plain(routed, found, mult, default_time, db, rp, by_name, default, {})
        runs = routed.runs
    return runs


def _time_check(mult: int) -> tuple[int, int, int]:
    """(lowest, highest timestamp, longest always-valid digit count) for a precision."""
    tmin, tmax = -(-_INT_MIN // mult), _INT_MAX // mult
    return tmin, tmax, len(str(tmax)) - 1


def _route_columns(
    found: list[Groups], mult: int, db: str, rp: str, by_name: dict[str, Any], default: Any
) -> list[tuple[Any, list[Point]]] | None:
    """The common body, a column at a time: every line timestamped and routed to the same tasks.

    None when the body is not like that (`_add_plain` then takes it line by line).
    """
    names, tagtexts, fkeys, ffloats, fothers, rests, stamps = zip(*found, strict=True)
    wanted = {id(t): t for t in (by_name.get(name, default) for name in set(names))}
    if len(wanted) != 1:
        return None
    [targets] = wanted.values()
    tmin, tmax, _ = _time_check(mult)
    if not targets:  # nothing wanted: only the timestamps are left to check
        ints = [int(ts) for ts in stamps if ts]
        return [] if not ints or (min(ints) >= tmin and max(ints) <= tmax) else None
    if "" in stamps:
        return None
    ints = list(map(int, stamps))
    if min(ints) < tmin or max(ints) > tmax:
        return None
    times = ints if mult == 1 else [t * mult for t in ints]
    n = len(found)
    if fothers.count("") == n and rests.count("") == n:  # one float field per line
        fields = [{k: v} for k, v in zip(fkeys, map(float, ffloats), strict=True)]
    else:
        fields = list(map(_plain_fields, fkeys, ffloats, fothers, rests))
    tag_dicts = {tt: _tag_dict(tt) for tt in set(tagtexts)}  # equal tags share one dict
    tags = map(tag_dicts.__getitem__, tagtexts)
    points = PointChunk(map(Point, names, tags, fields, times, repeat(db, n), repeat(rp, n)))
    return [(targets, points)]


def _add_plain(
    runs: _Runs,
    found: Iterable[Groups],
    mult: int,
    default_time: int,
    db: str,
    rp: str,
    by_name: dict[str, Any],
    default: Any,
    tag_cache: dict[str, dict[str, str]],
) -> None:
    """Route lines the fast regex accepted onto `runs`; equal tags share one dict via `tag_cache`."""
    cur = runs.cur
    cur_targets = runs.targets
    tmin, tmax, safe_len = _time_check(mult)
    get = by_name.get
    tags: dict[str, str]
    for g in found:
        name, tagtext, fkey, ffloat, fother, rest, ts = g
        targets = get(name, default)
        if ts:
            if len(ts) > safe_len:
                t = _to_int(ts)
                if t > tmax or t < tmin:
                    parse_line(_join(g), mult)  # raises its error
            if not targets:
                continue
            t = _to_int(ts) * mult
        elif not targets:
            continue
        else:
            t = default_time
        tags = tag_cache.get(tagtext)  # type: ignore[assignment]
        if tags is None:
            tags = tag_cache[tagtext] = _tag_dict(tagtext)
        if targets is not cur_targets:
            cur = runs.start(targets)
            cur_targets = targets
        cur.append(Point(name, tags, _plain_fields(fkey, ffloat, fother, rest), t, db, rp))


def _is_text(item: Groups | str) -> bool:
    return type(item) is str


def _route_mixed(
    items: list[Groups | str],
    mult: int,
    default_time: int,
    db: str,
    rp: str,
    by_name: dict[str, Any],
    default: Any,
) -> list[tuple[Any, list[Point]]]:
    """`parse_routed` line by line: plain lines as regex groups, others as text."""
    runs = _Runs()
    tag_cache: dict[str, dict[str, str]] = {}
    for is_text, group in groupby(items, _is_text):
        if not is_text:  # a stretch of plain lines
            plain: Iterator[Groups] = group  # type: ignore[assignment]
            _add_plain(runs, plain, mult, default_time, db, rp, by_name, default, tag_cache)
            continue
        for line in group:  # lines for the careful parser
            targets = by_name.get(measurement_of(line), default)  # type: ignore[arg-type]
            p = parse_line(line, mult, default_time, db, rp)  # type: ignore[arg-type]
            if targets:
                if targets is not runs.targets:
                    runs.start(targets)
                runs.cur.append(p)
    return runs.runs


def _join(g: Groups) -> str:
    """The text of a line from its regex groups."""
    name, tags, fkey, ffloat, fother, rest, ts = g
    line = f"{name}{tags} {fkey}={ffloat or fother}{rest}"
    return f"{line} {ts}" if ts else line
