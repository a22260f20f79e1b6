"""The app's JSON provider: API responses carry numbers as Go's encoding/json writes them."""

from __future__ import annotations

from typing import Any

from quart.json.provider import DefaultJSONProvider

from kapacitrio.models import gonumbers


class GoJSONProvider(DefaultJSONProvider):
    """`jsonify` with Go's number text (`979`, not `979.0`); keys keep their order."""

    sort_keys = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs.setdefault("default", self.default)
        kwargs.setdefault("ensure_ascii", self.ensure_ascii)
        kwargs.setdefault("sort_keys", self.sort_keys)
        return gonumbers.dumps(obj, **kwargs)
