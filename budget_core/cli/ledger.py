"""``budget`` commands for the family's money: a family and its plan, transactions, the activity
feed, the daily budget, the demo family and the analysts' export.

Each command is a few lines that call one service; amounts are typed and printed as decimal
strings ("15.00").
"""

from __future__ import annotations

import json
import uuid

import click
from sqlalchemy.exc import DBAPIError, OperationalError

from ..domain.money import decimal_string, format_money, parse_amount
from ._common import BudgetGroup, emit, family_as, get_engine, parse_date, parse_uuid


@click.group(cls=BudgetGroup)
def family() -> None:
    """Families and their plan."""


@family.command("create")
@click.option("--name", required=True, help="The family's name.")
@click.option("--owner", required=True, help="Email of the first manager (created if unknown).")
@click.option("--owner-name", help="The owner's name in the family (default: the account's name).")
@click.option("--currency", required=True, help="ISO 4217 code, e.g. USD.")
@click.option("--timezone", "tz", required=True, help="IANA time zone, e.g. America/New_York.")
@click.option("--income", required=True, help="Monthly income, e.g. 5200.00.")
@click.option("--savings", default="0", show_default=True, help="Monthly savings goal.")
@click.option("--start-day", type=int, default=1, show_default=True, help="Day of the month the period starts (1-31).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def family_create(name, owner, owner_name, currency, tz, income, savings, start_day, as_json) -> None:
    """Create a family; its owner becomes its manager.

    Example: budget family create --name Smiths --owner mom@example.com --currency USD
    --timezone America/New_York --income 5200.00 --savings 600.00 --start-day 1
    """
    from ..domain.money import check_currency
    from ..services import accounts, families

    engine = get_engine()
    cur = check_currency(currency)
    income_minor = 0 if income.strip() in ("0", "0.00") else parse_amount(income, cur)
    savings_minor = 0 if savings.strip() in ("0", "0.00") else parse_amount(savings, cur)
    found = accounts.find_user(engine, owner)
    created_owner = found is None
    owner_user = found or accounts.create_user(engine, owner, owner_name or owner.split("@")[0].title(), None)
    fam = families.create_family(
        engine,
        owner_user.id,
        name=name,
        currency=cur,
        timezone=tz,
        monthly_income=income_minor,
        savings_goal=savings_minor,
        period_start_day=start_day,
        owner_display_name=owner_name,
    )
    hint = f" Set {owner}'s password with 'budget user password {owner}'." if created_owner else ""
    emit({"family_id": fam.id}, as_json, f"Created family {fam.name} (id {fam.id}).{hint}")


@click.group(cls=BudgetGroup)
def fixed() -> None:
    """Planned fixed expenses (rent, utilities ...)."""


@fixed.command("add")
@click.option("--family", "family_id", type=int, required=True, help="Family id.")
@click.option("--name", required=True, help="What it is, e.g. Rent.")
@click.option("--amount", required=True, help="Amount per period, e.g. 1500.00.")
@click.option("--due-day", type=int, help="Day of the month it is due (1-31, clamped to short months).")
@click.option("--words", multiple=True, help="Words that identify it on a bank statement (repeatable).")
@click.option("--category", help="The fixed category its payments go to (default: chosen by its name).")
@click.option("--by", "by", required=True, help="Email of the manager making the change.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def fixed_add(family_id, name, amount, due_day, words, category, by, as_json) -> None:
    """Plan a fixed expense (a bill) for every period; bank rows and typed expenses that match it
    are linked to it and count as fixed spending.

    Example: budget fixed add --family 1 --name Rent --amount 1500.00 --due-day 1 --words "OAK PARK APTS" --by mom@example.com
    """
    from ..services import families

    access = family_as(get_engine(), family_id, by)
    cur = access.currency
    item = families.add_fixed_expense(
        access, name, parse_amount(amount, cur), due_day=due_day, words=list(words), category=category
    )
    emit(
        {"id": item.id, "name": item.name, "amount": decimal_string(item.amount, cur)},
        as_json,
        f"Planned {item.name}: {format_money(item.amount, cur, access.family.locale())} a period.",
    )


@click.command("add")
@click.option("--family", "family_id", type=int, required=True, help="Family id.")
@click.option("--amount", required=True, help="Amount, e.g. 15.00 (positive; see --refund).")
@click.option("--description", required=True, help="What it was, e.g. Lunch.")
@click.option("--category", required=True, help="Category name, e.g. Dining (an income category records income).")
@click.option("--by", "by", required=True, help="Email of the member who spent it.")
@click.option("--on", "on", callback=parse_date, help="Date YYYY-MM-DD (default: today in the family's time zone).")
@click.option("--client-id", callback=parse_uuid, help="A UUID that makes retries harmless.")
@click.option("--refund", is_flag=True, help="Money coming back: stored as a negative expense.")
@click.option(
    "--split",
    "splits",
    multiple=True,
    metavar="CATEGORY=AMOUNT",
    help="A part of a split purchase (repeat; the parts must add up exactly to --amount).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the stored transaction as JSON.")
def add(family_id, amount, description, category, by, on, client_id, refund, splits, as_json) -> None:
    """Record an expense, a refund or income — or a purchase split across categories. If the
    database cannot be reached, the entry is kept in the local outbox (status "pending") and
    delivered by 'budget outbox flush' or the app (a split waits for the database).

    Example: budget add --family 1 --amount 84.20 --description Costco --category Groceries --split Groceries=60.00 --split Household=24.20 --by mom@example.com
    """
    from ..ops.outbox import Outbox, is_unreachable
    from ..services import transactions

    client_id = client_id or uuid.uuid4()
    try:
        access = family_as(get_engine(), family_id, by)
        parts = tuple(_split_part(x, access.currency) for x in splits)
        draft = transactions.TransactionDraft(
            parse_amount(amount, access.currency), description, category, on, client_id, refund, parts
        )
        tx = transactions.add_transaction(access, draft)
    except (OperationalError, DBAPIError) as exc:
        if not is_unreachable(exc) or splits:
            raise
        entry = Outbox().enqueue(
            family_id,
            transactions.outbox_draft(amount, description, category, on, refund),
            by_email=by,
            client_id=str(client_id),
        )
        emit(
            {"status": "pending", "client_id": entry.client_id},
            as_json,
            f"The database cannot be reached; saved locally as pending ({entry.client_id}). "
            "It is delivered by 'budget outbox flush' or by the app once the database is back.",
        )
        return
    emit(
        {**tx.as_json(), "status": "confirmed"},
        as_json,
        f"Saved: {tx.description} {format_money(tx.amount, tx.currency, access.family.locale())} "
        f"({tx.category}, {tx.occurred_on}) as transaction {tx.id}.",
    )


def _split_part(text_: str, currency: str):
    from ..errors import ValidationError
    from ..services.splits import SplitPart

    name, sep, value = text_.rpartition("=")
    if not sep or not name.strip():
        raise ValidationError(f"'{text_}' is not a part; write it as CATEGORY=AMOUNT, e.g. Groceries=60.00.")
    return SplitPart(name.strip(), parse_amount(value, currency))


@click.command("edit")
@click.option("--family", "family_id", type=int, required=True, help="Family id.")
@click.option("--id", "tx_id", type=int, required=True, help="Transaction id.")
@click.option("--row-version", type=int, required=True, help="The row_version you saw (from add/list --json).")
@click.option("--by", "by", required=True, help="Email of the member making the change.")
@click.option("--amount", help="New amount (positive; see --refund).")
@click.option("--description", help="New description.")
@click.option("--category", help="New category name.")
@click.option("--on", "on", callback=parse_date, help="New date YYYY-MM-DD.")
@click.option("--refund/--no-refund", default=None, help="Whether it is a refund.")
@click.option("--json", "as_json", is_flag=True, help="Print the stored transaction as JSON.")
def edit(family_id, tx_id, row_version, by, amount, description, category, on, refund, as_json) -> None:
    """Change a transaction, if nobody changed it since you saw it.

    Example: budget edit --family 1 --id 7 --row-version 1 --amount 18.00 --by dad@example.com
    """
    from ..services import transactions

    access = family_as(get_engine(), family_id, by)
    tx = transactions.get_transaction(access, tx_id)
    is_refund = tx.is_refund if refund is None else refund
    changes = transactions.TransactionChanges(
        parse_amount(amount, tx.currency) if amount is not None else abs(tx.amount),
        description if description is not None else tx.description,
        category if category is not None else tx.category_id,
        on or tx.occurred_on,
        is_refund,
    )
    new = transactions.edit_transaction(access, tx_id, row_version, changes)
    emit(new.as_json(), as_json, f"Changed transaction {new.id} (now version {new.row_version}).")


@click.command("delete")
@click.option("--family", "family_id", type=int, required=True, help="Family id.")
@click.option("--id", "tx_id", type=int, required=True, help="Transaction id.")
@click.option("--row-version", type=int, required=True, help="The row_version you saw.")
@click.option("--by", "by", required=True, help="Email of the member deleting it.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def delete(family_id, tx_id, row_version, by, as_json) -> None:
    """Delete a transaction, if nobody changed it since you saw it.

    Example: budget delete --family 1 --id 7 --row-version 2 --by dad@example.com
    """
    from ..services import transactions

    transactions.delete_transaction(family_as(get_engine(), family_id, by), tx_id, row_version)
    emit({"deleted": tx_id}, as_json, f"Deleted transaction {tx_id}.")


@click.command("activity")
@click.option("--family", "family_id", type=int, required=True, help="Family id.")
@click.option("--since", type=int, default=0, show_default=True, help="Only events after this version.")
@click.option("--by", "by", required=True, help="Email of the member reading it.")
@click.option("--json", "as_json", is_flag=True, help='Print {"events": [...]}.')
def activity_cmd(family_id, since, by, as_json) -> None:
    """The family's activity feed, oldest first.

    Example: budget activity --family 1 --since 10 --by mom@example.com --json
    """
    from ..services import activity

    events = activity.changes_since(family_as(get_engine(), family_id, by), since)
    if as_json:
        click.echo(json.dumps({"events": [e.as_json() for e in events]}, default=str))
        return
    for e in events:
        click.echo(f"{e.version:>5}  {e.at:%Y-%m-%d %H:%M}  {e.text}")
    if not events:
        click.echo("No activity after that version.")


@click.command("daily")
@click.option("--family", "family_id", type=int, required=True, help="Family id.")
@click.option("--on", "on", callback=parse_date, help="Date YYYY-MM-DD (default: today in the family's time zone).")
@click.option("--by", "by", required=True, help="Email of the member asking.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def daily(family_id, on, by, as_json) -> None:
    """How much the family can still spend today.

    Example: budget daily --family 1 --on 2026-11-25 --by mom@example.com --json
    """
    from ..services.budgets import daily_budget

    access = family_as(get_engine(), family_id, by)
    fb = daily_budget(access, on)
    b, cur = fb.budget, fb.currency
    money = lambda v: decimal_string(v, cur)  # noqa: E731
    data = {
        "family_id": family_id,
        "date": b.on.isoformat(),
        "period_start": b.period_start.isoformat(),
        "period_end": b.period_end.isoformat(),
        "days_left": b.days_left,
        "currency": cur,
        "allowance_today": money(b.allowance_today),
        "spent_today": money(b.spent_today),
        "left_today": money(b.left_today),
        "over_by": money(b.over_by),
        "plan_spendable": money(b.plan_spendable),
        "extra_income": money(b.extra_income),
        "fixed_overrun": money(b.fixed_overrun),
        "savings_goal": money(b.savings_goal),
        "saved": money(b.saved),
        "allowance_tomorrow": money(b.allowance_tomorrow_if(0)),
        "carried_in": money(b.carried_in),
        "carry_over": b.carry_over,
        "kinds": {k.kind: {"planned": money(k.planned), "actual": money(k.actual)} for k in b.spent_by_kind},
    }
    if as_json:
        click.echo(json.dumps(data))
        return
    locale = access.family.locale()
    fm = lambda v: format_money(v, cur, locale)  # noqa: E731
    left = f"left today {fm(b.left_today)}" if b.left_today >= 0 else f"over by {fm(b.over_by)}"
    click.echo(f"{b.on:%A %d %B %Y}: you can spend {fm(b.allowance_today)} today; spent {fm(b.spent_today)}, {left}.")
    click.echo(f"Period {b.period_start} to {b.period_end}, {b.days_left} day{'s' if b.days_left != 1 else ''} left.")
    for k in b.spent_by_kind:
        click.echo(f"  {k.kind:<9} planned {fm(k.planned):>14}   so far {fm(k.actual):>14}")


@click.command("demo")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def demo(as_json) -> None:
    """Create the demo family (four members, a plan, two months of spending).

    Example: budget demo
    """
    from ..demo import DEMO_PASSWORD, MEMBERS, create_demo

    family_id, _ = create_demo(get_engine())
    emails = [m[0] for m in MEMBERS]
    emit(
        {"family_id": family_id, "emails": emails, "password": DEMO_PASSWORD},
        as_json,
        f"Demo family {family_id} is ready. Sign in as {emails[0]} (or {', '.join(emails[1:])}) "
        f"with the password {DEMO_PASSWORD}.",
    )


@click.command("export")
@click.option("--family", "family_id", type=int, required=True, help="Family id.")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True)
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False), help="File to write.")
@click.option("--from", "date_from", callback=parse_date, help="First date, YYYY-MM-DD (inclusive).")
@click.option("--to", "date_to", callback=parse_date, help="Last date, YYYY-MM-DD (inclusive).")
@click.option("--by", "by", required=True, help="Email of the member exporting.")
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
@click.option("--mode", default="600", show_default=True, help="The file's mode in octal: 600 only you, 640, 644.")
def export_cmd(family_id, fmt, output, date_from, date_to, by, force, mode) -> None:
    """Write one row per transaction (amount as an exact decimal and in minor units). The file is
    private to you (mode 0600) unless --mode says otherwise, and an existing file is kept unless
    --force is given.

    Example: budget export --family 1 --by mom@example.com --format parquet -o smiths.parquet --from 2026-11-01
    """
    from ..analytics.export import export_transactions
    from ..ops.files import parse_mode

    if date_from and date_to and date_from > date_to:
        raise click.BadParameter("--from must not be after --to.", param_hint="--from")
    rows = export_transactions(
        family_as(get_engine(), family_id, by), output, fmt, date_from, date_to, force=force, mode=parse_mode(mode)
    )
    click.echo(f"Wrote {rows} transaction{'s' if rows != 1 else ''} to {output}.")
