"""Reading definition files for the client: dbrp flags, vars files and JSON/YAML documents."""

from __future__ import annotations

import json
from typing import Any

import yaml

from kapacitrio.cli.client.http import ClientError, read_text


def parse_dbrp(text: str) -> dict[str, str]:
    """`db.rp` or `"db"."rp"` as the API's `{"db": ..., "rp": ...}`."""
    value = text.strip()
    if value.startswith('"'):
        end = value.find('"', 1)
        db, rest = value[1:end], value[end + 1 :] if end > 0 else ""
        if end < 0 or not rest.startswith("."):
            raise ClientError(f"invalid dbrp {text!r}: expected db.rp")
        rp = rest[1:].strip('"')
    else:
        db, sep, rp = value.partition(".")
        if not sep:
            raise ClientError(f"invalid dbrp {text!r}: expected db.rp")
    if not db or not rp:
        raise ClientError(f"invalid dbrp {text!r}: expected db.rp")
    return {"db": db, "rp": rp}


def load_document(path: str) -> Any:
    """A JSON or YAML file's contents (YAML when the name ends .yaml/.yml, else JSON then YAML)."""
    text = read_text(path)
    if path.lower().endswith((".yaml", ".yml")):
        return _yaml(path, text)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        if path.lower().endswith(".json"):
            raise ClientError(f"invalid JSON in {path}: {exc}") from None
        return _yaml(path, text)


def _yaml(path: str, text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        detail = " ".join(str(exc).split())
        raise ClientError(f"invalid YAML in {path}: {detail}") from None


def load_mapping(path: str, what: str) -> dict[str, Any]:
    """A JSON/YAML file that must hold an object."""
    doc = load_document(path)
    if not isinstance(doc, dict):
        raise ClientError(f"invalid {what} file {path}: expected an object")
    return doc


def load_vars(path: str) -> dict[str, Any]:
    """A `-vars` file: a JSON or YAML map of vars (`{"name": {"type": ..., "value": ...}}`), or
    the same map wrapped as `{"vars": {...}}`, as Kapacitor's client accepts both."""
    doc = load_mapping(path, "vars")
    inner = doc.get("vars")
    if len(doc) == 1 and isinstance(inner, dict) and "type" not in inner:
        return inner
    return doc
