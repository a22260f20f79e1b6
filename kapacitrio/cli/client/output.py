"""Output formatting: Kapacitor-style column tables (rendered with rich) and `Key: value` blocks."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from kapacitrio.tick.values import go_float, go_quote

#: Tables never wrap or shrink a cell (one row per line, as Kapacitor prints; terminals wrap).
_WIDE = 100_000


def console() -> Console:
    """A console on the current stdout: styled only on a terminal, no markup read from data."""
    return Console(
        file=sys.stdout,
        width=_WIDE,
        markup=False,
        highlight=False,
        emoji=False,
        soft_wrap=True,
    )


def table(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], numeric: Sequence[str] = ()
) -> None:
    """Print rows under headers in aligned columns, the way Kapacitor lists things.

    Columns named in `numeric` are right-aligned.
    """
    grid = Table(box=None, pad_edge=False, header_style="bold")
    for header in headers:
        align = "right" if header in numeric else "left"
        grid.add_column(header, no_wrap=True, justify=align)
    for row in rows:
        grid.add_row(*(Text(cell_text(v)) for v in row))
    con = console()
    with con.capture() as captured:
        con.print(grid, crop=False)
    for line in captured.get().splitlines():
        sys.stdout.write(line.rstrip() + "\n")


def cell_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def fields(pairs: Iterable[tuple[str, Any]]) -> None:
    """Print `Key: value` lines."""
    for key, value in pairs:
        print(f"{key}: {cell_text(value)}")


def dbrps_text(dbrps: Sequence[dict[str, Any]] | None) -> str:
    """Databases and retention policies as Kapacitor prints them: `["db"."rp" "db2"."rp2"]`."""
    inner = " ".join(
        f"{go_quote(str(d.get('db', '')))}.{go_quote(str(d.get('rp', '')))}" for d in dbrps or ()
    )
    return f"[{inner}]"


#: What Go prints for its zero time in RFC 822 form (a task never enabled).
ZERO_TIME = "01 Jan 01 00:00 UTC"


def when(stamp: str | None, local: bool = False) -> str:
    """An API timestamp as Kapacitor's client prints it (Go's RFC 822 layout, `02 Jan 06 15:04 UTC`).

    A missing or zero time is Go's zero time; `local` shows it in this machine's zone, as the client
    does for recordings, replays and topic events.
    """
    if not stamp:
        return ZERO_TIME
    try:
        parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    if parsed.year <= 1:
        return ZERO_TIME
    if local:
        parsed = parsed.astimezone()
    return parsed.strftime("%d %b %y %H:%M ") + _zone(parsed)


def _zone(moment: datetime) -> str:
    """Go's `MST` field: the zone's abbreviation, else its offset as `+0100`."""
    name = moment.tzname() or ""
    offset = moment.utcoffset()
    if name in ("UTC", "UTC+00:00") or (name.startswith("UTC") and offset == timedelta(0)):
        return "UTC"
    if name and not name.startswith("UTC"):
        return name
    return moment.strftime("%z")


def pad(value: Any, width: int) -> str:
    """Go's `%-Nv`: the value's text, left-aligned and padded with spaces to `width` characters."""
    text = cell_text(value)
    return text + " " * max(0, width - len(text))


def rpad(value: Any, width: int) -> str:
    """Go's `%Nv`: right-aligned to `width` characters."""
    text = cell_text(value)
    return " " * max(0, width - len(text)) + text


def width_of(values: Iterable[Any], least: int) -> int:
    """The widest value's length in bytes (as Go's `len`), at least `least`, plus one space."""
    widest = least
    for value in values:
        widest = max(widest, len(cell_text(value).encode("utf-8")))
    return widest + 1


def go_value(value: Any) -> str:
    """A decoded JSON value as Go's `%v` prints it (floats in `%g` form, `1e+06`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return go_float(value)
    if value is None:
        return "<nil>"
    return str(value)


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
