"""How figures and user text are shown: money, relative times, and :func:`inert`.

Money is always formatted by ``budget_core.domain.money.format_money``; this module only wraps it in
HTML (right-aligned, tabular figures). Text that came from a person or a file — names, categories,
descriptions, a bank file's cells quoted in an error, a flash message that repeats them — goes
through :func:`inert` before it reaches any place Streamlit renders as Markdown (``st.markdown``,
captions, ``st.warning``/``st.error``/``st.info``, toasts, widget labels and help, radio options,
tabs, expanders) or HTML put through ``st.markdown``. Places that show plain text (selectbox
options and ``format_func``, placeholders, ``st.code``, data frames) take the text as it is.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime

from budget_core.domain.allowance import KIND_LABELS  # noqa: F401 - the views take the words from here
from budget_core.domain.money import format_money
from budget_core.domain.storable import strip_bidi

_PUNCTUATION = re.compile(r"[!-/:-@\[-`{-~]")  # every ASCII punctuation character
_AUTOLINKS = re.compile(r"(?i)://|www\.|@")
_JOINER = "\u2060"  # WORD JOINER: invisible, and not part of a URL or an e-mail address


def inert(text: object) -> str:
    """``text`` as text that renders as itself and nothing else, in Markdown and in HTML alike.

    Whitespace (newlines included) is collapsed to single spaces, so no new block can start;
    bidirectional controls are dropped; every ASCII punctuation character becomes a numeric
    character reference (``[`` → ``&#91;``), which CommonMark and HTML both show as that character
    and never read as syntax — so no link, image, emphasis, heading, HTML tag, KaTeX ``$``,
    ``:colour[…]`` directive or ``:material/…:`` icon comes out of it; and an invisible word joiner
    goes into ``://``, ``www.`` and before ``@``, because Streamlit turns URLs and e-mail addresses
    in rendered text into links after parsing. Checked in Chromium by ``tests/e2e/test_inert_text.py``.
    """
    flat = " ".join(strip_bidi(str(text)).split())
    flat = _AUTOLINKS.sub(_break_autolink, flat)
    return _PUNCTUATION.sub(lambda m: f"&#{ord(m.group())};", flat)


def _break_autolink(match: re.Match) -> str:
    found = match.group()
    if found == "@":
        return _JOINER + "@"
    if found == "://":
        return ":" + _JOINER + "//"
    return found[:3] + _JOINER + "."


# The names the views used before :func:`inert` was the one function; kept so older call sites read the same.
md_escape = html_escape = inert


def money(minor: int, currency: str) -> str:
    """Plain text money, '$1,234.50' (for labels and toasts; escape before Markdown)."""
    return format_money(minor, currency)


def money_html(minor: int, currency: str, *, css: str = "") -> str:
    """Money in a right-aligned span with tabular digits; negative amounts in the warning colour."""
    cls = "fb-money" + (" fb-neg" if minor < 0 else "") + (f" {css}" if css else "")
    # our own figure, not someone's text: only its "$" needs care (it would start KaTeX)
    return f'<span class="{cls}">{html.escape(format_money(minor, currency)).replace("$", "&#36;")}</span>'


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
