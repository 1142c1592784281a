"""Insights: the range picker, the totals, the charts, drill-down and the downloads."""

from __future__ import annotations

from datetime import timedelta

from budget_core.services import categories, transactions
from budget_core.services.access import open_family
from budget_core.services.transactions import TransactionDraft

from .conftest import by_label, markdown_text, no_exception, open_page

SECTIONS = {
    "This period": ("projection", "daily"),
    "Categories": ("category",),
    "Members": ("member",),
    "Month by month": ("month_over_month", "savings"),
    "Habits": ("weekday", "top_descriptions"),
}


def _spend(home):
    categories.add_category(open_family(home.engine, home.mom.id, home.family.id), "Coffee", parent="Dining")
    transactions.add_transaction(
        open_family(home.engine, home.dad.id, home.family.id), TransactionDraft(1234, "Latte", "Dining › Coffee")
    )
    transactions.add_transaction(
        open_family(home.engine, home.mom.id, home.family.id), TransactionDraft(8800, "Weekly shop", "Groceries")
    )


def test_insights_shows_this_periods_totals_charts_and_downloads(home):
    _spend(home)
    at = open_page("pages/6_Insights.py", user_id=home.mom.id, family_id=home.family.id)
    no_exception(at)
    text = markdown_text(at)
    assert 'data-testid="fb-insights-spent"' in text and "100.34" in text
    drawn = 0
    for section, names in SECTIONS.items():  # one section of charts at a time, picked above them
        at.session_state["insights_section"] = section
        at.run()
        no_exception(at)
        charts = [e for e in _walk(at.main) if getattr(e, "type", "") == "vega_lite_chart"]
        extra = 1 if section == "Categories" else 0  # the chosen category's subcategories
        assert len(charts) == len(names) + extra, section
        drawn += len(charts)
        if section == "Categories":
            assert by_label(at.selectbox, "Look inside a category").value == "Dining"
    assert drawn == 9
    # a download is made in the run its "Prepare" click starts, never by a callable run later
    assert [b.proto.label for b in _walk(at.main) if getattr(b, "type", "") == "download_button"] == []
    at = by_label(at.button, "Prepare CSV").click().run()
    no_exception(at)
    buttons = [b for b in _walk(at.main) if getattr(b, "type", "") == "download_button"]
    assert [b.proto.label.split(" (")[0] for b in buttons] == ["Download CSV"]
    assert not buttons[0].proto.deferred_file_id  # the bytes were made in this run, not deferred


def test_a_custom_range_with_nothing_in_it_still_renders(home):
    _spend(home)
    at = open_page("pages/6_Insights.py", user_id=home.dad.id, family_id=home.family.id)
    at = by_label(at.selectbox, "Range").select("Custom…").run()
    no_exception(at)
    picker = by_label(at.date_input, "From – to (both included)")
    start = picker.value[0] - timedelta(days=400)
    at = picker.set_value((start, start + timedelta(days=3))).run()
    no_exception(at)
    assert "0 transactions" in "\n".join(c.value for c in at.caption)


def _walk(node):
    for child in getattr(node, "children", {}).values():
        yield child
        yield from _walk(child)
