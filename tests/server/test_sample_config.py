"""`config/kapacitrio.toml` documents every registered config section and every key in them."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

import pytest

from kapacitrio.config import load, sections

SAMPLE = Path(__file__).resolve().parents[2] / "config" / "kapacitrio.toml"


@pytest.fixture(scope="module")
def registered():
    from kapacitrio.alerting.handlers import load_all
    from kapacitrio.services import plugin_modules

    plugin_modules()  # their config sections register on import
    load_all()  # every alert handler kind registers its service section
    return {name: info for name, info in sections().items() if not name.startswith("test")}


def _key(field_name: str) -> str:
    return field_name.rstrip("_").replace("_", "-")


_EXAMPLE = re.compile(r"^(\s*)#\s+(\[.*\]|[A-Za-z0-9_.-]+ = .*)$")


def _uncommented(text: str) -> str:
    """The file with its commented-out examples (`# key = value`, `# [table]`) made real."""
    return "\n".join(_EXAMPLE.sub(r"\1\2", line) for line in text.splitlines())


def test_every_section_and_key_is_in_the_sample(registered):
    text = SAMPLE.read_text()
    missing = []
    for name, info in sorted(registered.items()):
        header = f"[[{name}]]" if info.many else f"[{name}]"
        if not re.search(rf"^\s*(# )?{re.escape(header)}\s*$", text, re.M):
            missing.append(header)
            continue
        for f in dataclasses.fields(info.cls):
            key = _key(f.name)
            if not re.search(rf"(^|[\s.\[]){re.escape(key)}\b", text, re.M):
                missing.append(f"{header} {key}")
    assert missing == []


def test_single_sections_are_active_with_their_defaults(registered):
    doc = tomllib.loads(SAMPLE.read_text())
    cfg = load(SAMPLE, env={})
    assert cfg.warnings == []
    for name, info in registered.items():
        if info.many:
            continue
        assert name in doc, f"[{name}] is not an active table"
        assert cfg.get(name) == info.cls(), f"[{name}] in the sample differs from the defaults"


def test_commented_examples_are_valid(registered, tmp_path):
    """Uncommenting the examples gives a file the server accepts (kkok's tables included)."""
    text = _uncommented(SAMPLE.read_text())
    doc = tomllib.loads(text)
    kkok = doc["kkok"]
    assert kkok["filters"] and kkok["routes"] and kkok["sources"]
    for name, info in registered.items():
        if info.many:
            assert isinstance(doc.get(name), list), f"no [[{name}]] example"
    tmp = tmp_path / "uncommented.toml"
    tmp.write_text(text)
    cfg = load(tmp, env={})
    assert cfg.warnings == []
    assert [f["id"] for f in cfg.get("kkok").filters]
    from kapacitrio.kkok.service import build_router

    build_router(cfg.get("kkok"), store=None)  # the static filters and routes are accepted
