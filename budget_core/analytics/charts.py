"""Altair chart builders: a frame (money in integer minor units) in, a chart out.

No Streamlit, no database: a notebook and a page draw the same chart. Every chart has a title,
axis titles, currency-formatted axes and tooltips (the tooltip amounts are formatted exactly from
minor units by :func:`budget_core.domain.money.format_money`; the float columns exist only to place
marks). Widths are ``"container"`` so a chart fills a 390 px phone as well as a desktop column;
call ``.properties(width=…)`` for a fixed size (PNG export, notebooks). Money and dates are written
in the family's ``locale`` (default: the currency's own). No colour is chosen for text, axes or
titles, so the theme (light or dark) colours them; marks use colours that read on both.

The frame each builder expects is the one :mod:`budget_core.analytics.queries` returns under the same
name; columns ending in ``_minor`` are integer minor units.
"""

from __future__ import annotations

import json
import re
from datetime import date

import altair as alt

# Altair looks pandas up in sys.modules without the import lock; if another thread (another
# browser session) is importing pandas at that moment, Altair finds it half-initialised and fails
# ("partially initialized module 'pandas'"). Importing it here, under the lock, rules that out.
import pandas  # noqa: F401
import polars as pl
from babel import Locale
from babel.dates import format_skeleton, get_month_names

from ..domain.allowance import KIND_LABELS
from ..domain.locale import separators
from ..domain.money import decimals, format_money
from ..domain.projection import Projection, cone

Figure = alt.TopLevelMixin  # what every builder returns: a Chart, a LayerChart …, ready to draw

KIND_COLORS = {"variable": "#4C78A8", "fixed": "#B279A2", "savings": "#54A24B", "income": "#F58518"}
WITHIN, OVER, PACE, ALLOWANCE = (  # short, so two fit side by side on a phone
    "Within allowance",
    "Over allowance",
    "At this pace",
    "Daily allowance",
)
ROW_HEIGHT = 24
ALLOWANCE_COLOR = "#D98C1F"  # amber: stands out from the bars on a light and on a dark background
NEUTRAL = "#7B7B7B"  # mid grey: subtitles, rules, their labels and messages, legible on either background


def money_axis(currency: str, title: str, locale: str | None = None, **kwargs) -> alt.Axis:
    """An axis labelled in ``currency`` the way ``locale`` writes it: '$1,200', '-€35.5' (en),
    '1.200 €' (de_DE), '¥1,500' — trailing zeros trimmed."""
    sample = format_money(100, currency, locale)  # where the symbol goes: '$1.00', '1,00 €', 'CHF 1.00'
    digits = re.search(r"\d[\d.,'\u00a0\u202f\u2019 ]*\d|\d", sample)
    prefix, suffix = (sample[: digits.start()], sample[digits.end() :]) if digits else ("", "")
    point, group = separators(locale) if locale else (".", ",")
    number = f"format(abs(datum.value), {json.dumps(f',.{decimals(currency)}~f')})"
    if (point, group) != (".", ","):  # d3 writes '1,234.5': swap in the locale's separators
        number = (
            f"replace(replace(replace({number}, regexp('\\\\.', 'g'), '\\u0001'), regexp(',', 'g'), "
            f"{json.dumps(group)}), regexp('\\u0001', 'g'), {json.dumps(point)})"
        )
    expr = f"(datum.value < 0 ? '-' : '') + {json.dumps(prefix)} + {number} + {json.dumps(suffix)}"
    return alt.Axis(title=title, labelExpr=expr, **kwargs)


def with_money(df: pl.DataFrame, currency: str, *columns: str, locale: str | None = None) -> pl.DataFrame:
    """Add ``<name>`` (float, major units, display only) and ``<name>_label`` for each ``<name>_minor``."""
    places = decimals(currency)
    out = []
    for col in columns:
        base = col.removesuffix("_minor")
        out.append((pl.col(col) / 10**places).round(places).alias(base))
        out.append(
            pl.col(col)
            .map_elements(lambda v: "" if v is None else format_money(v, currency, locale), return_dtype=pl.String)
            .alias(f"{base}_label")
        )
    return df.with_columns(out)


def _kind_color(kinds: list[str], title: str = "Kind") -> alt.Color:
    present = [k for k in KIND_COLORS if k in kinds]
    return alt.Color(
        "kind_label:N",
        title=title,
        scale=alt.Scale(domain=[KIND_LABELS[k] for k in present], range=[KIND_COLORS[k] for k in present]),
        legend=alt.Legend(orient="bottom", direction="horizontal", titleOrient="left"),
    )


