"""Backoff, circuit breaker and histogram percentiles (pure, no I/O)."""

import random

import pytest

from budget_core.ops.reliability import (
    BUCKETS_MS,
    BreakerOpen,
    CircuitBreaker,
    backoff_delays,
    percentile_from_histogram,
)


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def boom():
    raise OSError("service down")


def test_backoff_is_full_jitter_under_an_exponential_cap():
    delays = list(backoff_delays(base_s=0.1, cap_s=2.0, attempts=12, rng=random.Random(1)))
    assert len(delays) == 12
    for attempt, delay in enumerate(delays):
        assert 0 <= delay <= min(2.0, 0.1 * 2**attempt)
    assert len(set(delays)) == 12  # jittered, not a fixed schedule


def test_breaker_opens_after_consecutive_failures_and_stops_calling():
    clock = Clock()
    breaker = CircuitBreaker("smtp", failure_threshold=3, reset_s=10, clock=clock)
    for _ in range(3):
        with pytest.raises(OSError):
            breaker.call(boom)
    assert breaker.state == "open"
    calls = []
    with pytest.raises(BreakerOpen):
        breaker.call(lambda: calls.append(1))
    assert calls == []


def test_half_open_lets_one_probe_through_and_success_closes_it():
    clock = Clock()
    breaker = CircuitBreaker("push", failure_threshold=2, reset_s=5, clock=clock)
    for _ in range(2):
        with pytest.raises(OSError):
            breaker.call(boom)
    clock.now = 5.0
    assert breaker.state == "half-open"
    assert breaker.call(lambda: "sent") == "sent"
    assert breaker.state == "closed"
    assert breaker.snapshot().consecutive_failures == 0


def test_a_failed_probe_reopens_the_breaker_for_another_period():
    clock = Clock()
    breaker = CircuitBreaker("push", failure_threshold=2, reset_s=5, clock=clock)
    for _ in range(2):
        with pytest.raises(OSError):
            breaker.call(boom)
    clock.now = 6.0
    with pytest.raises(OSError):
        breaker.call(boom)
    assert breaker.state == "open"
    clock.now = 10.0
    assert breaker.state == "open"
    clock.now = 11.0
    assert breaker.state == "half-open"


def test_failures_that_are_not_consecutive_do_not_open_it():
    breaker = CircuitBreaker("smtp", failure_threshold=3, clock=Clock())
    for _ in range(5):
        with pytest.raises(OSError):
            breaker.call(boom)
        breaker.call(lambda: None)
    assert breaker.state == "closed"


def test_percentiles_come_from_the_histogram_buckets():
    buckets = [0] * (len(BUCKETS_MS) + 1)
    buckets[BUCKETS_MS.index(5)] = 90  # 90 calls at <= 5 ms
    buckets[BUCKETS_MS.index(100)] = 10  # 10 calls at <= 100 ms
    assert percentile_from_histogram(buckets, 0.5) == 5
    assert percentile_from_histogram(buckets, 0.95) == 100
    assert percentile_from_histogram([0] * len(buckets), 0.5) is None
