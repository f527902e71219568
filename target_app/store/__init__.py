"""Where users and tasks live: the ``Store`` interface, its adapters, and the choice between them."""

from __future__ import annotations

from target_app.settings import Settings
from target_app.store.base import Conflict, Store, StoreError, StoreUnavailable

__all__ = ["Conflict", "Store", "StoreError", "StoreUnavailable", "make_store"]


def make_store(settings: Settings) -> Store:
    """MongoDB when ``MONGODB_URL`` is set, else the embedded SQLite store at ``SQLITE_PATH``."""
    if settings.MONGODB_URL:
        from target_app.store.mongo import MongoStore

        return MongoStore(settings.MONGODB_URL, settings.MONGODB_DB, timeout_ms=settings.STORE_TIMEOUT_MS,
                          read_preference=settings.MONGODB_READ_PREFERENCE,
                          max_staleness_seconds=settings.MONGODB_MAX_STALENESS_SECONDS,
                          min_pool_size=settings.MONGODB_MIN_POOL_SIZE,
                          max_pool_size=settings.MONGODB_MAX_POOL_SIZE)
    from target_app.store.sqlite import SQLiteStore

    return SQLiteStore(settings.SQLITE_PATH, timeout_ms=settings.STORE_TIMEOUT_MS)
