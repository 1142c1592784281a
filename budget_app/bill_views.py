"""Plan page pieces for the budget a family runs: bills (due, paid, overdue; how each is recognised;
paying one by hand), recurring entries, carry-over and category targets.

Each function draws one section and calls one or two services; the services check the role again.
"""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from budget_core.domain.bills import ordinal
from budget_core.domain.locale import month_day
from budget_core.domain.money import parse_amount
from budget_core.domain.period import period_bounds
from budget_core.domain.schedule import WEEKDAYS
from budget_core.services import bills, families, schedules, targets
from budget_core.services.categories import Category

from .errors import shown_errors
from .format import Fmt, html_escape, md_escape
from .keys import done
from .widgets import table

STATE = {"paid": "✓ paid", "due": "due", "overdue": "overdue"}


def _state_pill(status, fmt) -> str:
    color = {"paid": "var(--fb-tint)", "due": "var(--fb-pill)", "overdue": "var(--fb-red-tint)"}[status.state]
    when = f" {month_day(status.payments[0].occurred_on, fmt.locale)}" if status.payments else ""
    due = f" · {ordinal(status.due_on.day)}" if status.due_on and status.state != "paid" else ""
    return f'<span class="fb-pill" style="background:{color}">{STATE[status.state]}{when}{due}</span>'


def period_choice(ctx) -> date:
    """A date in the period to show: this period or one of the five before it (the bills' history)."""
    starts = []
    day = ctx.today
    for _ in range(6):
        start, end = period_bounds(ctx.family.period_start_day, day)
        starts.append((start, end))
        day = start - timedelta(days=1)
    pick = st.selectbox(
        "Period",
        range(len(starts)),
        format_func=lambda i: "This period" if i == 0 else ctx.fmt.period(*starts[i]),
        key="bills_period",
        label_visibility="collapsed",
    )
    return ctx.today if pick == 0 else starts[pick][1]


def bills_section(ctx, on: date) -> None:
    """The bills of the period containing ``on`` with their state; managers add and change them,
    anyone marks one paid."""
    cur = ctx.currency
    listed = {b.id: b for b in bills.list_bills(ctx.access)}
    statuses = bills.bill_statuses(ctx.access, on)
    if not statuses:
        st.caption("No bills planned yet. Rent, power, insurance … each is subtracted from every period's plan.")
    else:
        rows = []
        for s in statuses:
            b = listed[s.bill_id]
            words = ", ".join(b.words) if b.words else "its name"
            paid = ctx.fmt.money_html(s.paid) if s.payments else ""
            rows.append(
                [
                    f"<b>{html_escape(b.name)}</b><br><span class='fb-muted'>recognised by {html_escape(words)}</span>",
                    ctx.fmt.money_html(b.amount),
                    _state_pill(s, ctx.fmt),
                    paid,
                ]
            )
        table(
            ["Bill", "Per period", "This period", "Paid"], rows, numeric=(1, 3), narrow_hidden=(3,), test_id="fb-bills"
        )
        fixed = sum(b.amount for b in listed.values())
        st.caption(
            f"Planned fixed per period: {md_escape(ctx.fmt.money(fixed))}. "
            "Payments linked to a bill count as fixed spending, never as everyday spending."
        )
    unpaid = [s for s in statuses if s.state != "paid"]
    if unpaid and on == ctx.today:
        with st.form("bill_pay", enter_to_submit=False, border=False):
            c1, c2, c3 = st.columns([2, 1.3, 1.3], vertical_alignment="bottom")
            pick = c1.selectbox(
                "Mark a bill paid",
                [s.bill_id for s in unpaid],
                format_func=lambda i: listed[i].name,
                key="bill_pay_pick",
            )
            amount = c2.text_input("Amount paid", placeholder="as planned", key="bill_pay_amount")
            pay = c3.form_submit_button("Mark paid", width="stretch")
        if pay:
            with shown_errors():
                payment = bills.mark_paid(
                    ctx.access, pick, amount=parse_amount(amount, cur) if amount.strip() else None
                )
                done(f"{payment.bill} paid")
    if not ctx.is_manager:
        return
    with st.expander("Add or change a bill"):
        _bill_forms(ctx, listed)


