"""Alerting: topics, events, their state, and handler kinds."""
