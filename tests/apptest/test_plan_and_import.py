"""The Plan page's bills, carry-over, recurring entries and targets; Today's notes; the Import page's
preview, undecided rows and undo — as a person uses them, through AppTest."""

from __future__ import annotations

import html
from datetime import timedelta

from budget_core.importers.history import list_imports
from budget_core.importers.service import import_file
from budget_core.services import bills, families, schedules, targets
from budget_core.services.access import open_family
from budget_core.services.transactions import list_transactions

from .conftest import by_label, markdown_text, no_exception, open_page


def test_a_bill_is_marked_paid_and_today_says_so(home):
    at = open_page("pages/3_Plan.py", user_id=home.dad.id, family_id=home.family.id)
    no_exception(at)
    assert "due" in next(m.value for m in at.markdown if 'data-testid="fb-bills"' in m.value)
    at = by_label(at.main.button, "Mark paid").click().run()
    no_exception(at)
    [tx] = list_transactions(home.access())
    assert (tx.bill, tx.kind, tx.amount) == ("Rent", "fixed", 150000)
    today = open_page("today.py", user_id=home.dad.id, family_id=home.family.id)
    line = next(m.value for m in today.markdown if 'data-testid="fb-bills-line"' in m.value)
    assert f"Rent paid {tx.occurred_on:%b} {tx.occurred_on.day}" in line  # the family's locale, en_US


def test_a_manager_switches_carry_over_on_and_sets_a_target(home):
    at = open_page("pages/3_Plan.py", user_id=home.mom.id, family_id=home.family.id)
    at.toggle[0].set_value(True)
    at = by_label(at.main.button, "Save carry-over and tolerance").click().run()
    no_exception(at)
    assert families.carry_over_since(home.access()) is not None
    at.selectbox(key="target_cat").set_value("Dining")
    at.text_input(key="target_amount").input("200")
    at = by_label(at.main.button, "Set target").click().run()
    no_exception(at)
    [status] = targets.target_statuses(home.access())
    assert (status.category, status.target) == ("Dining", 20000)
    assert any("Dining: $0.00 of $200.00" in str(p.proto) for p in at.get("progress"))


def test_a_member_adds_a_weekly_entry_and_today_shows_it_coming_up(home):
    at = open_page("pages/3_Plan.py", user_id=home.dad.id, family_id=home.family.id)
    form = at.main
    by_label(form.text_input, "What").input("Pocket money")
    by_label(form.text_input, "Amount").input("10")
    by_label(form.selectbox, "Category").set_value("Fun")
    at = by_label(at.main.button, "Add recurring entry").click().run()
    no_exception(at)
    [s] = schedules.list_schedules(home.access())
    assert (s.description, s.amount, s.recurrence.every, s.recurrence.day) == ("Pocket money", 1000, "week", 5)
    today = open_page("today.py", user_id=home.dad.id, family_id=home.family.id)
    coming = next(m.value for m in today.markdown if 'data-testid="fb-upcoming"' in m.value)
    assert "Pocket money $10.00 on Friday" in html.unescape(coming)  # shown as text, never as markup


STATEMENT = (
    "Date,Description,Amount\n"
    "{d1},ZQX HOLDINGS 4471,-20.00\n"
    "{d1},WHOLEFDS MKT #10234 AUSTIN TX,-30.00\n"
    "{d2},LANDLORD RENT,-1500.00\n"
)


def test_undecided_rows_show_on_today_and_one_tap_decides_them(home):
    mom = home.access()
    today = mom.today()
    d1 = today if today.day > 1 else today
    import_file(mom, "bank.csv", STATEMENT.format(d1=d1.isoformat(), d2=d1.isoformat()).encode())
    at = open_page("today.py", user_id=home.mom.id, family_id=home.family.id)
    no_exception(at)
    note = next(m.value for m in at.markdown if 'data-testid="fb-undecided-note"' in m.value)
    assert "Includes" in note and "1 imported row that need" in note
    assert "Needs a category · 1" in markdown_text(at)
    buttons = [b for b in at.main.button if b.key and b.key.startswith("decide_")]
    assert buttons
    at = buttons[0].click().run()
    no_exception(at)
    moved = next(t for t in list_transactions(mom) if t.description == "ZQX HOLDINGS 4471")
    assert moved.category != "Uncategorized"
    assert "Needs a category" not in markdown_text(open_page("today.py", user_id=home.mom.id, family_id=home.family.id))


