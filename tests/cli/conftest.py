"""CLI fixtures: the real server process (the e2e fixture) and a runner for `kapacitrio` commands."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cli_helpers import Result

_E2E = Path(__file__).parent.parent / "e2e" / "conftest.py"
_spec = importlib.util.spec_from_file_location("kapacitrio_e2e_fixtures", _E2E)
assert _spec is not None and _spec.loader is not None
e2e = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(e2e)

ServerProcess = e2e.ServerProcess
server_factory = e2e.server_factory
server = e2e.server


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server for a whole test module (tests use distinct IDs)."""
    srv = ServerProcess(tmp_path_factory.mktemp("cli-server"))
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def kap(shared_server: ServerProcess, capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """Run `kapacitrio ARGS...` in-process against the shared server; returns code, stdout, stderr."""
    from kapacitrio.cli import main

    def run(*argv: str, url: str | None = None) -> Result:
        capsys.readouterr()
        code = main(["-url", url or shared_server.url, *argv])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run
