"""The HTTP API: a Quart-Trio app with one blueprint module per area."""