def _bill_forms(ctx, listed) -> None:
    cur = ctx.currency
    with st.form("bill_add", clear_on_submit=False, enter_to_submit=True):
        st.markdown("**Add a bill**")
        c1, c2, c3 = st.columns([2.2, 1.4, 1])
        name = c1.text_input("Name", placeholder="Rent", key="bill_name")
        amount = c2.text_input("Amount per period", placeholder=ctx.fmt.typed(150000), key="bill_amount")
        due = c3.number_input("Due day", 0, 31, 0, help="0: no fixed day", key="bill_due")
        words = st.text_input(
            "Words on the bank statement (optional, comma between)",
            placeholder="OAK PARK APTS",
            help="Learned from its first payment when left empty.",
            key="bill_words",
        )
        add = st.form_submit_button("Add bill")
    if add:
        with shown_errors():
            families.add_fixed_expense(
                ctx.access,
                name,
                parse_amount(amount, cur),
                due_day=int(due) or None,
                words=[w for w in words.split(",") if w.strip()],
            )
            done(f"Added {name}")
    if not listed:
        return
    st.markdown("**Change a bill**")
    pick = st.selectbox("Bill", list(listed), format_func=lambda i: listed[i].name, key="bill_edit_pick")
    bill = listed[pick]
    with st.form(f"bill_edit_{bill.id}", enter_to_submit=False):
        c1, c2 = st.columns([1, 2.6])
        due = c1.number_input("Due day", 0, 31, bill.due_day or 0, help="0: no fixed day")
        words = c2.text_input("Words on the statement", value=", ".join(bill.words))
        c3, c4, c5 = st.columns(3)
        save = c3.form_submit_button("Save bill")
        auto = c4.form_submit_button("Post it on its due day", help="A monthly schedule that records the payment.")
        remove = c5.form_submit_button("Remove bill", icon=":material/delete:")
    with shown_errors():
        if save:
            bills.update_bill(
                ctx.access, bill.id, due_day=int(due) or None, words=[w for w in words.split(",") if w.strip()]
            )
            done(f"Saved {bill.name}")
        if auto:
            schedules.schedule_bill(ctx.access, bill.id)
            done(f"{bill.name} now posts itself on the {ordinal(bill.due_day or 1)}")
        if remove:
            families.remove_fixed_expense(ctx.access, bill.id)
            done(f"Removed {bill.name}")


def tolerance_and_carry_over(ctx) -> None:
    """Carry-over (managers switch it) and how close a bill payment must be."""
    since = families.carry_over_since(ctx.access)
    tolerance = bills.bill_tolerance(ctx.access)
    if not ctx.is_manager:
        st.caption(
            f"Carry-over is {'on since ' + ctx.fmt.full_day(since) if since else 'off'}; "
            f"bill payments within {tolerance} % of the bill are recognised."
        )
        return
    with st.form("carry_over", enter_to_submit=False, border=False):
        on = st.toggle(
            "Carry over what is left (or overspent) into the next period",
            value=since is not None,
            help="Off: each period starts from its plan. On: each period's remainder, positive or negative, "
            "is added to the next period's spendable — a running balance from the day it is switched on.",
        )
        pct = st.slider("Recognise a bill payment within … % of its amount", 0, 50, tolerance)
        save = st.form_submit_button("Save carry-over and tolerance")
    if since:
        st.caption(f"Carry-over on since {ctx.fmt.full_day(since)}.")
    if save:
        with shown_errors():
            changed = (since is not None) != on or pct != tolerance
            families.set_carry_over(ctx.access, on)
            bills.set_bill_tolerance(ctx.access, pct)
            if changed:
                done("Saved")


def schedules_section(ctx, cats: list[Category]) -> None:
    """Recurring entries: what is coming, skip or post one early, add one."""
    cur = ctx.currency
    listed = schedules.list_schedules(ctx.access)
    coming = schedules.upcoming(ctx.access, 14)
    if coming:
        st.caption(
            "Coming up: " + html_escape(" · ".join(u.phrase(cur, ctx.today, ctx.fmt.locale) for u in coming[:6]))
        )
    if listed:
        rows = [
            [
                f"<b>{html_escape(s.description)}</b><br><span class='fb-muted'>{html_escape(s.describe(ctx.fmt.locale))} · "
                f"{html_escape(s.category)} · {html_escape(s.member)}</span>",
                ctx.fmt.money_html(s.signed),
                month_day(s.next_on, ctx.fmt.locale) if s.next_on else "<span class='fb-muted'>finished</span>",
            ]
            for s in listed
        ]
        table(["Recurring", "Amount", "Next"], rows, numeric=(1,), test_id="fb-schedules")
        by_id = {s.id: s for s in listed}
        c1, c2, c3, c4 = st.columns([2.2, 1, 1, 1], vertical_alignment="bottom")
        pick = c1.selectbox("Schedule", list(by_id), format_func=lambda i: by_id[i].description, key="sched_pick")
        chosen = by_id[pick]
        with shown_errors():
            if c2.button("Skip next", key="sched_skip", disabled=chosen.next_on is None) and chosen.next_on:
                schedules.skip_occurrence(ctx.access, chosen.id, chosen.next_on)
                done(f"Skipped {chosen.description} on {month_day(chosen.next_on, ctx.fmt.locale)}")
            if c3.button(
                "Post now",
                key="sched_early",
                disabled=chosen.next_on is None or chosen.next_on < ctx.today,
                help="Record the next one today; it will not post again on its day.",
            ):
                schedules.post_early(ctx.access, chosen.id, chosen.next_on or ctx.today)
                done(f"Posted {chosen.description}")
            if c4.button("Delete", key="sched_delete", icon=":material/delete:"):
                schedules.delete_schedule(ctx.access, chosen.id, chosen.row_version)
                done(f"Deleted {chosen.description}")
    else:
        st.caption("Nothing recurring yet: pocket money every Friday, a subscription every month …")
    with st.expander("Add a recurring entry"):
        _schedule_form(ctx, cats)


