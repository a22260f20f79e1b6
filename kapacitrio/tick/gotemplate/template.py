"""The public compiled Template object."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kapacitrio.tick.gotemplate.compiler import _Compiler
from kapacitrio.tick.gotemplate.errors import TemplateError
from kapacitrio.tick.gotemplate.execute import _Break, _Continue
from kapacitrio.tick.gotemplate.functions import BUILTINS


class Template:
    """A compiled template: `Template(text, html=False).render(data) -> str`.

    `data` is the value of `.` (usually a `GoStruct`, or a plain dict whose absent keys print
    `<no value>`). Parse errors raise `TemplateError` from the constructor; execution errors
    from `render`.
    """

    __slots__ = ("text", "html", "name", "_fn", "_const")

    def __init__(
        self,
        text: str,
        html: bool = False,
        name: str = "",
        funcs: dict[str, Callable[..., Any]] | None = None,
    ) -> None:
        self.text = text
        self.html = html
        self.name = name
        allfuncs = BUILTINS if not funcs else {**BUILTINS, **funcs}
        self._const: str | None = text if "{{" not in text else None
        self._fn = _Compiler(name, text, html, allfuncs).compile() if self._const is None else None

    def render(self, data: Any) -> str:
        """Execute the template with `.` and `$` bound to data."""
        if self._const is not None:
            return self._const
        out: list[str] = []
        assert self._fn is not None
        try:
            self._fn(data, [("$", data)], out)
        except (_Break, _Continue):
            pass
        except RecursionError:
            raise TemplateError(f"template: {self.name}: exceeded maximum template depth") from None
        return "".join(out)