def _kind_labels(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(pl.col("kind").cast(pl.String).replace_strict(KIND_LABELS, default="").alias("kind_label"))


def _title(text: str, subtitle: str | list[str] | None = None) -> alt.TitleParams:
    return alt.TitleParams(text, subtitle=subtitle or "", anchor="start", subtitleColor=NEUTRAL)


def _empty(title: str, message: str) -> Figure:
    return (
        alt.Chart(pl.DataFrame({"message": [message]}))
        .mark_text(size=14, color=NEUTRAL)
        .encode(text="message:N")
        .properties(title=_title(title), width="container", height=80)
    )


def _day(d: date, locale: str | None = None) -> str:
    """'Nov 18' (en_US), '18. Nov.' (de_DE)."""
    return format_skeleton("MMMd", d, locale=locale or "en_US")


def day_axis(locale: str | None = None, **kwargs) -> alt.Axis:
    """A time axis whose ticks read as ``locale`` writes a day of a month: 'Nov 18' (en_US), '18. Nov.'
    (de_DE), '11月18日' (ja_JP). Vega's own time format only knows English month names, so the label is
    a Vega expression built from Babel's pattern and month names."""
    code = locale or "en_US"
    months = list(get_month_names("abbreviated", context="format", locale=code).values())
    parts = {
        "MMM": f"{json.dumps(months, ensure_ascii=False)}[month(datum.value)]",
        "LLL": f"{json.dumps(months, ensure_ascii=False)}[month(datum.value)]",
        "M": "(month(datum.value) + 1)",
        "MM": "pad(month(datum.value) + 1, 2, '0', 'left')",
        "d": "date(datum.value)",
        "dd": "pad(date(datum.value), 2, '0', 'left')",
    }
    pattern = Locale.parse(code).datetime_skeletons["MMMd"].format  # '%(d)s. %(MMM)s'
    pieces = []
    for i, chunk in enumerate(re.split(r"%\((\w+)\)s", pattern)):
        if i % 2:
            pieces.append(parts.get(chunk, "''"))
        elif chunk:
            pieces.append(json.dumps(chunk, ensure_ascii=False))
    return alt.Axis(labelExpr=" + ".join(pieces) or "''", **kwargs)


def span(date_from: date, date_to: date, locale: str | None = None) -> str:
    """'Oct 1 – Nov 18, 2026' (both inclusive); the year on both ends when they differ."""
    year = lambda d: format_skeleton("yMMMd", d, locale=locale or "en_US")  # noqa: E731
    if date_from.year == date_to.year:
        return f"{_day(date_from, locale)} – {year(date_to)}"
    return f"{year(date_from)} – {year(date_to)}"


def projection_summary(p: Projection, currency: str, locale: str | None = None) -> str:
    """One sentence: 'At this pace: $2,345 by Nov 30 (likely $2,100–$2,600) of $2,500 · runs out Nov 28'."""
    first, second = projection_lines(p, currency, locale)
    return f"{first} {second}" if second.startswith("(") else f"{first} · {second}" if second else first


def projection_lines(p: Projection, currency: str, locale: str | None = None) -> list[str]:
    """The same in two short lines, for a chart's subtitle on a phone: 'At this pace: $2,345 by
    Nov 30 of $2,500' / '(likely $2,100–$2,600) · runs out Nov 28'."""
    money = lambda v: format_money(v, currency, locale)  # noqa: E731
    _d = lambda d: _day(d, locale)  # noqa: E731
    first = f"At this pace: {money(p.expected)} by {_d(p.period_end)}"
    second = f"(likely {money(p.low)}–{money(p.high)})" if p.has_range else ""
    first += f" of {money(p.budget)}"
    if p.runs_out_on is not None:
        out = f"ran out {_d(p.runs_out_on)}" if p.runs_out_on <= p.on else f"runs out {_d(p.runs_out_on)}"
        second = f"{second} · {out}" if second else out
    return [first, second] if second else [first]


def daily_allowance_chart(
    daily: pl.DataFrame, projection: Projection, currency: str, locale: str | None = None
) -> Figure:
    """Each day's variable spending against that day's allowance, with the current pace ahead.

    ``daily``: one row per day of the period with ``day`` (Date), ``allowance_minor``,
    ``spent_minor``, ``projected`` (Boolean: after today) — ``queries.daily_frame`` of the
    budget overview, so the allowance drawn is the one the Today page shows.
    """
    pace_minor = int(projection.pace) if projection.remaining_days else 0
    # Ahead of today the overview's allowance assumes nothing more is spent, so it climbs towards
    # the whole pool on the last day; drawn, that reads as a promise. What a family can plan on is
    # today's allowance: spending exactly it each day keeps it (about) the same to the end.
    today_allowance = daily.filter(~pl.col("projected")).get_column("allowance_minor")[-1]
    daily = daily.with_columns(
        pl.when(pl.col("projected"))
        .then(pl.lit(today_allowance, dtype=pl.Int64))
        .otherwise(pl.col("allowance_minor"))
        .alias("allowance_minor")
    )
    frame = daily.with_columns(
        pl.when(pl.col("projected"))
        .then(pl.lit(PACE))
        .when(pl.col("spent_minor") > pl.col("allowance_minor"))
        .then(pl.lit(OVER))
        .otherwise(pl.lit(WITHIN))
        .alias("series"),
        pl.when(pl.col("projected"))
        .then(pl.lit(pace_minor, dtype=pl.Int64))
        .otherwise(pl.col("spent_minor"))
        .alias("bar_minor"),
        pl.when(pl.col("projected"))
        .then(pl.lit("Allowance if you keep to today's"))
        .otherwise(pl.lit("Allowance that day"))
        .alias("allowance_note"),
    )
    frame = with_money(frame, currency, "bar_minor", "allowance_minor", locale=locale).with_columns(
        pl.col("day").map_elements(lambda d: _day(d, locale), return_dtype=pl.String).alias("day_label")
    )
    color = alt.Color(
        "series:N",
        title=None,
        scale=alt.Scale(
            domain=[WITHIN, OVER, PACE, ALLOWANCE], range=["#4C78A8", "#E45756", "#BAB0AC", ALLOWANCE_COLOR]
        ),
        legend=alt.Legend(orient="bottom", columns=2, symbolType="square"),
    )
    x = alt.X(
        "day:T", title=None, axis=alt.Axis(format="%-d", labelOverlap=True, tickCount=8, title="Day of the period")
    )
    base = alt.Chart(frame)
    bars = base.mark_bar(cornerRadiusTopLeft=2, cornerRadiusTopRight=2).encode(
        x=x,
        y=alt.Y("bar:Q", axis=money_axis(currency, "Spent per day", locale)),
        color=color,
        opacity=alt.condition("datum.projected", alt.value(0.55), alt.value(1.0)),
        tooltip=[
            alt.Tooltip("day_label:N", title="Day"),
            alt.Tooltip("series:N", title="What"),
            alt.Tooltip("bar_label:N", title="Amount"),
            alt.Tooltip("allowance_label:N", title="Allowance"),
        ],
    )
    allowance = (
        base.transform_calculate(series=f"'{ALLOWANCE}'")
        .mark_line(interpolate="step", strokeWidth=2)
        .encode(
            x=x,
            y=alt.Y("allowance:Q"),
            color=color,
            strokeDash=alt.StrokeDash(
                "projected:N", legend=None, scale=alt.Scale(domain=[False, True], range=[[1, 0], [4, 3]])
            ),
            tooltip=[
                alt.Tooltip("day_label:N", title="Day"),
                alt.Tooltip("allowance_note:N", title="What"),
                alt.Tooltip("allowance_label:N", title="Allowance"),
            ],
        )
    )
    chart = alt.layer(bars, allowance).properties(
        title=_title("Daily spending vs allowance", projection_lines(projection, currency, locale)),
        width="container",
        height=220,
    )
    return chart


def projection_chart(daily: pl.DataFrame, projection: Projection, currency: str, locale: str | None = None) -> Figure:
    """Cumulative variable spending this period, the expected path at this pace with its likely range,
    and the period's variable budget as a line."""
    observed = (
        daily.filter(~pl.col("projected"))
        .select("day", pl.col("spent_minor").cum_sum().alias("value_minor"))
        .with_columns(
            pl.lit("Spent so far").alias("series"),
            pl.col("value_minor").alias("low_minor"),
            pl.col("value_minor").alias("high_minor"),
        )
    )
    ahead = pl.DataFrame(
        cone(projection), schema=["day", "value_minor", "low_minor", "high_minor"], orient="row"
    ).with_columns(pl.lit("Expected at this pace").alias("series"))
    frame = with_money(
        pl.concat([observed, ahead], how="diagonal_relaxed"),
        currency,
        "value_minor",
        "low_minor",
        "high_minor",
        locale=locale,
    ).with_columns(pl.col("day").map_elements(lambda d: _day(d, locale), return_dtype=pl.String).alias("day_label"))
    x = alt.X("day:T", axis=day_axis(locale, labelOverlap=True, tickCount=6), title=None)
    color = alt.Color(
        "series:N",
        title=None,
        scale=alt.Scale(domain=["Spent so far", "Expected at this pace"], range=["#4C78A8", "#888888"]),
        legend=alt.Legend(orient="bottom"),
    )
    tips = [
        alt.Tooltip("day_label:N", title="Day"),
        alt.Tooltip("series:N", title="What"),
        alt.Tooltip("value_label:N", title="Total"),
        alt.Tooltip("low_label:N", title="Likely from"),
        alt.Tooltip("high_label:N", title="Likely up to"),
    ]
    base = alt.Chart(frame)
    band = (
        base.transform_filter("datum.series == 'Expected at this pace'")
        .mark_area(opacity=0.2, color="#888888")
        .encode(x=x, y=alt.Y("low:Q"), y2="high:Q", tooltip=tips)
    )
    lines = base.mark_line(point=alt.OverlayMarkDef(size=18)).encode(
        x=x,
        y=alt.Y("value:Q", axis=money_axis(currency, "Spent this period (cumulative)", locale)),
        color=color,
        strokeDash=alt.StrokeDash(
            "series:N",
            legend=None,
            scale=alt.Scale(domain=["Spent so far", "Expected at this pace"], range=[[1, 0], [5, 4]]),
        ),
        tooltip=tips,
    )
    budget = alt.Chart(
        pl.DataFrame(
            {
                "budget": [projection.budget / 10 ** decimals(currency)],
                "label": [f"Budget {format_money(projection.budget, currency, locale)}"],
            }
        )
    )
    rule = budget.mark_rule(color="#E45756", strokeDash=[2, 2]).encode(
        y="budget:Q", tooltip=alt.Tooltip("label:N", title="Variable budget")
    )
    text = budget.mark_text(align="left", dx=4, dy=-6, color="#E45756", fontSize=11).encode(
        y="budget:Q", x=alt.value(0), text="label:N"
    )
    return alt.layer(band, lines, rule, text).properties(
        title=_title("End-of-period projection", projection_lines(projection, currency, locale)),
        width="container",
        height=240,
    )


def category_chart(
    by_category: pl.DataFrame,
    currency: str,
    *,
    title: str = "Spending by category",
    subtitle: str | None = None,
    name_field: str = "category",
    locale: str | None = None,
) -> Figure:
    """Horizontal bars, largest first, coloured by kind. ``by_category``: ``category``, ``kind``,
    ``amount_minor``, ``transactions``, ``share`` (0–1)."""
    if by_category.is_empty():
        return _empty(title, "No spending in this range")
    frame = _kind_labels(with_money(by_category, currency, "amount_minor", locale=locale)).with_columns(
        (pl.col("share") * 100).round(1).alias("share_pct")
    )
    n = frame.get_column(name_field).n_unique()
    return (
        alt.Chart(frame)
        .mark_bar(cornerRadiusEnd=2)
        .encode(
            y=alt.Y(f"{name_field}:N", sort="-x", title=None, axis=alt.Axis(labelLimit=140)),
            x=alt.X("sum(amount):Q", axis=money_axis(currency, "Spent", locale, tickCount=4)),
            color=_kind_color(frame.get_column("kind").cast(pl.String).to_list()),
            tooltip=[
                alt.Tooltip(f"{name_field}:N", title="Category"),
                alt.Tooltip("kind_label:N", title="Kind"),
                alt.Tooltip("amount_label:N", title="Spent"),
                alt.Tooltip("share_pct:Q", title="Share of spending (%)", format=".1f"),
                alt.Tooltip("transactions:Q", title="Transactions"),
            ],
        )
        .properties(title=_title(title, subtitle), width="container", height=max(80, ROW_HEIGHT * n))
    )


def subcategory_chart(by_subcategory: pl.DataFrame, parent: str, currency: str, locale: str | None = None) -> Figure:
    """Drill-down: the subcategories of ``parent`` (spending booked on ``parent`` itself shows as
    '(parent itself)'). ``by_subcategory``: ``parent_category``, ``subcategory``, ``kind``,
    ``amount_minor``, ``transactions``, ``share`` (of the parent)."""
    rows = by_subcategory.filter(pl.col("parent_category") == parent)
    return category_chart(rows, currency, title=f"{parent}: by subcategory", name_field="subcategory", locale=locale)


def member_chart(by_member: pl.DataFrame, currency: str, locale: str | None = None) -> Figure:
    """Who spent what: ``member``, ``kind``, ``amount_minor``, ``transactions``."""
    title = "Spending by member"
    if by_member.is_empty():
        return _empty(title, "No spending in this range")
    frame = _kind_labels(with_money(by_member, currency, "amount_minor", locale=locale))
    n = frame.get_column("member").n_unique()
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("member:N", sort="-x", title=None),
            x=alt.X("sum(amount):Q", stack="zero", axis=money_axis(currency, "Spent", locale, tickCount=4)),
            color=_kind_color(frame.get_column("kind").cast(pl.String).to_list()),
            order=alt.Order("kind_label:N"),
            tooltip=[
                alt.Tooltip("member:N", title="Member"),
                alt.Tooltip("kind_label:N", title="Kind"),
                alt.Tooltip("amount_label:N", title="Spent"),
                alt.Tooltip("transactions:Q", title="Transactions"),
            ],
        )
        .properties(
            title=_title(title, "Fixed and everyday spending, net of refunds"),
            width="container",
            height=max(80, 36 * n),
        )
    )


