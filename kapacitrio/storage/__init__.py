"""SQLite storage of tasks, templates, topics, handlers, overrides and kkok state."""

from kapacitrio.storage.db import Store, StoreError, Transaction, open_store

__all__ = ["Store", "StoreError", "Transaction", "open_store"]
