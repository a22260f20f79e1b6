"""kapacitrio: a Kapacitor-compatible stream and batch processing and alerting server on Trio."""

__version__ = "0.1.0"
