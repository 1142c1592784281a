"""Small display pieces shared by the pages: the allowance card, stat tiles, money tables.

All of them take figures already computed by ``budget_core`` and only lay them out; user text is
escaped here.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import streamlit as st

from budget_core.domain.allowance import DailyBudget

from .format import KIND_LABELS, Fmt, html_escape, inert


def allowance_card(budget: DailyBudget, fmt: Fmt) -> None:
    """The headline: what is left today (or how far over) in the largest type; today's allowance
    and what was spent as the small print — each figure once. On the period's last day, a line says
    what the new period starts with."""
    over = budget.over_by > 0
    shown = budget.over_by if over else budget.left_today
    text = fmt.money(shown)
    size = " fb-longer" if len(text) > 15 else " fb-long" if len(text) > 11 else ""
    value = fmt.money_html(shown, test_id="fb-left-today")
    if over:
        head = f'<div class="fb-hero-label">Over by</div><div class="fb-hero-value fb-figure{size}">{value}'
        head += '<span class="fb-hero-unit"> today</span></div>'
    else:
        head = f'<div class="fb-hero-label">Left today</div><div class="fb-hero-value fb-figure{size}">{value}</div>'
    sub = (
        f"Today's allowance {fmt.money_html(budget.allowance_today, test_id='fb-allowance-today')}"
        f" · spent {fmt.money_html(budget.spent_today, test_id='fb-spent-today')}"
    )
    last_day = ""
    if budget.days_left == 1:
        next_day = budget.allowance_tomorrow_if(0)
        last_day = (
            '<p class="fb-hero-next" data-testid="fb-next-period">Last day of this period: what is left today is '
            f"all that is left of it. Tomorrow a new period starts with {fmt.money_html(budget.plan_spendable)} "
            f"for everyday spending, {fmt.money_html(next_day)} a day.</p>"
        )
    st.markdown(
        f'<div class="fb-hero{" fb-over" if over else ""}" data-testid="fb-allowance">{head}'
        f'<p class="fb-hero-sub fb-figure">{sub}</p>{last_day}</div>',
        unsafe_allow_html=True,
    )


def stat_tiles(tiles: Sequence[tuple[str, str, str]]) -> None:
    """Tiles of (label, value HTML, test id); values are already-escaped HTML."""
    cells = "".join(
        f'<div class="fb-stat" data-testid="{tid}"><div class="fb-stat-label">{inert(label)}</div>'
        f'<div class="fb-stat-value">{value}</div></div>'
        for label, value, tid in tiles
    )
    st.markdown(f'<div class="fb-stats">{cells}</div>', unsafe_allow_html=True)


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    numeric: Sequence[int] = (),
    narrow_hidden: Sequence[int] = (),
    test_id: str = "fb-table",
    footer: Sequence[str] | None = None,
) -> None:
    """An HTML table; cells are already-escaped HTML. ``numeric`` columns are right-aligned,
    ``narrow_hidden`` columns disappear on a phone-sized screen; ``footer`` is a totals row."""

    def cls(i: int) -> str:
        names = (["num"] if i in numeric else []) + (["fb-hide-narrow"] if i in narrow_hidden else [])
        return f' class="{" ".join(names)}"' if names else ""

    head = "".join(f"<th{cls(i)}>{inert(h)}</th>" for i, h in enumerate(headers))
    head_row = f"<thead><tr>{head}</tr></thead>" if any(headers) else ""
    body = "".join("<tr>" + "".join(f"<td{cls(i)}>{c}</td>" for i, c in enumerate(row)) + "</tr>" for row in rows)
    foot = (
        "<tfoot><tr>" + "".join(f"<td{cls(i)}>{c}</td>" for i, c in enumerate(footer)) + "</tr></tfoot>"
        if footer
        else ""
    )
    st.markdown(
        f'<table class="fb-table" data-testid="{test_id}">{head_row}<tbody>{body}</tbody>{foot}</table>',
        unsafe_allow_html=True,
    )


def kinds_table(budget: DailyBudget, fmt: Fmt) -> None:
    """Planned against actual, period to date, for each kind of money."""
    rows = []
    for item in budget.spent_by_kind:
        rows.append(
            [
                html_escape(KIND_LABELS[item.kind]),
                fmt.money_html(item.planned),
                fmt.money_html(item.actual),
                fmt.money_html(item.left)
                if item.kind != "income"
                else f'<span class="fb-muted">{"received" if item.income_received else "still to come"}</span>',
            ]
        )
    table(["", "Planned", "So far", "Left"], rows, numeric=(1, 2, 3), test_id="fb-kinds")


_SPECS: dict[int, tuple[object, dict]] = {}  # id(chart) -> (the chart, kept so the id stays its own; spec)
_SPECS_LOCK = threading.Lock()


def chart(figure, name: str) -> None:
    """Draw an Altair chart across its column at the height it asks for — every chart of every page
    goes through here. ``name`` keys its container (``st-key-fb_chart_<name>``), which is how the
    browser tests find each chart to measure it.

    Streamlit 1.67 sizes charts with autosize "fit", which squeezes a chart's title, legend and
    axes into its ``height`` and leaves the plot a sliver; "fit-x" fits only the width. The
    Vega-Lite spec is made once per chart object, under a lock: charts are cached by the family's
    version (``analytics.today_charts``), so the members who redraw after one change share one
    spec instead of each paying for it at the same moment. Altair's schema validation is skipped
    here (it was half the cost); the tests validate every chart against the Vega-Lite schema.
    """
    import altair as alt

    with _SPECS_LOCK:
        held = _SPECS.get(id(figure))
        if held is not None and held[0] is figure:
            spec = held[1]
        else:
            spec = figure.properties(autosize=alt.AutoSizeParams(type="fit-x", contains="padding")).to_dict(
                validate=False
            )
            if len(_SPECS) > 400:
                _SPECS.clear()
            _SPECS[id(figure)] = (figure, spec)
    with st.container(key=f"fb_chart_{name}"):
        st.vega_lite_chart(spec, width="stretch")
