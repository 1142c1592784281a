"""One cache for figures keyed by (family, version, …): never stale, each built once.

Every change to a family bumps its version, so a value stored under the version it was computed
at can never be out of date: there is no time-to-live. ``get_or_build`` is single-flight: when
several sessions of one family redraw after the same change, one builds the value while the
others wait for it instead of all doing the same work on a busy server. The daily budget, the
period overview and Today's charts use it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

V = TypeVar("V")


class VersionCache:
    """A thread-safe LRU of the ``size`` most recent keys, with hit and miss counters."""

    def __init__(self, size: int):
        self.size, self.hits, self.misses = size, 0, 0
        self._data: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable, *, count: bool = True):
        """The cached value or None; ``count=False`` for a second look-up within one call."""
        with self._lock:
            value = self._data.get(key)
            if value is None:
                self.misses += int(count)
                return None
            self.hits += int(count)
            self._data.move_to_end(key)
            return value

    def put(self, key: Hashable, value) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def get_or_build(self, key: Hashable, build: Callable[[], V]) -> V:
        """The value under ``key``, built by ``build()`` once even when many threads ask at once."""
        hit = self.get(key)
        if hit is not None:
            return hit
        with self._lock:
            building = self._building.setdefault(key, threading.Lock())
        try:
            with building:
                hit = self.get(key, count=False)  # built by another thread while this one waited
                if hit is not None:
                    return hit
                value = build()
                self.put(key, value)
                return value
        finally:
            with self._lock:
                if self._building.get(key) is building:
                    self._building.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.hits = self.misses = 0
