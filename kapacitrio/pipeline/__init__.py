"""Typed pipeline specs built from a TICKscript's syntax tree (no runtime code)."""
