"""Tests of the kkok router: alerts, filters, transports, routes."""