def test_the_import_page_previews_with_reasons_and_undoes_an_import(home):
    mom = home.access()
    day = mom.today() - timedelta(days=1)
    data = STATEMENT.format(d1=day.isoformat(), d2=day.isoformat()).encode()
    at = open_page("pages/5_Import.py", user_id=home.mom.id, family_id=home.family.id)
    no_exception(at)
    import_file(mom, "bank.csv", data)
    at = open_page("pages/5_Import.py", user_id=home.mom.id, family_id=home.family.id)
    no_exception(at)
    text = html.unescape(markdown_text(at))
    assert "bank.csv" in text and "3 added" in text
    [past] = list_imports(mom)
    at = at.button(key=f"undo_{past.id}").click().run()
    no_exception(at)
    assert list_transactions(mom) == [] and list_imports(mom)[0].undone
    assert bills.bill_statuses(mom)[0].state in ("due", "overdue")
    assert open_family(home.engine, home.mom.id, home.family.id)


GERMAN_MONTHS = "Jan. Feb. März Apr. Mai Juni Juli Aug. Sept. Okt. Nov. Dez.".split()


def german(day) -> str:
    """A day as a German family reads it: '5. Dez.' (written out here, not by the code under test)."""
    return f"{day.day}. {GERMAN_MONTHS[day.month - 1]}"


def test_a_german_familys_bills_recurring_entries_periods_and_carry_over_are_dated_the_german_way(home):
    from budget_core.domain.period import period_bounds
    from budget_core.services.schedules import ScheduleDraft

    eve = open_family(home.engine, home.eve.id, home.other.id)  # EUR, Europe/Berlin: written de_DE
    today = eve.today()
    rent = families.add_fixed_expense(eve, "Miete", 90000, due_day=1)
    bills.mark_paid(eve, rent.id, on=today)
    coming = today + timedelta(days=40)
    schedules.add_schedule(
        eve, ScheduleDraft(1000, "Vereinsbeitrag", "Fun", "year", starts_on=coming, day=coming.day, month=coming.month)
    )
    families.set_carry_over(eve, True)

    plan = open_page("pages/3_Plan.py", user_id=home.eve.id, family_id=home.other.id)
    no_exception(plan)
    shown = html.unescape(markdown_text(plan))
    assert f"✓ paid {german(today)}" in shown  # the bill's pill
    assert f"{german(coming)}" in shown and f"yearly on {german(coming)}" in shown  # the recurring entry
    assert f"{today:%-d %b}" not in shown and f"{coming:%-d %b}" not in shown  # no fixed English form left
    carry = " ".join(c.value for c in plan.caption)
    assert f"Carry-over on since {german(today)} {today.year}." in carry
    start, end = period_bounds(15, period_bounds(15, today)[0] - timedelta(days=1))  # the period before this one
    years = (f" {start.year}", f" {end.year}") if start.year != end.year else ("", f" {end.year}")
    option = " ".join(plan.selectbox(key="bills_period").options[1].split())  # Babel puts thin spaces around –
    assert option == f"{german(start)}{years[0]} – {german(end)}{years[1]}"

    today_page = open_page("today.py", user_id=home.eve.id, family_id=home.other.id)
    no_exception(today_page)
    line = next(m.value for m in today_page.markdown if 'data-testid="fb-bills-line"' in m.value)
    assert f"Miete paid {german(today)}" in html.unescape(line)
