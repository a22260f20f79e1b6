"""Helpers for tests and benchmarks that need real processes beside kapacitrio (not used at run time)."""
