"""Health: is each part working, how degraded is each feature, and how fast are service calls.

``check(engine)`` never raises for an unreachable database; it reports it. Degradation levels
per feature are ``none`` / ``partial`` / ``significant``:

- real-time sync: partial when the watcher is disconnected (sessions fall back to a cheap
  indexed query), significant when the database is unreachable;
- budget calculations: significant when the database is unreachable (only cached figures);
- notifications: partial when a breaker is open or messages are waiting, significant when every
  configured channel's breaker is open.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass, field

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from .. import sync
from ..services import budgets
from . import notifications
from .outbox import Outbox
from .reliability import BUCKETS_MS, METRICS, percentile_from_histogram

WINDOWS = {"1h": 60, "1d": 24 * 60, "7d": 7 * 24 * 60}


@dataclass
class Health:
    database: dict
    watcher: dict | None
    outbox: dict
    queue: dict | None
    breakers: list[dict]
    degradation: dict
    metrics: dict = field(default_factory=dict)
    cache: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return asdict(self)


def flush_metrics(engine: Engine) -> None:
    """Add this process's in-memory measurements to ``metric_minutes`` (summing with other processes)."""
    rows = METRICS.drain()
    if not rows:
        return
    try:
        with engine.begin() as conn:
            for (name, minute), row in rows.items():
                conn.execute(
                    text(
                        "INSERT INTO metric_minutes (name, minute, count, errors, buckets) VALUES (:n, :m, :c, :e, :b) "
                        "ON CONFLICT (name, minute) DO UPDATE SET count = metric_minutes.count + EXCLUDED.count, "
                        "errors = metric_minutes.errors + EXCLUDED.errors, buckets = ARRAY(SELECT a + b FROM "
                        "unnest(metric_minutes.buckets, EXCLUDED.buckets) AS t(a, b))"
                    ),
                    {"n": name, "m": minute, "c": row[0], "e": row[1], "b": row[2:]},
                )
    except DBAPIError:
        METRICS.restore(rows)  # keep them for the next flush
        raise


def metrics_summary(engine: Engine, now: float | None = None) -> dict:
    """Per operation and window: count, error rate, p50 and p95 (ms, bucket upper bounds)."""
    minute_now = int((now or time.time()) // 60)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT name, minute, count, errors, buckets FROM metric_minutes WHERE minute > :m"),
            {"m": minute_now - WINDOWS["7d"]},
        ).all()
    out: dict = {}
    for window, minutes in WINDOWS.items():
        per: dict[str, list] = {}
        for name, minute, count, errors, buckets in rows:
            if minute <= minute_now - minutes:
                continue
            agg = per.setdefault(name, [0, 0, [0] * (len(BUCKETS_MS) + 1)])
            agg[0] += count
            agg[1] += errors
            agg[2] = [a + b for a, b in zip(agg[2], buckets)]
        out[window] = {
            name: {
                "count": c,
                "error_rate": round(e / c, 4) if c else 0.0,
                "p50_ms": percentile_from_histogram(h, 0.5),
                "p95_ms": percentile_from_histogram(h, 0.95),
            }
            for name, (c, e, h) in sorted(per.items())
        }
    return out


def _database(engine: Engine) -> dict:
    try:
        with engine.connect() as conn:
            times = []
            for _ in range(3):
                start = time.perf_counter()
                conn.execute(text("SELECT 1"))
                times.append((time.perf_counter() - start) * 1000)
        return {"reachable": True, "rtt_ms": round(statistics.median(times), 3), "error": None}
    except DBAPIError as exc:
        return {"reachable": False, "rtt_ms": None, "error": type(exc.orig or exc).__name__}


