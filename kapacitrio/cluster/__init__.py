"""Clustering on NATS JetStream: shared definitions, task placement, ingest and state handover."""
