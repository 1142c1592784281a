"""``budget schedule …``, ``budget plan set`` and ``budget target set``: the budget a family runs —
recurring entries, the plan's numbers and carry-over, category targets."""

from __future__ import annotations

import json

import click

from ..domain.money import format_money, parse_amount
from ._common import BudgetGroup, emit, family_as, get_engine, parse_date

_family = click.option("--family", "family_id", type=int, required=True, help="Family id.")
_by = click.option("--by", "by", required=True, help="Email of the member acting.")
_as_json = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")


@click.group(cls=BudgetGroup)
def schedule() -> None:
    """Recurring entries: posted on each occurrence date, exactly once.

    Example: budget schedule list --family 1 --by mom@example.com
    """


def _draft(access, amount, description, category, every, interval, day, start, end, count, refund, member):
    from ..services.accounts import user_by_email
    from ..services.schedules import ScheduleDraft

    member_id = user_by_email(access.engine, member).id if member else None
    return ScheduleDraft(
        parse_amount(amount, access.currency),
        description,
        category,
        every,
        interval,
        day,
        start,
        end,
        count,
        refund,
        member_id,
    )


_schedule_options = [
    click.option("--amount", required=True, help="Amount each time, e.g. 10.00."),
    click.option("--description", required=True, help="What it is, e.g. Pocket money."),
    click.option("--category", required=True, help="Category name (an income category posts income)."),
    click.option("--every", type=click.Choice(["week", "month", "year"]), required=True, help="How it repeats."),
    click.option("--interval", type=int, default=1, show_default=True, help="Every N weeks, months or years."),
    click.option(
        "--day", type=int, help="Weekday 1 (Mon)-7 (Sun) for weekly, else day of month 1-31 (default: the start's)."
    ),
    click.option("--start", callback=parse_date, help="First possible date YYYY-MM-DD (default: today)."),
    click.option("--end", callback=parse_date, help="Last possible date YYYY-MM-DD."),
    click.option("--count", type=int, help="Stop after this many occurrences."),
    click.option("--refund", is_flag=True, help="Money coming back each time (a negative expense)."),
    click.option("--member", help="Email of the member it is for (default: --by)."),
]


def _with(options):
    def wrap(f):
        for option in reversed(options):
            f = option(f)
        return f

    return wrap


def _show(s, access) -> str:
    nxt = f", next {s.next_on}" if s.next_on else ", finished"
    locale = access.family.locale()
    money = format_money(s.signed, access.currency, locale)
    return f"{s.id:>4}  {s.description} {money} ({s.describe(locale)}{nxt}) → {s.category}, {s.member}"


@schedule.command("add")
@_family
@_by
@_with(_schedule_options)
@_as_json
def schedule_add(
    family_id, by, amount, description, category, every, interval, day, start, end, count, refund, member, as_json
):
    """Add a recurring entry. Occurrences before today (a start in the past) are posted at the next run.

    Example: budget schedule add --family 1 --by mom@example.com --amount 10.00 --description "Pocket money" --category Fun --every week --day 5
    """
    from ..services.schedules import add_schedule

    access = family_as(get_engine(), family_id, by)
    s = add_schedule(
        access, _draft(access, amount, description, category, every, interval, day, start, end, count, refund, member)
    )
    emit(s.as_json(access.currency), as_json, "Scheduled: " + _show(s, access).strip())


@schedule.command("list")
@_family
@_by
@_as_json
def schedule_list(family_id, by, as_json):
    """The family's schedules, the next due first.

    Example: budget schedule list --family 1 --by mom@example.com --json
    """
    from ..services.schedules import list_schedules

    access = family_as(get_engine(), family_id, by)
    listed = list_schedules(access)
    if as_json:
        click.echo(json.dumps({"schedules": [s.as_json(access.currency) for s in listed]}))
        return
    if not listed:
        click.echo("No schedules yet.")
    for s in listed:
        click.echo(_show(s, access))


