"""The conformance case runner behind `kapacitrio test`: runs case files in-process and compares."""
