"""Drawing the health reports: a family's, in plain words (``health.family_health``), and the
server's, for its operator (``health.check``)."""

from __future__ import annotations

import polars as pl
import streamlit as st

from budget_core.config import settings
from budget_core.ops.health import FamilyPart, Health

from . import wake
from .format import html_escape

LEVEL_ICONS = {"none": ":material/check_circle:", "partial": ":material/warning:", "significant": ":material/error:"}
LEVEL_WORDS = {"none": "working", "partial": "slower than usual", "significant": "not working right now"}
# What each feature means to the family (the report's names are the operator's).
FEATURE_WORDS = {
    "real-time sync": ("Everyone sees changes at once", "changes may take a few seconds to reach other screens"),
    "budget calculations": ("Today's figures are up to date", "figures may be out of date until the database is back"),
    "notifications": ("Alerts go out", "e-mail and phone alerts are delayed; nothing is lost"),
}


STATE_ICONS = {
    "ok": ":material/check_circle:",
    "off": ":material/do_not_disturb_on:",
    "degraded": ":material/warning:",
    "down": ":material/error:",
}


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def family_parts(rows: list[FamilyPart]) -> None:
    """One line per part: an icon, its name, and what it means for the family."""
    for row in rows:
        st.markdown(
            f"{STATE_ICONS[row.state]} **{html_escape(row.name)}**: {html_escape(row.words)}",
            unsafe_allow_html=True,
        )


def degradation(report: Health) -> None:
    """One sentence for the family, then a line per feature in its words."""
    troubled = [f for f, level in report.degradation.items() if level != "none"]
    if not troubled:
        st.success("Everything is working.", icon=":material/check_circle:")
    else:
        st.warning(
            "Some things are not working as usual: "
            + "; ".join(FEATURE_WORDS.get(f, (f, f))[1] for f in troubled)
            + ". Entries you make are kept and saved.",
            icon=":material/warning:",
        )
    cols = st.columns(len(report.degradation))
    for col, (feature, level) in zip(cols, report.degradation.items()):
        title = FEATURE_WORDS.get(feature, (feature.capitalize(), ""))[0]
        col.markdown(f"{LEVEL_ICONS[level]} **{title}**  \n{LEVEL_WORDS[level]}")


def parts(report: Health) -> None:
    db = report.database
    rows = [("Database", f"reachable, {db['rtt_ms']} ms round trip" if db["reachable"] else "unreachable")]
    w = report.watcher
    if w is None:
        rows.append(("Change watcher", "not started in this server process"))
    else:
        rows.append(
            (
                "Change watcher",
                ("connected" if w["connected"] else "reconnecting")
                + f"; {w['notifications']} notifications, {w['reconnects']} reconnects, "
                f"{_count(w['watched_families'], 'family', 'families')} open",
            )
        )
    if wake.available():
        rows.append(
            (
                "Live updates (this server)",
                f"{_count(wake.registered_sessions(), 'signed-in session', 'signed-in sessions')}; "
                f"{_count(wake.wakes, 'page run', 'page runs')} started by a change"
                + ("" if settings().wake_sessions else "; waking is off, sessions rely on their poll"),
            )
        )
    o = report.outbox
    rows.append(
        (
            "Offline entries on this server",
            f"{o['pending']} pending, {o['failed']} refused"
            + (f", damaged lines {o['damaged_lines']}" if o["damaged_lines"] else ""),
        )
    )
    if report.queue:
        q = report.queue
        rows.append(
            (
                "Notification queue",
                f"e-mail {q['email']['queued']} waiting / {q['email']['failed']} failed; "
                f"push {q['push']['queued']} waiting / {q['push']['failed']} failed",
            )
        )
    for b in report.breakers:
        state = b["state"] if b["configured"] else "not configured"
        rows.append((f"Circuit breaker: {b['name']}", state + (f" ({b['last_error']})" if b["last_error"] else "")))
    cache = report.cache
    rate = (
        "no calls yet"
        if cache.get("hit_rate") is None
        else f"{cache['hit_rate']:.0%} of {cache['hits'] + cache['misses']} calls"
    )
    rows.append(("Daily-budget cache hit rate (this server)", rate))
    st.dataframe(pl.DataFrame(rows, schema=["Part", "State"], orient="row"), hide_index=True, width="stretch")


def metrics(report: Health) -> None:
    window = st.segmented_control("Window", ["1h", "1d", "7d"], default="1h", key="health_window")
    data = report.metrics.get(window or "1h", {})
    if not data:
        st.caption("No service calls measured in this window yet.")
        return
    frame = pl.DataFrame(
        [
            {
                "Service call": name,
                "Calls": m["count"],
                "Error rate": f"{m['error_rate']:.1%}",
                "p50 (ms, ≤)": m["p50_ms"],
                "p95 (ms, ≤)": m["p95_ms"],
            }
            for name, m in data.items()
        ]
    )
    st.dataframe(frame, hide_index=True, width="stretch")
