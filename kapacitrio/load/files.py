"""Reading the load directory: which files define what, and their contents as API options.

A task's and a template's id is its file name without the extension. Task vars files
(`tasks/*.json`, `*.yaml`, `*.yml`) make a task from a template: `template-id`, `dbrps` and
`vars`, as in Kapacitor. Handler files (`handlers/*.yaml|yml|json`) hold a topic handler with
its `topic`, `id`, `kind`, `match` and `options`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

TICK = (".tick",)
DATA = (".json", ".yaml", ".yml")


class LoadFileError(ValueError):
    """A load file that cannot be read or does not say what it must."""


@dataclass(frozen=True)
class LoadFiles:
    """The files found in a load directory, each list sorted by name."""

    templates: list[Path]
    tasks: list[Path]
    task_vars: list[Path]
    handlers: list[Path]


def _files(directory: Path, suffixes: tuple[str, ...]) -> list[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.is_file() and p.suffix in suffixes)


def find_files(root: Path) -> LoadFiles:
    """List the definition files under `root` (missing subdirectories hold nothing)."""
    return LoadFiles(
        templates=_files(root / "templates", TICK),
        tasks=_files(root / "tasks", TICK),
        task_vars=_files(root / "tasks", DATA),
        handlers=_files(root / "handlers", DATA),
    )


def file_id(path: Path) -> str:
    """The id a file defines: its name without the extension."""
    return path.stem


def read_text(path: Path) -> str:
    """A file's text, or `LoadFileError` saying why it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LoadFileError(f"failed to read file {path}: {exc}") from None


def read_data(path: Path) -> dict[str, Any]:
    """A YAML or JSON file's top-level object."""
    text = read_text(path)
    try:
        if path.suffix == ".json":
            data = json.loads(text)
        else:
            data = yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        kind = "json" if path.suffix == ".json" else "yaml"
        raise LoadFileError(f"failed to unmarshal {kind} file {str(path)!r}: {exc}") from None
    if not isinstance(data, dict):
        raise LoadFileError(f"file {str(path)!r} must hold an object")
    return data


def task_vars_options(path: Path) -> dict[str, Any]:
    """The create-task options of a task vars file (its id is the file name)."""
    data = read_data(path)
    template_id = data.get("template-id", data.get("template_id", ""))
    if not isinstance(template_id, str) or not template_id:
        raise LoadFileError(f"task vars file {str(path)!r} must name a template-id")
    opts: dict[str, Any] = {"id": file_id(path), "template-id": template_id}
    for key in ("dbrps", "vars"):
        if key in data:
            opts[key] = data[key]
    return opts


def handler_spec(path: Path) -> tuple[str, dict[str, Any]]:
    """(topic, handler spec) of a topic handler file."""
    data = read_data(path)
    topic = data.get("topic", "")
    if not isinstance(topic, str) or not topic:
        raise LoadFileError(f"handler file {str(path)!r} must name a topic")
    spec = {k: v for k, v in data.items() if k != "topic"}
    return topic, spec
