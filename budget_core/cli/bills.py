"""``budget bill …``: the family's bills this period (due, paid, overdue), changing how a bill is
recognised, and marking one paid by hand."""

from __future__ import annotations

import click

from ..domain.money import decimal_string, format_money, parse_amount
from ._common import BudgetGroup, emit, family_as, get_engine, parse_date


@click.group(cls=BudgetGroup)
def bill() -> None:
    """Bills: the planned fixed expenses, period by period.

    Example: budget bill list --family 1 --by mom@example.com
    """


@bill.command("list")
@click.option("--family", "family_id", type=int, required=True, help="Family id.")
@click.option("--by", "by", required=True, help="Email of the member asking.")
@click.option("--on", "on", callback=parse_date, help="A date in the period to show (default: today).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def bill_list(family_id, by, on, as_json) -> None:
    """Every bill in the period: due, paid (with the payment) or overdue.

    Example: budget bill list --family 1 --by mom@example.com --on 2026-12-16
    """
    from ..domain.bills import bills_line
    from ..services import bills

    access = family_as(get_engine(), family_id, by)
    cur, locale = access.currency, access.family.locale()
    listed = {b.id: b for b in bills.list_bills(access)}
    statuses = bills.bill_statuses(access, on)
    data = {
        "bills": [
            {
                **listed[s.bill_id].as_json(cur),
                "state": s.state,
                "due_on": s.due_on.isoformat() if s.due_on else None,
                "paid": decimal_string(s.paid, cur),
                "payments": [
                    {
                        "transaction_id": p.transaction_id,
                        "amount": decimal_string(p.amount, cur),
                        "on": p.occurred_on.isoformat(),
                    }
                    for p in s.payments
                ],
            }
            for s in statuses
        ],
        "line": bills_line(statuses, locale),
    }
    if as_json:
        emit(data, True, "")
        return
    if not statuses:
        click.echo("No bills planned yet: add one with 'budget fixed add'.")
    for s in statuses:
        b = listed[s.bill_id]
        words = f"  recognised by {', '.join(b.words)}" if b.words else ""
        click.echo(f"{b.id:>4}  {s.phrase(locale):<40} {format_money(b.amount, cur, locale):>14}{words}")


@bill.command("edit")
@click.option("--family", "family_id", type=int, required=True, help="Family id.")
@click.option("--by", "by", required=True, help="Email of the manager making the change.")
@click.option("--id", "bill_id", type=int, required=True, help="Bill id (from bill list).")
@click.option("--due-day", type=int, help="Day of the month it is due (1-31).")
@click.option("--no-due-day", is_flag=True, help="It has no fixed due day.")
@click.option("--words", multiple=True, help="Words that identify it on a statement (replace the learned ones).")
@click.option("--category", help="The fixed category its payments go to.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def bill_edit(family_id, by, bill_id, due_day, no_due_day, words, category, as_json) -> None:
    """Change how a bill is recognised: its due day, its words, its category (managers).

    Example: budget bill edit --family 1 --by mom@example.com --id 2 --words "Stadtwerke München" --due-day 15
    """
    from ..services import bills

    access = family_as(get_engine(), family_id, by)
    changed = bills.update_bill(
        access,
        bill_id,
        due_day=None if no_due_day else (due_day if due_day is not None else ...),
        words=list(words) if words else None,
        category=category if category else ...,
    )
    emit(
        changed.as_json(access.currency),
        as_json,
        f"{changed.name}: due day {changed.due_day or '-'}, words {', '.join(changed.words) or '(its name)'}.",
    )


@bill.command("pay")
@click.option("--family", "family_id", type=int, required=True, help="Family id.")
@click.option("--by", "by", required=True, help="Email of the member who paid it.")
@click.option("--id", "bill_id", type=int, required=True, help="Bill id (from bill list).")
@click.option("--amount", help="What was paid (default: the bill's amount).")
@click.option("--on", "on", callback=parse_date, help="Date paid YYYY-MM-DD (default: today).")
@click.option("--json", "as_json", is_flag=True, help="Print the payment as JSON.")
def bill_pay(family_id, by, bill_id, amount, on, as_json) -> None:
    """Mark a bill paid by hand: records its payment as fixed spending linked to the bill.

    Example: budget bill pay --family 1 --by mom@example.com --id 1 --on 2026-12-01
    """
    from ..services import bills

    access = family_as(get_engine(), family_id, by)
    tx = bills.mark_paid(access, bill_id, amount=parse_amount(amount, access.currency) if amount else None, on=on)
    emit(
        tx.as_json(),
        as_json,
        f"{tx.bill} paid: {format_money(tx.amount, tx.currency, access.family.locale())} on {tx.occurred_on}.",
    )