@schedule.command("edit")
@_family
@_by
@click.option("--id", "schedule_id", type=int, required=True, help="Schedule id (from schedule list).")
@click.option("--row-version", type=int, required=True, help="The row_version you saw (from schedule list --json).")
@_with(_schedule_options)
@_as_json
def schedule_edit(
    family_id,
    by,
    schedule_id,
    row_version,
    amount,
    description,
    category,
    every,
    interval,
    day,
    start,
    end,
    count,
    refund,
    member,
    as_json,
):
    """Replace a schedule, unless someone changed it since you saw it. Posted occurrences stay.

    Example: budget schedule edit --family 1 --by mom@example.com --id 3 --row-version 1 --amount 12.00 --description "Pocket money" --category Fun --every week --day 5
    """
    from ..services.schedules import edit_schedule

    access = family_as(get_engine(), family_id, by)
    s = edit_schedule(
        access,
        schedule_id,
        row_version,
        _draft(access, amount, description, category, every, interval, day, start, end, count, refund, member),
    )
    emit(s.as_json(access.currency), as_json, "Changed: " + _show(s, access).strip())


@schedule.command("skip")
@_family
@_by
@click.option("--id", "schedule_id", type=int, required=True, help="Schedule id.")
@click.option("--on", "on", callback=parse_date, required=True, help="The occurrence to skip, YYYY-MM-DD.")
@_as_json
def schedule_skip(family_id, by, schedule_id, on, as_json):
    """Skip one occurrence: it will not be posted.

    Example: budget schedule skip --family 1 --by mom@example.com --id 3 --on 2026-12-25
    """
    from ..services.schedules import skip_occurrence

    done = skip_occurrence(family_as(get_engine(), family_id, by), schedule_id, on)
    emit({"skipped": done}, as_json, f"Skipped {on}." if done else f"{on} was already posted or skipped.")


@schedule.command("delete")
@_family
@_by
@click.option("--id", "schedule_id", type=int, required=True, help="Schedule id.")
@click.option("--row-version", type=int, required=True, help="The row_version you saw.")
@_as_json
def schedule_delete(family_id, by, schedule_id, row_version, as_json):
    """Delete a schedule; what it posted stays.

    Example: budget schedule delete --family 1 --by mom@example.com --id 3 --row-version 1
    """
    from ..services.schedules import delete_schedule

    delete_schedule(family_as(get_engine(), family_id, by), schedule_id, row_version)
    emit({"deleted": schedule_id}, as_json, f"Deleted schedule {schedule_id}.")


@schedule.command("run")
@click.option("--until", callback=parse_date, help="Post occurrences up to this date (default: each family's today).")
@_as_json
def schedule_run(until, as_json):
    """Post every due occurrence of every family that has not been posted (for cron); one poster at a time.

    Example: budget schedule run --until 2026-12-31 --json
    """
    from ..services.schedules import run_due

    report = run_due(get_engine(), until)
    data = {
        "posted": len(report.posted),
        "families": report.families,
        "busy": report.busy,
        "failed": list(report.failed),
        "occurrences": [
            {"schedule": p.schedule_id, "on": p.on_day.isoformat(), "transaction": p.transaction_id}
            for p in report.posted
        ],
    }
    if report.busy:
        human = "Another poster is running; nothing done."
    else:
        human = f"Posted {len(report.posted)} occurrences in {report.families} families."
    emit(data, as_json, human)
    for line in report.failed:
        click.echo(line, err=True)


@click.group(cls=BudgetGroup)
def plan() -> None:
    """The family's plan.

    Example: budget plan set --family 1 --by mom@example.com --carry-over on
    """


