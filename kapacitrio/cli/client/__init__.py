"""Client sub-commands that talk to a running server over its Kapacitor-compatible HTTP API."""
