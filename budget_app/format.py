"""How figures and user text are shown: money, relative times, escaping.

Money is always formatted by ``budget_core.domain.money.format_money``; this module only wraps it in
HTML (right-aligned, tabular figures) and escapes text people typed before it reaches
Markdown or HTML.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime

from budget_core.domain.allowance import KIND_LABELS  # noqa: F401 - the views take the words from here
from budget_core.domain.money import format_money

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def md_escape(text: str) -> str:
    """Escape text for Streamlit Markdown (toasts, captions): no markup, no math, no emoji codes."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def html_escape(text: str) -> str:
    """Escape text for HTML put through st.markdown; ``$`` becomes an entity so no math is drawn."""
    return html.escape(str(text), quote=True).replace("$", "&#36;")


def money(minor: int, currency: str) -> str:
    """Plain text money, '$1,234.50' (for labels and toasts; escape before Markdown)."""
    return format_money(minor, currency)


def money_html(minor: int, currency: str, *, css: str = "") -> str:
    """Money in a right-aligned span with tabular digits; negative amounts in the warning colour."""
    cls = "fb-money" + (" fb-neg" if minor < 0 else "") + (f" {css}" if css else "")
    return f'<span class="{cls}">{html_escape(format_money(minor, currency))}</span>'


def relative_time(at: datetime, now: datetime | None = None) -> str:
    """'just now', '5 min ago', '3 h ago', 'yesterday', '4 days ago', then the date."""
    now = now or datetime.now(UTC)
    seconds = (now - at).total_seconds()
    if seconds < 45:
        return "just now"
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    days = int(seconds // 86400)
    if days == 1:
        return "yesterday"
    if days < 7:
        return f"{days} days ago"
    return short_date(at.date(), now.date())


def short_date(day: date, today: date | None = None) -> str:
    """'Today', 'Yesterday', 'Mon 23 Nov', or '23 Nov 2025' in another year."""
    if today is not None:
        delta = (today - day).days
        if delta == 0:
            return "Today"
        if delta == 1:
            return "Yesterday"
    if today is None or day.year == today.year:
        return f"{day:%a} {day.day} {day:%b}"
    return f"{day.day} {day:%b %Y}"