@plan.command("set")
@_family
@_by
@click.option("--carry-over", type=click.Choice(["on", "off"]), help="Carry each period's remainder into the next.")
@click.option("--income", help="Monthly income, e.g. 5200.00.")
@click.option("--savings", help="Savings goal per period, e.g. 600.00.")
@click.option("--start-day", type=int, help="Day of the month the period starts (1-31).")
@click.option("--bill-tolerance", type=int, help="How far (percent) a bill payment may differ and still be recognised.")
@_as_json
def plan_set(family_id, by, carry_over, income, savings, start_day, bill_tolerance, as_json):
    """Change the plan (managers): carry-over, income, savings goal, period start day, bill tolerance.

    Example: budget plan set --family 1 --by mom@example.com --carry-over on --income 5400.00
    """
    from ..errors import ValidationError
    from ..services import bills, families

    access = family_as(get_engine(), family_id, by)
    changes = {}
    if income is not None:
        changes["monthly_income"] = parse_amount(income, access.currency)
    if savings is not None:
        changes["savings_goal"] = 0 if savings.strip() in ("0", "0.00") else parse_amount(savings, access.currency)
    if start_day is not None:
        changes["period_start_day"] = start_day
    if not (changes or carry_over or bill_tolerance is not None):
        raise ValidationError("Say what to change: --carry-over, --income, --savings, --start-day or --bill-tolerance.")
    if bill_tolerance is not None and not 0 <= bill_tolerance <= 100:
        raise ValidationError("The bill tolerance is a percentage from 0 to 100.")
    fam = families.update_plan(access, **changes) if changes else access.family
    since = families.set_carry_over(access, carry_over == "on") if carry_over else families.carry_over_since(access)
    if bill_tolerance is not None:
        bills.set_bill_tolerance(access, bill_tolerance)
    data = {
        "monthly_income": format_money(fam.monthly_income, fam.currency),
        "savings_goal": format_money(fam.savings_goal, fam.currency),
        "period_start_day": fam.period_start_day,
        "carry_over": since is not None,
        "carry_over_since": since.isoformat() if since else None,
    }
    emit(data, as_json, f"Plan saved. Carry-over is {'on since ' + str(since) if since else 'off'}.")


@click.group(cls=BudgetGroup)
def target() -> None:
    """Category targets per period (they inform; the daily allowance does not change).

    Example: budget target set --family 1 --by mom@example.com --category Dining --amount 200.00
    """


@target.command("set")
@_family
@_by
@click.option("--category", required=True, help="An everyday category, e.g. Dining.")
@click.option("--amount", help="Target per period, e.g. 200.00.")
@click.option("--clear", is_flag=True, help="Remove the category's target.")
@_as_json
def target_set(family_id, by, category, amount, clear, as_json):
    """Set or clear an everyday category's target per period (managers).

    Example: budget target set --family 1 --by mom@example.com --category Dining --amount 200.00
    """
    from ..errors import ValidationError
    from ..services.targets import set_target

    access = family_as(get_engine(), family_id, by)
    if clear == (amount is not None):
        raise ValidationError("Give either --amount or --clear.")
    value = None if clear else parse_amount(amount, access.currency)
    set_target(access, category, value)
    human = (
        f"{category}: no target."
        if value is None
        else f"{category}: target {format_money(value, access.currency, access.family.locale())} a period."
    )
    emit({"category": category, "amount": None if value is None else amount}, as_json, human)


@target.command("list")
@_family
@_by
@_as_json
def target_list(family_id, by, as_json):
    """Targets with this period's spending and pace.

    Example: budget target list --family 1 --by mom@example.com
    """
    from ..services.targets import target_statuses

    access = family_as(get_engine(), family_id, by)
    statuses = target_statuses(access)
    if as_json:
        from ..domain.money import decimal_string

        cur = access.currency
        click.echo(
            json.dumps(
                {
                    "targets": [
                        {
                            "category": t.category,
                            "target": decimal_string(t.target, cur),
                            "spent": decimal_string(t.spent, cur),
                            "pace": decimal_string(t.pace, cur),
                            "over": t.over,
                        }
                        for t in statuses
                    ]
                }
            )
        )
        return
    if not statuses:
        click.echo("No targets yet.")
    for t in statuses:
        click.echo(t.phrase(access.currency, access.family.locale()))
