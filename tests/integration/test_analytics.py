"""Insights queries against a small family whose every figure is computed by hand below.

Smiths (USD, periods start on the 1st, income $5,200, savings goal $600, rent $1,500 planned):

    date        member  category          kind      amount    description
    2026-10-01  Mom     Housing           fixed     1500.00   Rent
    2026-10-01  Mom     Salary            income    5200.00   Salary
    2026-10-05  Dad     Groceries         variable    80.00   Supermarket
    2026-10-28  Mom     Savings           savings    500.00   Transfer to savings
    2026-11-01  Mom     Housing           fixed     1500.00   Rent           (Sun)
    2026-11-01  Mom     Salary            income    5200.00   Salary
    2026-11-02  Dad     Groceries         variable   120.00   Supermarket    (Mon)
    2026-11-02  Mom     Dining › Coffee   variable     4.50   Coffee         (Mon)
    2026-11-03  Dad     Dining › Coffee   variable     5.50   coffee         (Tue)
    2026-11-06  Mom     Dining            variable    60.00   Pizza night    (Fri)
    2026-11-07  Dad     Groceries refund  variable   -20.00   Supermarket    (Sat)
    2026-11-09  Mom     Savings           savings    300.00   Transfer to savings
    2026-11-09  Dad     Transport         variable    40.00   Bus pass       (Mon)
    2026-11-12  Dad     Fun               variable    99.00   After the range end (Nov 10)

Eve's family has a transaction too; it must never show up.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest

from budget_core import analytics
from budget_core.errors import PermissionDenied, ValidationError
from budget_core.services import budgets, categories, members, transactions
from budget_core.services.access import open_family
from budget_core.services.transactions import TransactionDraft

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
ON = date(2026, 11, 10)
NOV = (date(2026, 11, 1), ON)


def _add(home, who, category, amount, description, day, refund=False, family=None):
    transactions.add_transaction(
        open_family(home.engine, who.id, family or home.family.id),
        TransactionDraft(amount, description, category, day, refund=refund),
        now=NOW,
    )


@pytest.fixture
def smiths(home):
    fam, mom, dad = home.family.id, home.mom, home.dad
    categories.add_category(open_family(home.engine, mom.id, fam), "Coffee", parent="Dining")
    rows = [
        (mom, "Housing", 150000, "Rent", date(2026, 10, 1)),
        (mom, "Salary", 520000, "Salary", date(2026, 10, 1)),
        (dad, "Groceries", 8000, "Supermarket", date(2026, 10, 5)),
        (mom, "Savings", 50000, "Transfer to savings", date(2026, 10, 28)),
        (mom, "Housing", 150000, "Rent", date(2026, 11, 1)),
        (mom, "Salary", 520000, "Salary", date(2026, 11, 1)),
        (dad, "Groceries", 12000, "Supermarket", date(2026, 11, 2)),
        (mom, "Dining › Coffee", 450, "Coffee", date(2026, 11, 2)),
        (dad, "Dining › Coffee", 550, "coffee ", date(2026, 11, 3)),
        (mom, "Dining", 6000, "Pizza night", date(2026, 11, 6)),
        (mom, "Savings", 30000, "Transfer to savings", date(2026, 11, 9)),
        (dad, "Transport", 4000, "Bus pass", date(2026, 11, 9)),
        (dad, "Fun", 9900, "After the range end", date(2026, 11, 12)),
    ]
    for who, category, amount, description, day in rows:
        _add(home, who, category, amount, description, day)
    _add(home, dad, "Groceries", 2000, "Supermarket", date(2026, 11, 7), refund=True)
    _add(home, home.eve, "Dining", 777700, "Someone else's dinner", date(2026, 11, 5), family=home.other.id)
    return home


def _rows(frame: pl.DataFrame, *cols: str) -> list[tuple]:
    return [tuple(r) for r in frame.select(cols).iter_rows()]


def test_load_returns_one_family_inclusive_range_with_typed_columns(smiths):
    tx = analytics.load_transactions(smiths.access(), date(2026, 11, 2), date(2026, 11, 9))
    assert tx.height == 7  # Nov 2 and Nov 9 both included; Eve's dinner never
    assert tx.schema["occurred_on"] == pl.Date
    assert tx.schema["kind"] == analytics.KIND
    assert tx.schema["member"] == pl.Categorical and tx.schema["category"] == pl.Categorical
    assert tx.schema["amount_minor"] == pl.Int64 and tx.schema["amount"] == pl.Float64
    assert tx.get_column("occurred_on").is_sorted()
    assert set(tx.get_column("currency").cast(pl.String)) == {"USD"}
    coffee = tx.filter(pl.col("category") == "Coffee")
    assert set(coffee.get_column("parent_category").cast(pl.String)) == {"Dining"}
    refund = tx.filter(pl.col("amount_minor") < 0)
    assert _rows(refund, "description", "amount_minor", "amount") == [("Supermarket", -2000, -20.0)]
    assert tx.get_column("amount_minor").sum() == 12000 + 450 + 550 + 6000 - 2000 + 30000 + 4000


def test_load_without_dates_reads_everything_and_empty_range_keeps_the_schema(smiths):
    everything = analytics.load_transactions(smiths.access())
    assert everything.height == 14
    empty = analytics.load_transactions(smiths.access(), date(2020, 1, 1), date(2020, 1, 31))
    assert empty.height == 0
    assert list(empty.columns) == list(everything.columns)


@pytest.mark.parametrize("bad", ["1; DROP TABLE transactions", 1.0, True, None])
def test_the_door_refuses_a_family_id_that_is_not_an_int(home, bad):
    with pytest.raises(ValidationError):
        open_family(home.engine, home.mom.id, bad)


def test_load_refuses_datetimes_strings_and_reversed_ranges(home):
    with pytest.raises(ValidationError):
        analytics.load_transactions(home.access(), "2026-01-01'); DROP TABLE x; --")
    with pytest.raises(ValidationError):
        analytics.load_transactions(home.access(), datetime(2026, 1, 1))
    with pytest.raises(ValidationError, match="swap"):
        analytics.load_transactions(home.access(), date(2026, 2, 1), date(2026, 1, 1))


def test_an_outsiders_kept_handle_loads_nothing(home):
    dads = home.access(home.dad)
    members.remove_member(home.access(), home.dad.id)
    with pytest.raises(PermissionDenied, match="not a member"):
        analytics.load_transactions(dads)


@pytest.fixture
def november(smiths):
    return analytics.insights(smiths.access(), *NOV, on=ON)


def test_spending_by_category_rolls_subcategories_up_and_nets_refunds(november):
    assert _rows(november.by_category, "category", "kind", "amount_minor", "transactions") == [
        ("Housing", "fixed", 150000, 1),
        ("Groceries", "variable", 10000, 2),
        ("Dining", "variable", 7000, 3),
        ("Transport", "variable", 4000, 1),
    ]
    assert november.by_category.get_column("share").sum() == pytest.approx(1.0)
    assert november.by_category.get_column("share")[0] == pytest.approx(150000 / 171000)


def test_subcategory_drill_down_shows_the_parents_own_spending_apart(november):
    dining = november.by_subcategory.filter(pl.col("parent_category") == "Dining")
    assert _rows(dining, "subcategory", "amount_minor", "transactions") == [
        ("(Dining itself)", 6000, 1),
        ("Coffee", 1000, 2),
    ]
    assert dining.get_column("share").to_list() == pytest.approx([6 / 7, 1 / 7])
    assert november.drillable == ["Dining"]
    assert november.subcategory_chart("Dining").to_dict()["title"]["text"] == "Dining: by subcategory"


def test_spending_by_member(november):
    assert _rows(november.by_member, "member", "kind", "amount_minor", "transactions") == [
        ("Dad", "variable", 12000 + 550 - 2000 + 4000, 4),
        ("Mom", "fixed", 150000, 1),
        ("Mom", "variable", 450 + 6000, 2),
    ]


def test_weekday_averages_divide_by_how_often_each_weekday_occurs_in_the_range(november):
    assert _rows(november.by_weekday, "weekday_name", "amount_minor", "days", "average_minor") == [
        ("Mon", 16450, 2, 8225),
        ("Tue", 550, 2, 275),
        ("Wed", 0, 1, 0),
        ("Thu", 0, 1, 0),
        ("Fri", 6000, 1, 6000),
        ("Sat", -2000, 1, -2000),
        ("Sun", 0, 2, 0),
    ]


def test_top_descriptions_group_case_and_spacing_and_leave_fixed_costs_out(november):
    assert _rows(november.top_descriptions, "description", "transactions", "amount_minor") == [
        ("Supermarket", 2, 10000),
        ("Pizza night", 1, 6000),
        ("Bus pass", 1, 4000),
        ("Coffee", 2, 1000),
    ]


def test_totals(november):
    t = november.totals
    assert (t.spending, t.variable, t.fixed, t.saved, t.income, t.transactions) == (
        171000,
        21000,
        150000,
        30000,
        520000,
        9,
    )
    assert t.left_over == 520000 - 171000 - 30000


def test_month_over_month_by_budget_period_and_savings_progress(smiths):
    result = analytics.insights(smiths.access(), date(2026, 10, 1), ON, on=ON)
    assert _rows(
        result.by_period,
        "label",
        "fixed_minor",
        "variable_minor",
        "savings_minor",
        "income_minor",
        "spending_minor",
        "complete",
    ) == [
        ("Oct 2026", 150000, 8000, 50000, 520000, 158000, True),
        ("Nov 2026", 150000, 21000, 30000, 520000, 171000, False),
    ]
    assert result.by_period.get_column("change").to_list()[0] is None
    assert result.by_period.get_column("change")[1] == pytest.approx(171000 / 158000 - 1)
    assert _rows(result.savings, "label", "saved_minor", "goal_minor", "cumulative_minor") == [
        ("Oct 2026", 50000, 60000, 50000),
        ("Nov 2026", 30000, 60000, 80000),
    ]
    assert result.savings.get_column("progress").to_list() == pytest.approx([5 / 6, 0.5])


def test_periods_follow_the_familys_start_day():
    table = analytics.periods(15, date(2026, 1, 20), date(2026, 3, 14))
    assert _rows(table, "period_start", "period_end") == [
        (date(2026, 1, 15), date(2026, 2, 14)),
        (date(2026, 2, 15), date(2026, 3, 14)),
    ]
    assert table.get_column("label").to_list() == ["Jan 15, ’26", "Feb 15, ’26"]
    assert analytics.periods(1, date(2026, 11, 1), date(2026, 12, 5), "de_DE").get_column("label").to_list() == [
        "Nov. 2026",
        "Dez. 2026",
    ]


def test_projection_agrees_with_the_today_overview(smiths, november):
    _, overview = budgets.overview(smiths.access(), ON)
    p = november.projection
    assert p.spent == overview.variable_spent == 21000
    assert p.expected == overview.projected_variable_spend == 21000 * 30 // 10
    assert p.budget == 520000 - 150000 - 60000
    assert p.runs_out_on is None
    assert p.low <= p.expected <= p.high
    assert november.daily.get_column("allowance_minor").to_list() == [r.allowance for r in overview.rows]


def test_today_charts_draw_the_overview_allowance_and_this_periods_categories(smiths):
    daily, by_category = analytics.today_charts(smiths.access(), ON)
    spec = daily.to_dict()
    values = next(iter(spec["datasets"].values()))
    _, overview = budgets.overview(smiths.access(), ON)
    observed = [r.allowance / 100 for r in overview.rows if not r.projected]
    assert [v["allowance"] for v in values if not v["projected"]] == observed  # the Today figures
    assert {v["allowance"] for v in values if v["projected"]} == {observed[-1]}  # keep to today's ahead
    assert spec["title"]["text"] == "Daily spending vs allowance"
    assert "At this pace: $630.00 by Nov 30 of $3,100.00" in spec["title"]["subtitle"]
    cats = next(iter(by_category.to_dict()["datasets"].values()))
    assert {v["category"]: v["amount_label"] for v in cats} == {
        "Housing": "$1,500.00",
        "Groceries": "$100.00",
        "Dining": "$70.00",
        "Transport": "$40.00",
    }


def test_every_insights_chart_serialises_to_valid_vega_lite(november):
    for name, chart in november.charts.items():
        spec = chart.to_dict()  # Altair validates against the Vega-Lite schema here
        assert spec["title"]["text"], name


def test_a_family_without_transactions_still_gets_every_chart(home):
    result = analytics.insights(home.access(), *NOV, on=ON)
    assert result.totals.transactions == 0
    assert result.by_category.is_empty()
    for chart in result.charts.values():
        chart.to_dict()


def test_range_presets_are_inclusive_periods():
    presets = analytics.range_presets(15, date(2026, 11, 25))
    assert presets["This period"] == (date(2026, 11, 15), date(2026, 11, 25))
    assert presets["Last period"] == (date(2026, 10, 15), date(2026, 11, 14))
    assert presets["Last 3 periods"] == (date(2026, 9, 15), date(2026, 11, 25))
    assert presets["Last 12 months"] == (date(2025, 11, 26), date(2026, 11, 25))


def test_load_keeps_quotes_commas_backslashes_and_unicode_intact(home):
    from budget_core.services import accounts, invitations

    odd = accounts.create_user(home.engine, "jo@example.com", 'Jo "JJ" O\'Brien, Jr.', "correct horse battery")
    token = invitations.create_invitation(open_family(home.engine, home.mom.id, home.family.id)).token
    invitations.redeem_invitation(home.engine, odd.id, token)
    categories.add_category(
        open_family(home.engine, home.mom.id, home.family.id), 'Café, "bar" \\ más', parent="Dining"
    )
    text = 'Crêpes 🥞, "two" \\N NULL ,,'
    _add(home, odd, 'Dining › Café, "bar" \\ más', 1234, text, date(2026, 11, 3))
    tx = analytics.load_transactions(home.access())
    row = tx.row(0, named=True)
    assert (row["member"], row["category"], row["parent_category"], row["description"], row["amount_minor"]) == (
        'Jo "JJ" O\'Brien, Jr.',
        'Café, "bar" \\ más',
        "Dining",
        text,
        1234,
    )


def test_load_returns_exactly_the_rows_of_the_joined_select(smiths):
    from sqlalchemy import text as sql_text

    params = analytics.query_params(smiths.family.id, date(2026, 10, 2), date(2026, 11, 9))
    query = (
        analytics.SELECT_SQL.replace("%(family_id)s", ":family_id")
        .replace("%(date_from)s", ":date_from")
        .replace("%(date_to)s", ":date_to")
    )
    with smiths.owner.connect() as conn:  # the reference reads every row, past row-level security
        expected = sorted(tuple(r) for r in conn.execute(sql_text(query), params).all())
    tx = analytics.load_transactions(smiths.access(), date(2026, 10, 2), date(2026, 11, 9))
    got = sorted(
        tuple(r)
        for r in tx.drop("amount")
        .with_columns(pl.col("kind", "category", "parent_category", "member", "currency").cast(pl.String))
        .iter_rows()
    )
    assert got == [tuple(v.strip() if k == 8 else v for k, v in enumerate(r)) for r in expected]
    assert len(got) == 11  # Oct 5 … Nov 9, both ends included