def _schedule_form(ctx, cats: list[Category]) -> None:
    labels = {c.label: c.id for c in cats if not c.archived}
    with st.form("schedule_add", enter_to_submit=False):
        c1, c2 = st.columns([2, 1])
        description = c1.text_input("What", placeholder="Pocket money")
        amount = c2.text_input("Amount", placeholder=ctx.fmt.typed(1000))
        c3, c4, c5 = st.columns(3)
        category = c3.selectbox("Category", list(labels))
        every = c4.selectbox("Every", ["week", "month", "year"])
        step = c5.number_input("Every how many", 1, 99, 1)
        c6, c7, c8 = st.columns(3)
        weekday = c6.selectbox("Weekday (weekly)", WEEKDAYS, index=4)
        day = c7.number_input("Day of month (monthly, yearly)", 1, 31, ctx.today.day)
        start = c8.date_input("Starting", value=ctx.today)
        c9, c10 = st.columns(2)
        end = c9.date_input("Ending (optional)", value=None)
        refund = c10.checkbox("Money coming back (a refund)")
        add = st.form_submit_button("Add recurring entry", type="primary")
    if add:
        with shown_errors():
            chosen_day = WEEKDAYS.index(weekday) + 1 if every == "week" else int(day)
            s = schedules.add_schedule(
                ctx.access,
                schedules.ScheduleDraft(
                    parse_amount(amount, ctx.currency),
                    description,
                    labels[category],
                    every,
                    int(step),
                    chosen_day,
                    start,
                    end,
                    None,
                    refund,
                ),
            )
            done(f"Scheduled {s.description} ({s.describe(ctx.fmt.locale)})")


def targets_section(ctx, cats: list[Category], on: date) -> None:
    """Everyday categories' targets: spent against target with the pace."""
    cur = ctx.currency
    st.caption("Targets inform: they do not change the daily allowance. Crossing one tells the family once.")
    statuses = targets.target_statuses(ctx.access, on)
    target_progress(statuses, ctx.fmt)
    if not ctx.is_manager:
        return
    everyday = {c.label: c.id for c in cats if c.kind == "variable" and not c.archived}
    with st.form("target_set", enter_to_submit=True, border=False):
        c1, c2, c3 = st.columns([2, 1.4, 1], vertical_alignment="bottom")
        category = c1.selectbox("Category", list(everyday), key="target_cat")
        amount = c2.text_input(
            "Target per period", placeholder=f"{ctx.fmt.typed(20000)} (empty: none)", key="target_amount"
        )
        save = c3.form_submit_button("Set target")
    if save:
        with shown_errors():
            value = parse_amount(amount, cur) if amount.strip() else None
            targets.set_target(ctx.access, everyday[category], value)
            done(f"{category}: {'no target' if value is None else 'target set'}")


def target_progress(statuses, fmt: Fmt) -> None:
    """One progress bar per target: spent of target, and the pace to the period end."""
    for t in statuses:
        share = max(0.0, min(1.0, t.share))
        st.progress(share, text=t.phrase(fmt.currency, fmt.locale) + (" · over" if t.over else ""))


def insights_targets(ctx) -> None:
    """The Insights page's targets block: spent of target with the pace (nothing without targets)."""
    with shown_errors():
        statuses = targets.target_statuses(ctx.access, ctx.today)
        if statuses:
            st.markdown("#### Category targets this period")
            st.caption("Targets inform: they do not change the daily allowance.")
            target_progress(statuses, ctx.fmt)
