"""The budget a family runs, on real Postgres: schedules posted exactly once (two processes, a week of
downtime, the 31st in February), split purchases, carry-over against a naive reference with an edit
in a past period, and category targets that give one notice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import text

from budget_core.analytics.export import export_frame
from budget_core.errors import Conflict, ValidationError
from budget_core.services import activity, budgets, families
from budget_core.services.schedules import (
    ScheduleDraft,
    add_schedule,
    delete_schedule,
    edit_schedule,
    list_schedules,
    post_due,
    post_early,
    run_due,
    skip_occurrence,
    upcoming,
)
from budget_core.services.splits import SplitPart
from budget_core.services.targets import set_target, target_statuses
from budget_core.services.transactions import (
    TransactionChanges,
    TransactionDraft,
    add_transaction,
    edit_transaction,
    list_transactions,
)

ROOT = Path(__file__).resolve().parents[2]


def at(day: date, hour: int = 18) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def stored(home, family_id: int) -> list[tuple]:
    with home.owner.connect() as conn:
        return conn.execute(
            text(
                "SELECT t.occurred_on, t.amount, t.description FROM transactions t WHERE t.family_id = :f "
                "ORDER BY t.occurred_on, t.id"
            ),
            {"f": family_id},
        ).all()


def occurrences(home, family_id: int) -> list[tuple]:
    with home.owner.connect() as conn:
        return conn.execute(
            text(
                "SELECT schedule_id, on_day, outcome, transaction_id FROM schedule_occurrences WHERE family_id = :f "
                "ORDER BY schedule_id, on_day"
            ),
            {"f": family_id},
        ).all()


# --- schedules ----------------------------------------------------------------------------------------
def test_two_app_processes_running_the_schedule_job_at_once_post_each_occurrence_once(home):
    mom = home.access()
    start = date(2026, 10, 2)  # a Friday
    add_schedule(mom, ScheduleDraft(1000, "Pocket money", "Fun", "week", starts_on=start, day=5), now=at(start))
    add_schedule(mom, ScheduleDraft(4500, "Swimming club", "Fun", "month", starts_on=start, day=31), now=at(start))
    until = "2026-12-18"
    command = [sys.executable, "-m", "budget_core.cli", "schedule", "run", "--until", until, "--json"]
    for _ in range(2):  # two rounds of two processes started together
        procs = [
            subprocess.Popen(
                command, cwd=ROOT, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            for _ in range(2)
        ]
        outs = [p.communicate(timeout=120) for p in procs]
        for p, (out, err) in zip(procs, outs):
            assert p.returncode == 0, err
            assert "Traceback" not in err
            json.loads(out)
    fridays = [start + timedelta(weeks=n) for n in range(12)]  # 2 Oct … 18 Dec
    months = [date(2026, 10, 31), date(2026, 11, 30)]
    rows = stored(home, home.family.id)
    assert sorted((r[0], r[2]) for r in rows) == sorted(
        [(d, "Pocket money") for d in fridays] + [(d, "Swimming club") for d in months]
    )
    assert len(occurrences(home, home.family.id)) == len(fridays) + len(months)


def test_posters_racing_without_the_lock_still_post_each_occurrence_once(home):
    mom = home.access()
    start = date(2026, 11, 2)
    add_schedule(mom, ScheduleDraft(500, "Milk delivery", "Groceries", "week", starts_on=start, day=1), now=at(start))
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def poster():
        try:
            barrier.wait()
            post_due(home.access(), date(2026, 12, 14), now=at(date(2026, 12, 14)))
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=poster) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    mondays = [start + timedelta(weeks=n) for n in range(7)]  # 2 Nov … 14 Dec
    assert [r[0] for r in stored(home, home.family.id)] == mondays
    events = [e for e in activity.changes_since(mom) if e.kind == "transaction.added"]
    assert len(events) == len(mondays)
    assert events[0].text == "Milk delivery $5.00 was added (every Monday)"


def test_a_week_of_downtime_catches_up_exactly_each_dated_on_its_day(home):
    mom = home.access()
    start = date(2026, 11, 6)  # Friday
    add_schedule(mom, ScheduleDraft(1000, "Pocket money", "Fun", "week", starts_on=start), now=at(start))
    add_schedule(mom, ScheduleDraft(200, "Paper", "Household", "week", starts_on=date(2026, 11, 9)), now=at(start))
    first = post_due(mom, now=at(date(2026, 11, 20)))
    assert sorted(p.on_day for p in first) == [
        date(2026, 11, 6),
        date(2026, 11, 9),
        date(2026, 11, 13),
        date(2026, 11, 16),
        date(2026, 11, 20),
    ]
    # the server is down from the 21st to the 28th; the job runs again when it starts
    report = run_due(home.engine, date(2026, 11, 28))
    assert not report.busy
    assert sorted(p.on_day for p in report.posted) == [date(2026, 11, 23), date(2026, 11, 27)]
    assert run_due(home.engine, date(2026, 11, 28)).posted == []
    assert [r[0] for r in stored(home, home.family.id)] == sorted(
        [date(2026, 11, 6), date(2026, 11, 13), date(2026, 11, 20), date(2026, 11, 27)]
        + [date(2026, 11, 9), date(2026, 11, 16), date(2026, 11, 23)]
    )


@pytest.mark.parametrize(("year", "february"), [(2027, date(2027, 2, 28)), (2028, date(2028, 2, 29))])
def test_a_schedule_on_the_31st_posts_on_the_last_day_of_february(home, year, february):
    mom = home.access()
    add_schedule(
        mom,
        ScheduleDraft(120000, "Rent share", "Housing", "month", day=31, starts_on=date(year, 1, 1)),
        now=at(date(year, 1, 1)),
    )
    post_due(mom, date(year, 4, 30), now=at(date(year, 4, 30)))
    assert [r[0] for r in stored(home, home.family.id)] == [
        date(year, 1, 31),
        february,
        date(year, 3, 31),
        date(year, 4, 30),
    ]


def test_skip_post_early_upcoming_and_edits_with_row_versions(home):
    mom, dad = home.access(), home.access(home.dad)
    today = date(2026, 12, 1)  # a Tuesday
    s = add_schedule(mom, ScheduleDraft(1000, "Pocket money", "Fun", "week", day=5, starts_on=today), now=at(today))
    [soon] = upcoming(mom, now=at(today))
    assert soon.phrase("USD", today) == "Pocket money $10.00 on Friday"
    assert skip_occurrence(mom, s.id, date(2026, 12, 4)) is True
    assert skip_occurrence(mom, s.id, date(2026, 12, 4)) is False
    with pytest.raises(ValidationError, match="does not fall on"):
        skip_occurrence(mom, s.id, date(2026, 12, 5))
    early = post_early(mom, s.id, date(2026, 12, 11), now=at(today))
    assert early is not None and post_due(mom, date(2026, 12, 11), now=at(date(2026, 12, 11))) == []
    assert [r[0] for r in stored(home, home.family.id)] == [today]  # dated the day it was posted early
    changed = edit_schedule(
        dad,
        s.id,
        s.row_version,
        ScheduleDraft(1200, "Pocket money", "Fun", "week", day=5, starts_on=today),
        now=at(today),
    )
    assert changed.row_version == s.row_version + 1
    with pytest.raises(Conflict, match="changed this schedule"):
        edit_schedule(
            mom,
            s.id,
            s.row_version,
            ScheduleDraft(900, "Pocket money", "Fun", "week", day=5, starts_on=today),
            now=at(today),
        )
    with pytest.raises(Conflict):
        delete_schedule(mom, s.id, s.row_version)
    delete_schedule(mom, s.id, changed.row_version)
    assert list_schedules(mom) == []


# --- splits -------------------------------------------------------------------------------------------
def test_split_parts_that_do_not_sum_are_refused_and_nothing_is_written(home):
    mom = home.access()
    before = stored(home, home.family.id)
    version = activity.family_version(home.engine, home.family.id)
    with pytest.raises(ValidationError, match=r"add up to \$84\.19, not the total of \$84\.20"):
        add_transaction(
            mom,
            TransactionDraft(
                8420, "Costco", "Groceries", parts=(SplitPart("Groceries", 6000), SplitPart("Household", 2419))
            ),
        )
    assert stored(home, home.family.id) == before
    assert activity.family_version(home.engine, home.family.id) == version


def test_a_split_counts_each_part_toward_its_own_kind_and_is_edited_as_one_row(home):
    mom = home.access()
    on = date(2026, 12, 3)
    tx = add_transaction(
        mom,
        TransactionDraft(
            10000,
            "Costco",
            "Groceries",
            on,
            parts=(SplitPart("Groceries", 6000), SplitPart("Household", 2420), SplitPart("Savings", 1580)),
        ),
        now=at(on),
    )
    assert [(p.category, p.amount) for p in tx.parts] == [("Groceries", 6000), ("Household", 2420), ("Savings", 1580)]
    budgets.clear_cache()
    b = budgets.daily_budget(mom, date(2026, 12, 4)).budget
    assert b.variable_before_today == 8420 and b.saved == 1580
    [event] = [e for e in activity.changes_since(mom) if e.kind == "transaction.added"]
    assert event.text == "Mom spent $100.00 at Costco (Groceries $60.00, Household $24.20, Savings $15.80)"
    # an edit of the description keeps the parts; a new total must come with new parts
    edited = edit_transaction(mom, tx.id, tx.row_version, TransactionChanges(10000, "Costco run", "Groceries", on))
    assert len(edited.parts) == 3 and edited.row_version == tx.row_version + 1
    with pytest.raises(ValidationError, match="add up to"):
        edit_transaction(mom, tx.id, edited.row_version, TransactionChanges(9000, "Costco run", "Groceries", on))
    with pytest.raises(Conflict):
        edit_transaction(mom, tx.id, tx.row_version, TransactionChanges(10000, "x", "Groceries", on))
    two = edit_transaction(
        mom,
        tx.id,
        edited.row_version,
        TransactionChanges(
            9000, "Costco run", "Groceries", on, parts=(SplitPart("Groceries", 7000), SplitPart("Household", 2000))
        ),
    )
    assert [(p.category, p.amount) for p in two.parts] == [("Groceries", 7000), ("Household", 2000)]
    frame = export_frame(mom).filter(pl.col("id") == tx.id)
    assert frame.height == 2 and sorted(frame["category"].to_list()) == ["Groceries", "Household"]
    plain = edit_transaction(
        mom, tx.id, two.row_version, TransactionChanges(9000, "Costco run", "Groceries", on, parts=())
    )
    assert plain.parts == () and plain.kind == "variable"


def test_the_split_command_refuses_parts_that_do_not_add_up_with_one_line(home):
    from click.testing import CliRunner

    from budget_core.cli import main

    args = [
        "add",
        "--family",
        str(home.family.id),
        "--by",
        "mom@example.com",
        "--amount",
        "84.20",
        "--description",
        "Costco",
        "--category",
        "Groceries",
        "--split",
        "Groceries=60.00",
        "--split",
        "Household=24.00",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code != 0 and "add up to $84.00, not the total of $84.20" in result.output
    assert stored(home, home.family.id) == []
    ok = CliRunner().invoke(main, [*args[:-1], "Household=24.20", "--json"])
    assert ok.exit_code == 0, ok.output
    assert [p["category"] for p in json.loads(ok.output)["parts"]] == ["Groceries", "Household"]


# --- carry-over ---------------------------------------------------------------------------------------
def naive_carried_in(plan, txs: list[tuple[date, str, int]], on: date, since: date | None) -> int:
    """Walk every day from the period before ``since``: a period ends the day before the next start."""

    def starts(d: date) -> bool:
        last = (date(d.year + (d.month == 12), d.month % 12 + 1, 1) - timedelta(days=1)).day
        return d.day == min(plan.period_start_day, last)

    if since is None:
        return 0
    first = since
    while not starts(first):
        first -= timedelta(days=1)
    current = on
    while not starts(current):
        current -= timedelta(days=1)
    if current < first:
        return 0
    day = first - timedelta(days=1)
    while not starts(day):
        day -= timedelta(days=1)
    carried, sums = 0, defaultdict(int)
    while day < current:
        for d, kind, amount in txs:
            if d == day:
                sums[kind] += amount
        nxt = day + timedelta(days=1)
        if starts(nxt):
            extra = max(0, sums["income"] - plan.monthly_income)
            overrun = max(0, sums["fixed"] - plan.fixed_planned)
            carried = (
                plan.monthly_income
                - plan.fixed_planned
                - plan.savings_goal
                + extra
                - overrun
                - sums["variable"]
                + carried
            )
            sums = defaultdict(int)
        day = nxt
    return carried


def test_carry_over_on_and_off_against_the_reference_with_an_edit_in_a_past_period(home):
    from budget_core.domain.allowance import Plan

    mom = home.access()
    families.update_plan(mom, period_start_day=15)
    entries = [
        (date(2026, 8, 20), 60000, "Groceries"),  # the period before the switch: 15 Aug - 14 Sep
        (date(2026, 9, 16), 610000, "Dining"),  # overspent: 15 Sep - 14 Oct
        (date(2026, 10, 20), 25000, "Fun"),
        (date(2026, 11, 30), 12000, "Transport"),
    ]
    txs = [add_transaction(mom, TransactionDraft(a, c, c, d), now=at(date(2026, 12, 20))) for d, a, c in entries]
    add_transaction(mom, TransactionDraft(150000, "Rent", "Housing", date(2026, 9, 1)), now=at(date(2026, 12, 20)))
    plan = Plan(520000, 150000, 60000, 15)
    raw = [(d, "variable", a) for d, a, _ in entries] + [(date(2026, 9, 1), "fixed", 150000)]

    def check(on: date, since: date | None) -> int:
        budgets.clear_cache()
        b = budgets.daily_budget(home.access(), on).budget
        expected = naive_carried_in(plan, raw, on, since)
        assert b.carried_in == expected, on
        assert (
            b.allowance_today
            == (b.plan_spendable + b.extra_income - b.fixed_overrun - b.variable_before_today + expected) // b.days_left
        )
        return expected

    for on in (date(2026, 9, 20), date(2026, 10, 16), date(2026, 12, 16)):
        assert check(on, None) == 0  # off by default
    since = families.set_carry_over(mom, True, now=at(date(2026, 9, 20)))
    assert since == date(2026, 9, 20)
    carried = {
        on: check(on, since) for on in (date(2026, 9, 15), date(2026, 10, 16), date(2026, 11, 15), date(2026, 12, 16))
    }
    assert carried[date(2026, 9, 15)] == 520000 - 150000 - 60000 - 60000  # what Aug–Sep left
    assert carried[date(2026, 10, 16)] < 0  # the overspent Sep–Oct period carries a negative balance
    # an edit in a past period changes what every later period carries in: never a stale number
    edit_transaction(
        mom, txs[1].id, txs[1].row_version, TransactionChanges(210000, "Dining", "Dining", date(2026, 9, 16))
    )
    raw[1] = (date(2026, 9, 16), "variable", 210000)
    for on, before in carried.items():
        after = check(on, since)
        if on >= date(2026, 10, 15):
            assert after == before + 400000
    assert budgets.daily_budget(mom, date(2026, 12, 16)).budget.carry_over
    families.set_carry_over(mom, False)
    assert check(date(2026, 12, 16), None) == 0


def test_budget_daily_json_says_what_was_carried_in(home):
    from click.testing import CliRunner

    from budget_core.cli import main

    mom = home.access()
    families.set_carry_over(mom, True, now=at(date(2026, 11, 10)))
    result = CliRunner().invoke(
        main, ["daily", "--family", str(home.family.id), "--by", "mom@example.com", "--on", "2026-11-10", "--json"]
    )
    data = json.loads(result.output)
    assert data["carried_in"] == "3100.00" and data["carry_over"] is True  # October left 5200 − 1500 − 600
    off = CliRunner().invoke(
        main, ["plan", "set", "--family", str(home.family.id), "--by", "mom@example.com", "--carry-over", "off"]
    )
    assert off.exit_code == 0, off.output
    again = json.loads(
        CliRunner()
        .invoke(
            main, ["daily", "--family", str(home.family.id), "--by", "mom@example.com", "--on", "2026-11-10", "--json"]
        )
        .output
    )
    assert again["carried_in"] == "0.00"
    member = CliRunner().invoke(
        main, ["plan", "set", "--family", str(home.family.id), "--by", "dad@example.com", "--carry-over", "on"]
    )
    assert member.exit_code != 0 and "Only a manager" in member.output


# --- targets ------------------------------------------------------------------------------------------
def test_crossing_a_target_gives_one_notice(home):
    mom, dad = home.access(), home.access(home.dad)
    set_target(mom, "Dining", 20000)
    with pytest.raises(Exception, match="Only a manager"):
        set_target(dad, "Dining", 30000)
    on = date(2026, 12, 2)
    for amount in (15000, 4000, 3000, 2000):  # 150, 190, 220 (crosses), 240
        add_transaction(dad, TransactionDraft(amount, "Dinner", "Dining", on), now=at(on))
    added = [e for e in activity.changes_since(mom) if e.kind == "transaction.added"]
    notices = [e for e in added if e.payload.get("targets")]
    assert len(notices) == 1
    assert notices[0].text == "Dad spent $30.00 on Dinner — Dining is over its $200.00 target ($220.00 this period)"
    [status] = target_statuses(mom, on)
    assert (status.spent, status.over) == (24000, True)
    # a split part, an edit, a scheduled entry all count; the allowance formula does not change
    budgets.clear_cache()
    b = budgets.daily_budget(mom, date(2026, 12, 3)).budget
    assert b.variable_before_today == 24000
    set_target(mom, "Groceries", 5000)
    add_transaction(
        mom,
        TransactionDraft(
            6000, "Costco", "Groceries", on, parts=(SplitPart("Groceries", 5500), SplitPart("Household", 500))
        ),
        now=at(on),
    )
    last = list_transactions(mom)[0]
    assert (
        last.parts
        and [e for e in activity.changes_since(mom) if e.kind == "transaction.added"][-1].payload["targets"][0][
            "category"
        ]
        == "Groceries"
    )


def test_the_app_process_poster_posts_due_occurrences_on_start(home):
    import time

    from budget_core.ops.schedule_poster import start_poster, stop_poster

    mom = home.access()
    today = mom.today()
    add_schedule(mom, ScheduleDraft(1000, "Pocket money", "Fun", "week", starts_on=today - timedelta(days=13)))
    thread = start_poster(home.engine, every=0.2)
    assert thread is not None and start_poster(home.engine, every=0.2) is thread  # one per process and engine
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(stored(home, home.family.id)) < 2:
        time.sleep(0.1)
    stop_poster(home.engine)
    days = [r[0] for r in stored(home, home.family.id)]
    assert days == [today - timedelta(days=13), today - timedelta(days=6)]


def test_an_imported_row_can_be_split(home):
    from budget_core.importers.service import import_file

    mom = home.access()
    csv = "Date,Description,Amount\n2026-12-03,COSTCO WHSE #1047,-84.20\n"
    import_file(mom, "bank.csv", csv.encode(), now=at(date(2026, 12, 5)))
    [tx] = list_transactions(mom)
    split = edit_transaction(
        mom,
        tx.id,
        tx.row_version,
        TransactionChanges(
            8420,
            tx.description,
            tx.category_id,
            tx.occurred_on,
            parts=(SplitPart("Groceries", 6000), SplitPart("Household", 2420)),
        ),
    )
    assert [(p.category, p.amount) for p in split.parts] == [("Groceries", 6000), ("Household", 2420)]
