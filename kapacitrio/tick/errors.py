"""Errors of the TICKscript language: parsing, evaluating scripts and evaluating lambdas."""

from __future__ import annotations


class TickError(Exception):
    """Base of every language error; `str(err)` is the user-facing text, as Kapacitor words it."""


class ParseError(TickError):
    """The script or expression is not valid TICKscript syntax."""


class EvalError(TickError):
    """A lambda could not be evaluated for one point (the point is dropped, the task goes on)."""