def check(engine: Engine, *, outbox: Outbox | None = None) -> Health:
    db = _database(engine)
    watcher = None
    for w in list(sync._watchers.values()):
        if w.engine is engine:
            watcher = asdict(w.state())
    box = (outbox or Outbox()).state()
    outbox_info = {
        "pending": len(box.with_status("pending")),
        "failed": len(box.with_status("failed")),
        "damaged_lines": list(box.damaged_lines),
    }
    queue = metrics = None
    if db["reachable"]:
        try:
            flush_metrics(engine)
            queue = notifications.queue_depth(engine)
            metrics = metrics_summary(engine)
        except DBAPIError:
            db = {**db, "reachable": False, "error": "lost during the check"}
    breakers = [
        asdict(b.snapshot()) | {"channel": ch, "configured": notifications.channel_configured(ch)}
        for ch, b in notifications.BREAKERS.items()
    ]
    return Health(
        db,
        watcher,
        outbox_info,
        queue,
        breakers,
        _degradation(db, watcher, breakers, queue),
        metrics or {},
        budgets.cache_stats(),
    )


def _degradation(db: dict, watcher: dict | None, breakers: list[dict], queue: dict | None) -> dict:
    if not db["reachable"]:
        sync_level, budget_level = "significant", "significant"
    else:
        sync_level = "partial" if watcher is not None and not watcher["connected"] else "none"
        budget_level = "none"
    configured = [b for b in breakers if b["configured"]]
    open_ = [b for b in configured if b["state"] != "closed"]
    waiting = sum(v["queued"] for v in (queue or {}).values())
    if configured and len(open_) == len(configured):
        notify_level = "significant"
    elif open_ or waiting > 20 or (queue is None and configured):
        notify_level = "partial"
    else:
        notify_level = "none"
    return {"real-time sync": sync_level, "budget calculations": budget_level, "notifications": notify_level}


@dataclass(frozen=True)
class FamilyPart:
    """One line of a family's health, in plain words: ``state`` is ``ok``, ``off`` (not set up on this
    server), ``degraded`` or ``down``."""

    name: str
    state: str
    words: str


def family_health(access, *, outbox: Outbox | None = None) -> list[FamilyPart]:
    """What a family's managers need to know, in plain words: are live updates, saving and
    notifications working, and are entries waiting. Nothing about other families or the server."""
    db = _database(access.engine)
    parts = []
    if not db["reachable"]:
        parts.append(FamilyPart("Saving and figures", "down", "Not working: the family's database cannot be reached."))
        parts.append(FamilyPart("Live updates", "down", "Not working until the database is back."))
    else:
        parts.append(FamilyPart("Saving and figures", "ok", "Working."))
        watcher = next((w.state() for w in list(sync._watchers.values()) if w.engine is access.engine), None)
        if watcher is None or watcher.connected:
            parts.append(FamilyPart("Live updates", "ok", "Working: everyone sees a change within a second."))
        else:
            parts.append(
                FamilyPart(
                    "Live updates", "degraded", "Slower than usual: changes reach other screens within a few seconds."
                )
            )
    mine = [
        e
        for e in (outbox or Outbox()).state().entries
        if e.family_id == access.family_id and e.status in ("pending", "failed")
    ]
    waiting = sum(e.status == "pending" for e in mine)
    refused = sum(e.status == "failed" for e in mine)
    if not mine:
        parts.append(FamilyPart("Entries kept while offline", "ok", "None waiting: everything typed is saved."))
    else:
        words = []
        if waiting:
            words.append(f"{waiting} waiting to be saved (they will be, once the database answers)")
        if refused:
            words.append(f"{refused} refused; whoever typed them can fix and resend them from the sidebar")
        parts.append(FamilyPart("Entries kept while offline", "degraded", "; ".join(words).capitalize() + "."))
    for channel, label, setup in (
        ("email", "E-mail", "invitation and reset links are copied by hand"),
        ("push", "Push notifications", "nobody gets alerts on their phone"),
    ):
        if not notifications.channel_configured(channel):
            parts.append(FamilyPart(label, "off", f"Not set up on this server: {setup}."))
        elif notifications.BREAKERS[channel].snapshot().state != "closed":
            parts.append(
                FamilyPart(
                    label, "degraded", "Not going out right now: messages wait and go out when it answers again."
                )
            )
        else:
            parts.append(FamilyPart(label, "ok", "Working."))
    return parts