def weekday_chart(by_weekday: pl.DataFrame, currency: str, locale: str | None = None) -> Figure:
    """Average everyday spending per weekday: ``weekday`` (1 = Monday), ``weekday_name``,
    ``amount_minor``, ``days``, ``average_minor``."""
    title = "Everyday spending by weekday"
    frame = with_money(by_weekday, currency, "average_minor", "amount_minor", locale=locale)
    order = frame.sort("weekday").get_column("weekday_name").to_list()
    return (
        alt.Chart(frame)
        .mark_bar(color=KIND_COLORS["variable"])
        .encode(
            x=alt.X("weekday_name:N", sort=order, title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("average:Q", axis=money_axis(currency, "Average per day", locale, tickCount=4)),
            tooltip=[
                alt.Tooltip("weekday_name:N", title="Weekday"),
                alt.Tooltip("average_label:N", title="Average"),
                alt.Tooltip("amount_label:N", title="Total"),
                alt.Tooltip("days:Q", title="Days in range"),
            ],
        )
        .properties(
            title=_title(title, "Average variable spending on each weekday in the range"), width="container", height=200
        )
    )


def period_chart(by_period: pl.DataFrame, currency: str, locale: str | None = None) -> Figure:
    """Month over month (budget periods): fixed and everyday spending stacked, income as a line.
    ``by_period``: ``label``, ``period_start``, ``fixed_minor``, ``variable_minor``, ``income_minor``,
    ``savings_minor``, ``spending_minor``, ``change`` (vs previous period, fraction or null), ``complete``."""
    title = "Month over month"
    if by_period.is_empty():
        return _empty(title, "No transactions in this range")
    frame = with_money(by_period, currency, "spending_minor", "income_minor", "savings_minor", locale=locale)
    frame = frame.with_columns(
        pl.when(pl.col("complete")).then(pl.col("label")).otherwise(pl.col("label") + " (partial)").alias("label"),
        pl.when(pl.col("change").is_null())
        .then(pl.lit("–"))
        .otherwise((pl.col("change") * 100).round(1).cast(pl.String) + "%")
        .alias("change_label"),
    )
    long = frame.unpivot(
        index=["label", "period_start", "spending_label", "income_label", "savings_label", "change_label"],
        on=["fixed_minor", "variable_minor"],
        variable_name="kind",
        value_name="amount_minor",
    ).with_columns(pl.col("kind").str.replace("_minor", ""))
    long = _kind_labels(with_money(long, currency, "amount_minor", locale=locale))
    order = frame.sort("period_start").get_column("label").to_list()
    x = alt.X("label:N", sort=order, title=None, axis=alt.Axis(labelAngle=-30, labelLimit=90))
    tips = [
        alt.Tooltip("label:N", title="Period"),
        alt.Tooltip("spending_label:N", title="Spent"),
        alt.Tooltip("change_label:N", title="Change in spending"),
        alt.Tooltip("income_label:N", title="Income"),
        alt.Tooltip("savings_label:N", title="Saved"),
    ]
    bars = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=x,
            y=alt.Y("sum(amount):Q", axis=money_axis(currency, "Amount", locale, tickCount=5)),
            color=_kind_color(["fixed", "variable", "income"]),
            tooltip=[alt.Tooltip("kind_label:N", title="Kind"), alt.Tooltip("amount_label:N", title="Amount"), *tips],
        )
    )
    income = (
        alt.Chart(frame.with_columns(pl.lit(KIND_LABELS["income"]).alias("kind_label")))
        .mark_line(point=True, strokeWidth=2)
        .encode(x=x, y="income:Q", color=alt.Color("kind_label:N"), tooltip=tips)
    )
    return alt.layer(bars, income).properties(
        title=_title(title, "Spending by budget period, with income"), width="container", height=240
    )


