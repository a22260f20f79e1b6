"""The conformance corpus's alert cases, run in-process against the real engine and alert service."""

from __future__ import annotations

import pytest

from tests.alerting.cases import alert_cases, run_case

CASES = alert_cases()


@pytest.mark.skipif(not CASES, reason="conformance corpus not available")
@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
async def test_alert_case(path):
    reason = await run_case(path)
    assert reason is None, reason
