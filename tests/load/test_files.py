"""Reading load directory files: discovery, ids, task vars and handler files, and their errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from kapacitrio.load import files
from kapacitrio.load.config import LoadConfig


def _tree(root: Path, entries: dict[str, str]) -> None:
    for name, text in entries.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_find_files_sorts_each_kind_and_skips_other_files(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            "tasks/b.tick": "",
            "tasks/a.tick": "",
            "tasks/c.yaml": "",
            "tasks/d.json": "",
            "tasks/notes.txt": "",
            "templates/t.tick": "",
            "templates/t.yaml": "",
            "handlers/h.yml": "",
            "handlers/h.tick": "",
        },
    )
    (tmp_path / "tasks" / "sub.tick").mkdir()
    found = files.find_files(tmp_path)
    assert [p.name for p in found.tasks] == ["a.tick", "b.tick"]
    assert [p.name for p in found.task_vars] == ["c.yaml", "d.json"]
    assert [p.name for p in found.templates] == ["t.tick"]
    assert [p.name for p in found.handlers] == ["h.yml"]


def test_missing_subdirectories_hold_nothing(tmp_path: Path) -> None:
    found = files.find_files(tmp_path)
    assert (found.tasks, found.task_vars, found.templates, found.handlers) == ([], [], [], [])


def test_task_vars_yaml_and_json(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            "tasks/cpu.yaml": (
                "dbrps:\n  - {db: telegraf, rp: autogen}\ntemplate-id: tmpl\n"
                "vars:\n  field:\n    type: string\n    value: usage\n"
            ),
            "tasks/mem.json": '{"template-id": "tmpl", "vars": {"x": {"type": "int", "value": 3}}}',
        },
    )
    assert files.task_vars_options(tmp_path / "tasks/cpu.yaml") == {
        "id": "cpu",
        "template-id": "tmpl",
        "dbrps": [{"db": "telegraf", "rp": "autogen"}],
        "vars": {"field": {"type": "string", "value": "usage"}},
    }
    assert files.task_vars_options(tmp_path / "tasks/mem.json") == {
        "id": "mem",
        "template-id": "tmpl",
        "vars": {"x": {"type": "int", "value": 3}},
    }


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("v.json", "{not json", "failed to unmarshal json file"),
        ("v.yaml", "a: [1, 2", "failed to unmarshal yaml file"),
        ("v.yaml", "- 1\n- 2\n", "must hold an object"),
        ("v.yaml", "vars: {}\n", "must name a template-id"),
    ],
)
def test_bad_task_vars_files_say_which_file(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    _tree(tmp_path, {f"tasks/{name}": text})
    with pytest.raises(files.LoadFileError) as err:
        files.task_vars_options(tmp_path / "tasks" / name)
    assert message in str(err.value)
    assert name in str(err.value)


def test_handler_file_needs_a_topic(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            "handlers/ok.yaml": "topic: cpu\nid: log1\nkind: log\noptions:\n  path: /tmp/x.log\n",
            "handlers/bad.yaml": "id: log1\nkind: log\n",
        },
    )
    topic, spec = files.handler_spec(tmp_path / "handlers/ok.yaml")
    assert topic == "cpu"
    assert spec == {"id": "log1", "kind": "log", "options": {"path": "/tmp/x.log"}}
    with pytest.raises(files.LoadFileError, match="must name a topic"):
        files.handler_spec(tmp_path / "handlers/bad.yaml")


def test_unreadable_file_is_a_load_error(tmp_path: Path) -> None:
    path = tmp_path / "tasks" / "bin.tick"
    path.parent.mkdir()
    path.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(files.LoadFileError, match="failed to read file"):
        files.read_text(path)


def test_config_dir_must_be_absolute_when_enabled() -> None:
    LoadConfig(enabled=False, dir="relative").validate()
    LoadConfig(enabled=True, dir="/abs").validate()
    with pytest.raises(ValueError, match="dir must be an absolute path"):
        LoadConfig(enabled=True, dir="relative").validate()
