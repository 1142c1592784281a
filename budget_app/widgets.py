"""Small display pieces shared by the pages: the allowance card, stat tiles, money tables.

All of them take figures already computed by ``budget_core`` and only lay them out; user text is
escaped here.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import streamlit as st

from budget_core.domain.allowance import DailyBudget

from .format import KIND_LABELS, inert, money_html


def allowance_card(budget: DailyBudget, currency: str) -> None:
    """Today's allowance in large type, with what is left (or how far over) underneath."""
    over = budget.over_by > 0
    if over:
        sub = f"Over by {money_html(budget.over_by, currency)} today"
    else:
        sub = f"{money_html(budget.left_today, currency)} left today"
    st.markdown(
        f'<div class="fb-hero{" fb-over" if over or budget.allowance_today < 0 else ""}" data-testid="fb-allowance">'
        f'<div class="fb-hero-label">You can spend today</div>'
        f'<div class="fb-hero-value">{money_html(budget.allowance_today, currency)}</div>'
        f'<div class="fb-hero-sub">{sub}</div></div>',
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
) -> None:
    """An HTML table; cells are already-escaped HTML. ``numeric`` columns are right-aligned,
    ``narrow_hidden`` columns disappear on a phone-sized screen."""

    def cls(i: int) -> str:
        names = (["num"] if i in numeric else []) + (["fb-hide-narrow"] if i in narrow_hidden else [])
        return f' class="{" ".join(names)}"' if names else ""

    head = "".join(f"<th{cls(i)}>{inert(h)}</th>" for i, h in enumerate(headers))
    head_row = f"<thead><tr>{head}</tr></thead>" if any(headers) else ""
    body = "".join("<tr>" + "".join(f"<td{cls(i)}>{c}</td>" for i, c in enumerate(row)) + "</tr>" for row in rows)
    st.markdown(
        f'<table class="fb-table" data-testid="{test_id}">{head_row}<tbody>{body}</tbody></table>',
        unsafe_allow_html=True,
    )


def kinds_table(budget: DailyBudget, currency: str) -> None:
    """Planned against actual, period to date, for each kind of money."""
    rows = []
    for item in budget.spent_by_kind:
        rows.append(
            [
                inert(KIND_LABELS[item.kind]),
                money_html(item.planned, currency),
                money_html(item.actual, currency),
                money_html(item.left, currency)
                if item.kind != "income"
                else f'<span class="fb-muted">{"received" if item.income_received else "still to come"}</span>',
            ]
        )
    table(["", "Planned", "So far", "Left"], rows, numeric=(1, 2, 3), test_id="fb-kinds")


_SPECS: dict[int, tuple[object, dict]] = {}  # id(chart) -> (the chart, kept so the id stays its own; spec)
_SPECS_LOCK = threading.Lock()


def chart(figure) -> None:
    """Draw an Altair chart across its column at the height it asks for.

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
    st.vega_lite_chart(spec, width="stretch")
