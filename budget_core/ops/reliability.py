"""Retries with backoff, circuit breakers, and measurements of service calls.

- ``backoff_delays`` — full-jitter exponential backoff (AWS architecture blog's "full jitter").
- ``CircuitBreaker`` — closed → open after ``failure_threshold`` consecutive failures; after
  ``reset_s`` one probe is let through (half-open); success closes it, failure reopens it.
- ``measure(name)`` — a decorator/context that times a service call into ``METRICS``, which keeps
  per-minute histograms in memory and writes them to ``metric_minutes`` so health figures over
  1 h / 1 d / 7 d survive restarts and add up across processes.
"""

from __future__ import annotations

import bisect
import functools
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

# Histogram bucket upper bounds in milliseconds (log-spaced); the last bucket is open-ended.
BUCKETS_MS = (0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 2000, 5000, 10000)


def backoff_delay(attempt: int, base_s: float = 0.2, cap_s: float = 30.0, rng: random.Random | None = None) -> float:
    """Seconds to wait before retry number ``attempt`` (0, 1, …): uniform(0, min(cap, base * 2**attempt))."""
    return (rng or random).uniform(0, min(cap_s, base_s * 2 ** min(attempt, 64)))


def backoff_delays(
    base_s: float = 0.2, cap_s: float = 30.0, attempts: int | None = None, rng: random.Random | None = None
) -> Iterator[float]:
    """``backoff_delay`` for attempts 0, 1, … (``attempts`` of them, or without end)."""
    rng = rng or random.Random()
    attempt = 0
    while attempts is None or attempt < attempts:
        yield backoff_delay(attempt, base_s, cap_s, rng)
        attempt += 1


def retry(
    fn: Callable,
    *,
    retryable: Callable[[BaseException], bool],
    attempts: int = 8,
    base_s: float = 0.05,
    cap_s: float = 2.0,
    sleep: Callable[[float], None] = time.sleep,
):
    """Call ``fn`` until it succeeds, retrying errors for which ``retryable`` is true with
    full-jitter backoff; the last error is raised after ``attempts`` tries. Only safe for
    idempotent calls (an add with a fixed client_id is)."""
    delays = backoff_delays(base_s, cap_s)
    for attempt in range(attempts):
        try:
            return fn()
        except Exception as exc:  # re-raised unless the caller's predicate says it is transient
            if attempt == attempts - 1 or not retryable(exc):
                raise
            sleep(next(delays))
    raise AssertionError("unreachable")


class BreakerOpen(Exception):
    """The service is considered down; the call was not attempted."""

    def __init__(self, name: str, retry_in: float):
        super().__init__(f"{name} is unavailable; retrying in {retry_in:.0f} s")
        self.name, self.retry_in = name, retry_in


@dataclass(frozen=True)
class BreakerState:
    name: str
    state: str  # closed | open | half-open
    consecutive_failures: int
    opened_at: float | None
    last_error: str | None


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 3,
        reset_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.name, self.failure_threshold, self.reset_s, self.clock = name, failure_threshold, reset_s, clock
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False
        self._last_error: str | None = None
        self._lock = threading.Lock()

    @property
    def state(self) -> str:
        with self._lock:
            return self._state()

    def _state(self) -> str:
        if self._opened_at is None:
            return "closed"
        if self.clock() - self._opened_at >= self.reset_s:
            return "half-open"
        return "open"

    def snapshot(self) -> BreakerState:
        with self._lock:
            return BreakerState(self.name, self._state(), self._failures, self._opened_at, self._last_error)

    def call(self, fn: Callable, *args, **kwargs):
        """Run ``fn`` through the breaker; raise BreakerOpen without calling it while open."""
        with self._lock:
            state = self._state()
            if state == "open" or (state == "half-open" and self._probing):
                raise BreakerOpen(self.name, self.reset_s - (self.clock() - (self._opened_at or 0)))
            if state == "half-open":
                self._probing = True
        try:
            result = fn(*args, **kwargs)
        except Exception as exc:  # any failure of the external service counts; it is re-raised
            with self._lock:
                self._probing = False
                self._failures += 1
                self._last_error = f"{type(exc).__name__}: {exc}"[:200]
                if self._failures >= self.failure_threshold or self._opened_at is not None:
                    self._opened_at = self.clock()
            raise
        with self._lock:
            self._probing = False
            self._failures = 0
            self._opened_at = None
            self._last_error = None
        return result


class Metrics:
    """Per-minute latency histograms and error counts by operation name."""

    def __init__(self):
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0] + [0] * (len(BUCKETS_MS) + 1))

    def record(self, name: str, ms: float, ok: bool) -> None:
        minute = int(time.time() // 60)
        with self._lock:
            row = self._pending[(name, minute)]
            row[0] += 1
            row[1] += 0 if ok else 1
            row[2 + bisect.bisect_left(BUCKETS_MS, ms)] += 1

    def drain(self) -> dict[tuple[str, int], list[int]]:
        with self._lock:
            pending, self._pending = self._pending, defaultdict(lambda: [0, 0] + [0] * (len(BUCKETS_MS) + 1))
        return dict(pending)

    def restore(self, rows: dict[tuple[str, int], list[int]]) -> None:
        with self._lock:
            for key, row in rows.items():
                mine = self._pending[key]
                for i, v in enumerate(row):
                    mine[i] += v


METRICS = Metrics()


def measure(name: str):
    """Decorator: time every call of a service function under ``name``. Typed business errors
    (validation, permission …) count as answered calls, not as errors of the service."""
    from ..errors import BudgetError

    def wrap(fn):
        @functools.wraps(fn)
        def inner(*args, **kwargs):
            start = time.perf_counter()
            ok = False
            try:
                result = fn(*args, **kwargs)
                ok = True
                return result
            except BudgetError:
                ok = True
                raise
            finally:
                METRICS.record(name, (time.perf_counter() - start) * 1000, ok)

        return inner

    return wrap


def percentile_from_histogram(buckets: list[int], q: float) -> float | None:
    """The bucket upper bound (ms) below which a fraction ``q`` of the calls fell."""
    total = sum(buckets)
    if total == 0:
        return None
    target = q * total
    running = 0
    for i, count in enumerate(buckets):
        running += count
        if running >= target:
            return BUCKETS_MS[i] if i < len(BUCKETS_MS) else float("inf")
    return float("inf")
