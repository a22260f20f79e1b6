"""The OpenAPI document against the app's routes: no route missing, none invented (method + path)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect, Rule

from kapacitrio import logs
from kapacitrio.api.app import create_app
from kapacitrio.api.openapi import METHODS, document
from kapacitrio.config import load
from kapacitrio.services import Services
from kapacitrio.storage.db import open_store

_PARAM = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
_DOC_PARAM = re.compile(r"\{[^}]+\}")
SAMPLE = "p1"


@pytest.fixture
async def app(tmp_path):
    async with open_store(tmp_path / "k.db") as store:
        yield create_app(Services(config=load(None, env={}), store=store, logs=logs.HUB))


def _route_key(rule: Rule) -> str:
    """A rule's path with parameters as `{}` and no trailing slash (`strict_slashes` is off)."""
    return _PARAM.sub("{}", rule.rule).rstrip("/") or "/"


def _served(app: Any, rule: Rule) -> set[str]:
    """The methods a rule serves: the view's own list when it dispatches itself (kkok)."""
    view = app.view_functions[rule.endpoint]
    methods = getattr(view, "allowed_methods", None) or rule.methods or ()
    return {m for m in methods if m not in ("HEAD", "OPTIONS")}


def _app_routes(app: Any) -> dict[tuple[str, str], list[Rule]]:
    out: dict[tuple[str, str], list[Rule]] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in _served(app, rule):
            out.setdefault((_route_key(rule), method), []).append(rule)
    return out


def _doc_operations() -> list[tuple[str, str, dict[str, Any]]]:
    doc = document()
    return [
        (path, method, item[method])
        for path, item in doc["paths"].items()
        for method in METHODS
        if method in item
    ]


def _concrete(path: str) -> str:
    return _DOC_PARAM.sub(SAMPLE, path)


def _fits(app: Any, doc_path: str, rule: Rule) -> bool:
    """The document's template is the rule's, but for a `path` parameter spanning segments or a
    literal the view declares as one of a parameter's values (kkok's filter actions)."""
    doc_parts = doc_path.strip("/").split("/")
    rule_parts = rule.rule.strip("/").split("/")
    values = getattr(app.view_functions[rule.endpoint], "path_values", {})
    i = 0
    for n, part in enumerate(rule_parts):
        m = _PARAM.fullmatch(part)
        if m is None:
            if i >= len(doc_parts) or doc_parts[i] != part:
                return False
            i += 1
            continue
        converter, name = m.group(1), m.group(2)
        if converter == "path":
            rest = len(rule_parts) - n - 1
            span = len(doc_parts) - i - rest
            if span < 1 or not all(_DOC_PARAM.fullmatch(p) for p in doc_parts[i : i + span]):
                return False
            i += span
            continue
        if i >= len(doc_parts):
            return False
        doc_part = doc_parts[i]
        if not _DOC_PARAM.fullmatch(doc_part) and doc_part not in values.get(name, ()):
            return False
        i += 1
    return i == len(doc_parts)


def _match(app: Any, path: str, method: str, op: dict[str, Any]) -> Rule:
    adapter = app.url_map.bind("localhost")
    verb = "GET" if method == "head" else method.upper()
    rule, _ = adapter.match(
        _concrete(path), method=verb, return_rule=True, websocket=bool(op.get("x-websocket"))
    )
    return rule


async def test_every_documented_operation_is_a_route(app):
    invented = []
    for path, method, op in _doc_operations():
        try:
            rule = _match(app, path, method, op)
        except (NotFound, MethodNotAllowed, RequestRedirect) as exc:
            invented.append(f"{method.upper()} {path}: {type(exc).__name__}")
            continue
        served = _served(app, rule)
        if method != "head" and method.upper() not in served:
            invented.append(f"{method.upper()} {path}: {rule.rule} serves {sorted(served)}")
        elif method == "head" and "GET" not in served:
            invented.append(f"HEAD {path}: {rule.rule} has no GET")
        elif not _fits(app, path, rule):
            invented.append(f"{method.upper()} {path}: routed to {rule.rule}, another template")
    assert not invented, "documented but not served:\n" + "\n".join(invented)


async def test_every_route_is_documented(app):
    covered: set[tuple[str, str]] = set()
    for path, method, op in _doc_operations():
        if method == "head":
            continue
        try:
            rule = _match(app, path, method, op)
        except (NotFound, MethodNotAllowed, RequestRedirect):
            continue
        if _fits(app, path, rule):
            covered.add((_route_key(rule), method.upper()))
    missing = sorted(f"{m} {p}" for p, m in _app_routes(app) if (p, m) not in covered)
    assert not missing, "served but not documented:\n" + "\n".join(missing)


async def test_declared_path_values_are_each_documented(app):
    """A view that names its parameter's values (kkok's filter actions) has each one documented."""
    paths = set(document()["paths"])
    missing = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        for name, values in getattr(view, "path_values", {}).items():
            for value in values:
                want = _PARAM.sub(
                    lambda m, n=name, v=value: v if m.group(2) == n else "{x}", rule.rule
                )
                if not any(_DOC_PARAM.sub("{x}", p) == want for p in paths):
                    missing.append(want)
    assert not missing


def test_the_document_is_valid_openapi_3_1():
    import schemathesis

    schema = schemathesis.openapi.from_dict(document())
    schema.validate()  # against the OpenAPI 3.1 meta-schema
    operations = [op for op in schema.get_all_operations()]
    assert all(op.ok() for op in operations), [op.err() for op in operations if not op.ok()]
    ids = [op for _, _, op in _doc_operations()]
    assert len({o["operationId"] for o in ids}) == len(ids)
    assert len(operations) == len(ids) > 100


async def test_the_document_is_served_by_the_preview_api_only(app):
    client = app.test_client()
    resp = await client.get("/kapacitor/v1preview/openapi.json")
    assert resp.status_code == 200
    assert resp.mimetype == "application/json"
    assert await resp.get_json() == document()
    assert (await client.get("/kapacitor/v1/openapi.json")).status_code == 404
