"""Every chart builds from plain frames, validates as Vega-Lite and renders to a PNG offline."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import polars as pl
import pytest
import vl_convert as vlc

from budget_core import analytics
from budget_core.analytics import charts
from budget_core.domain.allowance import DayTotal, Plan, month_overview
from budget_core.domain.projection import project_overview

ON = date(2026, 11, 18)
PLAN = Plan(monthly_income=520000, fixed_planned=150000, savings_goal=60000, period_start_day=1)
PNG_DIR = os.environ.get("BUDGET_CHART_PNG_DIR")  # set to keep the PNGs for a look


def _overview(daily_cents: int = 11000):
    totals = [
        DayTotal(date(2026, 11, d), "variable", daily_cents + (d % 4) * 1500 - (4000 if d == 9 else 0))
        for d in range(1, ON.day + 1)
    ]
    totals.append(DayTotal(date(2026, 11, 1), "fixed", 150000))
    return month_overview(PLAN, totals, ON)


def _tx() -> pl.DataFrame:
    rows = [
        (1, date(2026, 10, 3), "variable", "Groceries", None, "Mom", "Trader Joe's", 8450),
        (2, date(2026, 10, 9), "variable", "Coffee", "Dining", "Dad", "Coffee", 550),
        (3, date(2026, 11, 1), "fixed", "Housing", None, "Mom", "Rent", 150000),
        (4, date(2026, 11, 2), "variable", "Dining", None, "Emma", "Pizza night", 6200),
        (5, date(2026, 11, 3), "variable", "Coffee", "Dining", "Dad", "Coffee", 475),
        (6, date(2026, 11, 4), "savings", "Savings", None, "Mom", "To savings", 40000),
        (7, date(2026, 11, 1), "income", "Salary", None, "Dad", "Salary", 520000),
        (8, date(2026, 11, 7), "variable", "Groceries", None, "Leo", "=HYPERLINK()", -1200),
        (9, date(2026, 10, 1), "fixed", "Housing", None, "Mom", "Rent", 150000),
        (10, date(2026, 10, 1), "income", "Salary", None, "Dad", "Salary", 520000),
    ]
    frame = pl.DataFrame(
        rows,
        orient="row",
        schema=["id", "occurred_on", "kind", "category", "parent_category", "member", "description", "amount_minor"],
    )
    return frame.with_columns(pl.col("kind").cast(analytics.KIND), pl.lit("USD").alias("currency"))


def _all_charts(currency: str = "USD") -> dict:
    overview = _overview()
    insights = analytics.compute_insights(
        _tx(), family_id=1, plan=PLAN, currency=currency, overview=overview, date_from=date(2026, 10, 1), date_to=ON
    )
    drawn = dict(insights.charts)
    drawn["subcategory"] = insights.subcategory_chart("Dining")
    return drawn


CHART_NAMES = [
    "daily",
    "projection",
    "category",
    "member",
    "weekday",
    "month_over_month",
    "savings",
    "top_descriptions",
    "subcategory",
]


@pytest.mark.parametrize("name", CHART_NAMES)
def test_chart_has_a_title_container_width_and_tooltips(name):
    spec = _all_charts()[name].to_dict()  # to_dict validates against the Vega-Lite schema
    assert spec["title"]["text"]
    assert spec.get("width") == "container"
    assert "tooltip" in str(spec)


@pytest.mark.parametrize("name", CHART_NAMES)
def test_chart_renders_to_png_at_phone_width(name, tmp_path):
    chart = _all_charts()[name].properties(width=390)
    png = vlc.vegalite_to_png(chart.to_dict(), scale=1)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    out = Path(PNG_DIR) if PNG_DIR else tmp_path
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.png").write_bytes(png)


def test_currency_axes_use_the_familys_symbol_and_decimals():
    yen = charts.money_axis("JPY", "x", "en_JP").to_dict()["labelExpr"]
    dollars = charts.money_axis("USD", "x").to_dict()["labelExpr"]
    assert '"\\u00a5"' in yen and ",.0~f" in yen  # the symbol as a JSON string literal, no decimals
    assert '"$"' in dollars and ",.2~f" in dollars


def test_axis_labels_are_written_the_way_the_familys_locale_writes_money():
    import re

    frame = pl.DataFrame({"x": ["a", "b"], "y": [1234.5, 3000.0]})
    drawn = {}
    for currency, locale in (("EUR", "de_DE"), ("USD", "en_US"), ("JPY", "en_JP")):
        axis = charts.money_axis(currency, "t", locale)
        spec = charts.alt.Chart(frame).mark_bar().encode(x="x:N", y=charts.alt.Y("y:Q", axis=axis)).to_dict()
        drawn[currency] = re.findall(r"<text[^>]*>([^<]*)</text>", vlc.vegalite_to_svg(spec))
    assert "1.000\u00a0€" in drawn["EUR"] and "$1,000" in drawn["USD"] and "¥1,000" in drawn["JPY"]


def test_day_axes_name_the_months_the_way_the_familys_locale_does():
    import re
    from datetime import date

    frame = pl.DataFrame({"day": [date(2026, 11, 15), date(2026, 12, 14)], "y": [1, 2]})
    drawn = {}
    for locale in ("de_DE", "en_US", "ja_JP"):
        x = charts.alt.X("day:T", axis=charts.day_axis(locale, tickCount=3))
        spec = charts.alt.Chart(frame).mark_line().encode(x=x, y="y:Q").properties(width=400).to_dict()
        drawn[locale] = " | ".join(re.findall(r"<text[^>]*>([^<]*)</text>", vlc.vegalite_to_svg(spec)))
    assert drawn["de_DE"].startswith("15. Nov. | 22. Nov. | 29. Nov. | 6. Dez."), drawn  # Vega alone: 'Dec 06'
    assert drawn["en_US"].startswith("Nov 15 | Nov 22 | Nov 29 | Dec 6"), drawn
    assert drawn["ja_JP"].startswith("11月15日 | 11月22日"), drawn


def test_tooltips_show_exact_money_from_minor_units():
    spec = _all_charts()["category"].to_dict()
    values = next(iter(spec["datasets"].values()))
    assert {v["category"]: v["amount_label"] for v in values} == {
        "Housing": "$3,000.00",
        "Groceries": "$72.50",
        "Dining": "$72.25",
    }


def test_euro_family_charts_build():
    for chart in _all_charts("EUR").values():
        chart.to_dict()


def test_projection_subtitle_says_expected_range_and_run_out_day():
    overview = _overview(daily_cents=13000)  # above the pace the budget allows, not yet out
    p = project_overview(overview)
    text = charts.projection_summary(p, "USD")
    assert text.startswith("At this pace: ") and "by Nov 30" in text and "likely" in text
    assert p.on < p.runs_out_on <= p.period_end and "runs out" in text


def test_empty_frames_draw_a_message_instead_of_failing():
    empty = analytics.spending_by_category(_tx().clear())
    spec = charts.category_chart(empty, "USD").to_dict()
    assert next(iter(spec["datasets"].values()))[0]["message"] == "No spending in this range"