def savings_chart(savings: pl.DataFrame, currency: str, locale: str | None = None) -> Figure:
    """Saved per budget period against the savings goal: ``label``, ``period_start``,
    ``saved_minor``, ``goal_minor``, ``cumulative_minor``, ``progress`` (fraction of goal or null)."""
    title = "Savings progress"
    if savings.is_empty():
        return _empty(title, "Nothing saved in this range yet")
    frame = with_money(savings, currency, "saved_minor", "goal_minor", "cumulative_minor", locale=locale).with_columns(
        pl.when(pl.col("progress").is_null())
        .then(pl.lit("no goal"))
        .otherwise((pl.col("progress") * 100).round(0).cast(pl.Int64).cast(pl.String) + "% of goal")
        .alias("progress_label")
    )
    order = frame.sort("period_start").get_column("label").to_list()
    x = alt.X("label:N", sort=order, title=None, axis=alt.Axis(labelAngle=-30, labelLimit=90))
    tips = [
        alt.Tooltip("label:N", title="Period"),
        alt.Tooltip("saved_label:N", title="Saved"),
        alt.Tooltip("goal_label:N", title="Goal"),
        alt.Tooltip("progress_label:N", title="Progress"),
        alt.Tooltip("cumulative_label:N", title="Saved in range so far"),
    ]
    bars = (
        alt.Chart(frame)
        .mark_bar(color=KIND_COLORS["savings"])
        .encode(x=x, y=alt.Y("saved:Q", axis=money_axis(currency, "Saved", locale, tickCount=5)), tooltip=tips)
    )
    goal_minor = int(frame.get_column("goal_minor")[0])
    goal_label = f"Goal {format_money(goal_minor, currency, locale)} a period"
    goal = alt.Chart(pl.DataFrame({"goal": [frame.get_column("goal")[0]], "label": [goal_label]}))
    rule = goal.mark_rule(color=NEUTRAL, strokeDash=[4, 3], strokeWidth=1.5).encode(
        y="goal:Q", tooltip=alt.Tooltip("label:N", title="Savings goal")
    )
    text = goal.mark_text(align="left", dx=4, dy=-6, fontSize=11, color=NEUTRAL).encode(
        y="goal:Q", x=alt.value(0), text="label:N"
    )
    layers = [bars, rule, text] if goal_minor > 0 else [bars]
    return alt.layer(*layers).properties(
        title=_title(title, "Saved per budget period, against the plan's savings goal"), width="container", height=220
    )


def top_descriptions_chart(top: pl.DataFrame, currency: str, locale: str | None = None) -> Figure:
    """The descriptions (merchants) money went to most: ``description``, ``transactions``,
    ``amount_minor``, ``last_on``."""
    title = "Top merchants and descriptions"
    if top.is_empty():
        return _empty(title, "No spending in this range")
    frame = with_money(top, currency, "amount_minor", locale=locale).with_columns(pl.col("last_on").cast(pl.String))
    return (
        alt.Chart(frame)
        .mark_bar(color=KIND_COLORS["variable"])
        .encode(
            y=alt.Y("description:N", sort="-x", title=None, axis=alt.Axis(labelLimit=140)),
            x=alt.X("amount:Q", axis=money_axis(currency, "Spent", locale, tickCount=4)),
            tooltip=[
                alt.Tooltip("description:N", title="Description"),
                alt.Tooltip("amount_label:N", title="Spent"),
                alt.Tooltip("transactions:Q", title="Transactions"),
                alt.Tooltip("last_on:N", title="Last"),
            ],
        )
        .properties(
            title=_title(title, "Everyday spending, net of refunds"),
            width="container",
            height=max(80, ROW_HEIGHT * frame.height),
        )
    )
