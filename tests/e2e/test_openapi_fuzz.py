"""Schema-based fuzzing of the real server with schemathesis: no 5xx, no hang, answers as documented.

Every operation of the OpenAPI document (but the mirrored `/kapacitor/v1preview` copies of the
`/kapacitor/v1` ones, which run the same handlers) gets `EXAMPLES` generated requests, valid and
invalid, from a derandomized Hypothesis run, against one `kapacitrio serve` process.

Figures (2 shared cores, EXAMPLES = 30): 3,962 requests over 79 operations in 100-150 s; the
5xx it found, each fixed with a regression test in test_fuzz_findings.py: 1 (GET /users with a
`limit` past 64 bits). No hang, no undocumented answer once the document was complete.
"""

from __future__ import annotations

import collections
import os
import shutil
import time

import hypothesis
import pytest
import requests
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kapacitrio.api.openapi import document
from kapacitrio.api.openapi.preview import STREAMING
from tests.e2e.conftest import ServerProcess

#: Generated requests per operation (Hypothesis may stop early when it runs out of new cases).
EXAMPLES = int(os.environ.get("KAPACITRIO_FUZZ_EXAMPLES", "30"))  # more for a deeper local run
#: An operation with fewer requests than this fuzzed nothing worth the name (one that takes no
#: parameters and no body has few distinct requests to make: `MIN_BARE`).
MIN_REQUESTS = 10
MIN_BARE = 3
#: Seconds an answer may take before it counts as a hang.
TIMEOUT = 10.0

#: Not fuzzed: streams that never end by themselves, and service tests, whose fuzzed options
#: (URLs, hosts) would send requests off this machine.
SKIPPED = {*STREAMING, "run_service_test"}

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]

schema = schemathesis.openapi.from_dict(document()).exclude(
    func=lambda ctx: (
        ctx.operation.definition.raw.get("operationId") in SKIPPED
        or ctx.operation.path.startswith("/kapacitor/v1preview/")
        and ctx.operation.path[len("/kapacitor/v1preview") :]
        in {
            p[len("/kapacitor/v1") :] for p in document()["paths"] if p.startswith("/kapacitor/v1/")
        }
    )
)

REQUESTS: collections.Counter[str] = collections.Counter()
STATUSES: collections.Counter[int] = collections.Counter()
STARTED = time.monotonic()


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("fuzz")
    # kkok rounds never come during the run: no filter command or transport is ever invoked.
    srv = ServerProcess(
        workdir,
        env={"KAPACITOR_KKOK_INITIAL_INTERVAL": "3600", "KAPACITOR_KKOK_MAX_INTERVAL": "3600"},
    )
    srv.start()
    session = requests.Session()
    yield srv, session
    session.close()
    srv.stop()
    if srv.proc is not None:
        assert srv.proc.returncode == 0, srv.run_logs()[-3000:]
    shutil.rmtree(workdir, ignore_errors=True)


@schema.parametrize()
@hypothesis.settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_fuzz(case, fuzz_server):
    srv, session = fuzz_server
    op = case.operation.definition.raw["operationId"]
    try:
        response = case.call(base_url=srv.url, session=session, timeout=TIMEOUT)
    except requests.Timeout:
        pytest.fail(f"{op}: no answer within {TIMEOUT}s")
    REQUESTS[op] += 1
    STATUSES[response.status_code] += 1
    case.validate_response(response, checks=CHECKS)


def _minimum(operation) -> int:
    raw = operation.definition.raw
    bare = not raw.get("parameters") and "requestBody" not in raw
    return MIN_BARE if bare and not operation.path_parameters else MIN_REQUESTS


def test_every_operation_was_fuzzed():
    """Runs after the fuzzing: every fuzzed operation got enough requests (never vacuous)."""
    operations = [r.ok() for r in schema.get_all_operations()]
    few = {
        o.definition.raw["operationId"]: REQUESTS[o.definition.raw["operationId"]]
        for o in operations
        if REQUESTS[o.definition.raw["operationId"]] < _minimum(o)
    }
    print(
        f"\nfuzzed {sum(REQUESTS.values())} requests over {len(operations)} operations in "
        f"{time.monotonic() - STARTED:.1f}s; statuses {dict(sorted(STATUSES.items()))}"
    )
    assert len(operations) > 60
    assert not few, few
