"""How figures and user text are shown: money, dates and times, and :func:`inert`.

Money is always formatted by ``budget_core.domain.money.format_money`` in the family's locale; this
module only wraps it in HTML (right-aligned, tabular figures). :class:`Fmt` (``ctx.fmt``) carries the
family's currency, locale and time zone, so a page writes ``ctx.fmt.money(minor)`` and every figure
comes out the family's way. Text that came from a person or a file — names, categories,
descriptions, a bank file's cells quoted in an error, a flash message that repeats them — goes
through :func:`inert` before it reaches any place Streamlit renders as Markdown (``st.markdown``,
captions, ``st.warning``/``st.error``/``st.info``, toasts, widget labels and help, radio options,
tabs, expanders) or HTML put through ``st.markdown``. Places that show plain text (selectbox
options and ``format_func``, placeholders, ``st.code``, data frames) take the text as it is.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from budget_core.domain import locale as loc
from budget_core.domain.allowance import KIND_LABELS  # noqa: F401 - the views take the words from here
from budget_core.domain.money import decimal_string, format_money
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


def money(minor: int, currency: str, locale: str | None = None) -> str:
    """Plain text money, '$1,234.50' (for labels and toasts; escape before Markdown)."""
    return format_money(minor, currency, locale)


def money_html(minor: int, currency: str, *, css: str = "", locale: str | None = None, test_id: str = "") -> str:
    """Money in a right-aligned span with tabular digits; negative amounts in the warning colour."""
    cls = "fb-money" + (" fb-neg" if minor < 0 else "") + (f" {css}" if css else "")
    tid = f' data-testid="{test_id}"' if test_id else ""
    # our own figure, not someone's text: only its "$" needs care (it would start KaTeX)
    shown = html.escape(format_money(minor, currency, locale)).replace("$", "&#36;")
    return f'<span class="{cls}"{tid}>{shown}</span>'


@dataclass(frozen=True, slots=True)
class Fmt:
    """The family's way of writing figures: its currency, locale ('de_DE') and time zone."""

    currency: str
    locale: str
    timezone: str = "UTC"

    def money(self, minor: int) -> str:
        """'$1,234.50' / '1.234,50 €' as plain text (escape before Markdown)."""
        return format_money(minor, self.currency, self.locale)

    def money_html(self, minor: int, *, css: str = "", test_id: str = "") -> str:
        return money_html(minor, self.currency, css=css, locale=self.locale, test_id=test_id)

    def typed(self, minor: int) -> str:
        """An amount as a person would type it in this locale, to prefill a box: '15.00' / '15,00'."""
        decimal_point, _group = loc.separators(self.locale)
        return decimal_string(minor, self.currency).replace(".", decimal_point)

    def day(self, day: date, today: date | None = None) -> str:
        """'Today', 'Yesterday', else the locale's short date ('Mon, Nov 23' / 'Mo., 23. Nov.'),
        with the year when it is not this year's."""
        return short_date(day, today, self.locale)

    def full_day(self, day: date) -> str:
        """A day with its year: 'Dec 5, 2026' (en_US), '5. Dez. 2026' (de_DE)."""
        return loc.short_date(day, self.locale, with_year=True)

    def period(self, start: date, end: date) -> str:
        """A budget period: 'Nov 1 – 30, 2026' (en_US), '1.–30. Nov. 2026' (de_DE)."""
        return loc.date_range(start, end, self.locale)

    def moment(self, at: datetime) -> str:
        """A moment in the family's time zone: 'Nov 23, 3:05 PM' (en_US), '23. Nov., 15:05' (de_DE)."""
        return loc.date_time(at, ZoneInfo(self.timezone), self.locale)

    def ago(self, at: datetime, now: datetime | None = None) -> str:
        return relative_time(at, now, self.locale)

    @property
    def date_input(self) -> str:
        """The format of Streamlit's date picker that matches the locale ('MM/DD/YYYY', 'DD.MM.YYYY')."""
        return loc.date_input_format(self.locale)


def relative_time(at: datetime, now: datetime | None = None, locale: str = "en_US") -> str:
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
    return short_date(at.date(), now.date(), locale)


def short_date(day: date, today: date | None = None, locale: str = "en_US") -> str:
    """'Today', 'Yesterday', the locale's short date ('Mon, Nov 23'), or with the year in another year."""
    if today is not None:
        delta = (today - day).days
        if delta == 0:
            return "Today"
        if delta == 1:
            return "Yesterday"
    return loc.short_date(day, locale, with_year=today is not None and day.year != today.year)
