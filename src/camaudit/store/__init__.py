"""The store: every scan, observation, identity and finding, kept over time."""

from camaudit.store.sqlite import Store, StoreError, open_store

__all__ = ["Store", "StoreError", "open_store"]
