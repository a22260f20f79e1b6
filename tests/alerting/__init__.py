"""Tests of the alert service, topics and handler kinds."""
