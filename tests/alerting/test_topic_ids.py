"""A topic id outside the rule names no topic: `DELETE *` deletes nothing, `.topic('*')` is refused."""

from __future__ import annotations

import pytest

from kapacitrio.alerting import levels
from kapacitrio.alerting.service import EVENTS_KIND, AlertService, NotFound
from kapacitrio.pipeline.build import compile_task
from kapacitrio.storage.db import open_store
from kapacitrio.tick.errors import TickError
from tests.alerting.conftest import make_event


@pytest.mark.parametrize("pattern", ["*", "[ab]", "?"])
async def test_deleting_a_pattern_deletes_no_topic(tmp_path, nursery, pattern):
    async with open_store(tmp_path / "k.db") as store:
        svc = AlertService(store)
        await nursery.start(svc.run)
        svc.handle_event("a", make_event(levels.CRITICAL, id="e1"))
        svc.handle_event("b", make_event(levels.WARNING, id="e2"))
        svc.handle_event(pattern, make_event(levels.WARNING, id="e3"))  # an old `.topic('*')`
        await svc.flush()
        await svc.delete_topic(pattern)
        with pytest.raises(NotFound):
            await svc.delete_topic(pattern)
        assert sorted(await store.ids(EVENTS_KIND)) == ["a/e1", "b/e2"]
        assert [t.id for t in svc.list_topics()] == ["a", "b"]


@pytest.mark.parametrize("topic", ["*", "a b", "x/y"])
def test_alert_topic_must_follow_the_topic_id_rule(topic):
    script = f"stream|from().measurement('m')|alert().crit(lambda: TRUE).topic('{topic}')"
    with pytest.raises(TickError, match="topic ID must contain only"):
        compile_task(script, "stream")


def test_a_valid_alert_topic_compiles():
    compile_task(
        "stream|from().measurement('m')|alert().crit(lambda: TRUE).topic('ops:cpu.1-a_b')", "stream"
    )
