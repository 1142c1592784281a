"""Today's small blocks about bills, undecided rows, what is coming up and carry-over.

Self-contained: ``today_notes`` draws the lines under the headline ("Includes $54.30 of 3 rows that
need a category", "Rent paid 1 Dec · Power due on the 15th", "Coming up: Pocket money $10.00 on
Friday", "Carried in from last period: $120.00"), ``needs_category`` the one-tap choices for
undecided rows. Their figures are read once per family version and day (``VersionCache``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import streamlit as st

from budget_core.domain.allowance import DailyBudget
from budget_core.domain.bills import bills_line
from budget_core.services import bills, schedules, undecided
from budget_core.services.cache import VersionCache

from .errors import shown_errors
from .format import html_escape
from .keys import done


@dataclass(frozen=True, slots=True)
class TodayExtras:
    undecided: undecided.Undecided
    bills: str
    upcoming: tuple[str, ...]


_extras = VersionCache(2_000)


def _read(ctx, on: date) -> TodayExtras:
    def build() -> TodayExtras:
        statuses = bills.bill_statuses(ctx.access, on)
        coming = schedules.upcoming(ctx.access, 7)
        return TodayExtras(
            undecided.undecided(ctx.access, on),
            bills_line(statuses, ctx.fmt.locale),
            tuple(u.phrase(ctx.currency, ctx.today, ctx.fmt.locale) for u in coming[:4]),
        )

    # the database's name too: several test databases in one process each have a family 1 at version 1
    key = (ctx.engine.url.database, ctx.family.id, ctx.family.version, on, ctx.today, ctx.fmt.locale)
    return _extras.get_or_build(key, build)


def today_notes(ctx, budget: DailyBudget) -> None:
    """The lines under Today's headline (nothing when there is nothing to say)."""
    with shown_errors():
        extras = _read(ctx, budget.on)
        items = []
        if extras.undecided.count:
            n = extras.undecided.count
            items.append(
                f'<li data-testid="fb-undecided-note" class="fb-warn">Includes {ctx.fmt.money_html(extras.undecided.total)}'
                f" of {n} imported {'row that needs' if n == 1 else 'rows that need'} a category (counted as everyday spending"
                " until you decide).</li>"
            )
        if budget.carry_over and budget.on == budget.period_start:
            items.append(
                f'<li data-testid="fb-carried-in"><span class="fb-tag">Carried in</span>'
                f"{ctx.fmt.money_html(budget.carried_in)} from last period</li>"
            )
        elif budget.carry_over and budget.days_left == 1:
            items.append(
                f'<li data-testid="fb-carries-out"><span class="fb-tag">Carries over</span>'
                f"{ctx.fmt.money_html(budget.left_in_period)} into the next period if nothing more is spent</li>"
            )
        elif budget.carry_over and budget.carried_in:
            items.append(
                f'<li data-testid="fb-carried-in"><span class="fb-tag">Carried in</span>'
                f"{ctx.fmt.money_html(budget.carried_in)} this period</li>"
            )
        if extras.bills:
            items.append(
                f'<li data-testid="fb-bills-line"><span class="fb-tag">Bills</span>{html_escape(extras.bills)}</li>'
            )
        if extras.upcoming:
            items.append(
                '<li data-testid="fb-upcoming"><span class="fb-tag">Coming up</span>'
                + html_escape(" · ".join(extras.upcoming))
                + "</li>"
            )
        if items:
            st.markdown(f'<ul class="fb-notes">{"".join(items)}</ul>', unsafe_allow_html=True)


def needs_category(ctx, on: date, *, limit: int = 5, title: str = "Needs a category") -> None:
    """Undecided rows of this period with one-tap category choices (nothing when there are none)."""
    with shown_errors():
        extras = _read(ctx, on)
        rows = extras.undecided.rows
        if not rows:
            return
        st.markdown(f"#### {title} · {len(rows)}")
        st.caption("Imported rows nothing could place. Until you choose, they count as everyday spending.")
        for row in rows[:limit]:
            text_col, *buttons = st.columns([3.2] + [1] * max(1, len(row.choices)), vertical_alignment="center")
            text_col.markdown(
                f"{ctx.fmt.day(row.occurred_on, ctx.today)} · {html_escape(row.description)} · {ctx.fmt.money_html(row.amount)}",
                unsafe_allow_html=True,
            )
            for (category_id, label), col in zip(row.choices, buttons):
                if col.button(label, key=f"decide_{row.id}_{category_id}", width="stretch"):
                    with shown_errors():
                        undecided.decide(ctx.access, [row.id], category_id)
                        done(f"{row.description}: {label}")
        if len(rows) > limit:
            st.page_link(
                "pages/5_Import.py", label=f"{len(rows) - limit} more on the Import page", icon=":material/upload_file:"
            )
