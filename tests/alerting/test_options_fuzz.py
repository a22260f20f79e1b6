"""Every handler kind rejects malformed options with HandlerOptionError, never another exception."""

from __future__ import annotations

import pytest

from kapacitrio.alerting import handlers as registry
from kapacitrio.alerting.handlers.base import HandlerEnv, HandlerOptionError
from kapacitrio.alerting.servicetests import TESTS

registry.load_all()
KEYS = sorted(
    {k for defaults, _ in TESTS.values() for k in defaults}
    | {"url", "path", "mode", "address", "prog", "args", "topics", "id", "interval", "topic",
       "message", "to", "to-templates", "headers", "endpoint", "timeout", "links", "data",
       "trap-oid", "capture-response", "skip-ssl-verification", "attributes", "metadata",
       "additional-info", "custom-fields", "tid", "service", "correlate", "recovery-action"}
)  # fmt: skip
BAD = [5, -1, 1.5, [1], [[1]], {"x": [1]}, None, True, "", "zz", [{"href": 1}], [{"oid": 1}]]


@pytest.mark.parametrize("kind", sorted(k for k in registry.KINDS if k != "kkok"))
def test_malformed_options_are_option_errors(kind):
    env = HandlerEnv()
    for key in KEYS:
        for bad in BAD:
            try:
                registry.build(kind, {key: bad}, env)
            except HandlerOptionError:
                pass
