"""MongoDB read preference and connection pool settings, against FerretDB.

FerretDB is a single server, not a replica set: these tests show the settings reach the driver
and the read-heavy queries still answer under them; that secondaries actually take those reads
needs a real MongoDB replica set (``MONGODB_URL`` pointing at one).
"""

from __future__ import annotations

import uuid

import pytest
from prometheus_client import REGISTRY
from pydantic import ValidationError

from target_app.settings import Settings
from target_app.store import make_store
from target_app.store.base import new_id, utcnow


@pytest.fixture
async def store(mongodb_url):
    config = Settings(MONGODB_URL=mongodb_url, MONGODB_DB=f"rp_{uuid.uuid4().hex[:8]}",
                      MONGODB_READ_PREFERENCE="secondaryPreferred", MONGODB_MIN_POOL_SIZE=1,
                      MONGODB_MAX_POOL_SIZE=5)
    mongo = make_store(config)
    await mongo.setup()
    yield mongo
    await mongo.close()


async def test_lists_and_analytics_read_with_the_configured_preference(store):
    user, now = new_id(), utcnow()
    await store.create_task({"id": new_id(), "userId": user, "title": "t", "description": "",
                             "status": "done", "priority": "low", "dueDate": None,
                             "createdAt": now, "updatedAt": now})
    assert store._task_reads.read_preference.mongos_mode == "secondaryPreferred"
    assert [t["title"] for t in await store.list_tasks(user)] == ["t"]
    assert (await store.task_stats(user, now))["counts"] == {"done": 1}


async def test_single_task_reads_stay_on_the_primary(store):
    assert store._tasks.read_preference.mongos_mode == "primary"


async def test_the_pool_shows_its_connections_in_metrics(store):
    await store.list_tasks(new_id())
    assert REGISTRY.get_sample_value("taskapi_store_pool_connections", {"state": "open"}) >= 1
    assert REGISTRY.get_sample_value("taskapi_store_pool_connections", {"state": "in_use"}) == 0


@pytest.mark.parametrize(("values", "field"), [
    ({"MONGODB_READ_PREFERENCE": "secondaries"}, "MONGODB_READ_PREFERENCE"),
    ({"MONGODB_MIN_POOL_SIZE": 10, "MONGODB_MAX_POOL_SIZE": 5}, "MONGODB_MIN_POOL_SIZE"),
    ({"MONGODB_READ_PREFERENCE": "nearest", "MONGODB_MAX_STALENESS_SECONDS": 10},
     "MONGODB_MAX_STALENESS_SECONDS"),
])
def test_bad_store_read_settings_are_refused_naming_the_setting(values, field):
    with pytest.raises(ValidationError, match=field):
        Settings(**values)
