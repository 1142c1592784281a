"""The ``budget`` command: thin wrappers over the services, one per use case.

Every failure exits non-zero with one line on stderr that says what to do; ``--json`` prints
exactly one JSON object on stdout. Amounts are typed and printed as decimal strings ("15.00").
"""

from __future__ import annotations

import json
import sys
import uuid
from datetime import date

import click
from sqlalchemy.exc import DBAPIError, OperationalError

from .errors import BudgetError
from .domain.money import decimal_string, format_money, parse_amount


def _engine():
    from .db.engine import get_engine

    return get_engine()


def _emit(data: dict, as_json: bool, human: str) -> None:
    click.echo(json.dumps(data, default=str) if as_json else human)


def _user(engine, email: str):
    from .services.accounts import user_by_email

    return user_by_email(engine, email)


def _date(ctx, param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date; write it as YYYY-MM-DD, e.g. 2026-11-25.") from None


def _uuid(ctx, param, value: str | None) -> uuid.UUID | None:
    if value is None:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a UUID such as 1b4e28ba-2fa1-11d2-883f-0016d3cca427.") from None


class BudgetGroup(click.Group):
    """Turns the typed errors into one line on stderr (the CLI's one place for that)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except BudgetError as err:
            click.echo(f"Error: {err.message}", err=True)
            sys.exit(1)
        except (OperationalError, DBAPIError) as err:
            if isinstance(err, OperationalError) or err.connection_invalidated:
                click.echo("Error: cannot reach the database; check that it is running "
                           "(see 'budget db url').", err=True)
                sys.exit(3)
            self._unexpected(err)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except BrokenPipeError:  # the reader went away (`budget activity | head`): not an error
            sys.stderr.close()
            sys.exit(0)
        except Exception as err:  # the CLI's one catch-all: log it, show a reference, no traceback
            self._unexpected(err)

    @staticmethod
    def _unexpected(err: BaseException) -> None:
        from .ops.errorlog import log_unexpected

        ref = log_unexpected(err)
        click.echo(f"Error: something unexpected failed (reference {ref}); the details are in the log "
                   "under that reference.", err=True)
        sys.exit(4)


@click.group(cls=BudgetGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Family Budget: how much can we still spend today?

    Without BUDGET_DATABASE_URL every command uses the private embedded PostgreSQL in the data
    directory (BUDGET_DATA_DIR overrides where that is).
    """


# --- database ---------------------------------------------------------------------------
@main.group(cls=BudgetGroup)
def db() -> None:
    """The database: migrations and where it is."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration.

    Example: budget db upgrade
    """
    from .db.engine import database_url
    from .db.migrate import current, upgrade

    url = database_url()
    upgrade(url)
    click.echo(f"Database is at migration {current(url)}.")


@db.command("url")
@click.option("--owner", is_flag=True, help="The owner's URL (migrations, backups) instead of the app's.")
def db_url(owner: bool) -> None:
    """Print the database URL the app connects with (role budget_app), or the owner's.

    Example: budget db url --owner
    """
    from .db.engine import app_url, owner_url

    if owner:
        click.echo(owner_url())
        return
    url, needs_role = app_url()
    click.echo(url + ("   (then SET ROLE budget_app)" if needs_role else ""))


# --- accounts ---------------------------------------------------------------------------
@main.group(cls=BudgetGroup)
def user() -> None:
    """Accounts."""


@user.command("add")
@click.argument("email")
@click.option("--name", required=True, help="The name the family sees, e.g. Mom.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def user_add(email: str, name: str, as_json: bool) -> None:
    """Create an account; the password is read from standard input.

    Example: echo 'a long secret' | budget user add mom@example.com --name Mom
    """
    from .services.accounts import create_user

    password = sys.stdin.readline().rstrip("\n")
    created = create_user(_engine(), email, name, password)
    _emit({"user_id": created.id, "email": created.email}, as_json, f"Created account {created.email}.")


@user.command("password")
@click.argument("email")
def user_password(email: str) -> None:
    """Set an account's password, read from standard input; signs the account out everywhere.

    Example: echo 'a new long secret' | budget user password mom@example.com
    """
    from .services.accounts import set_password
    from .services.sessions import end_other_sessions

    engine = _engine()
    person = _user(engine, email)
    set_password(engine, person.id, sys.stdin.readline().rstrip("\n"))
    ended = end_other_sessions(engine, person.id, reason="password")
    click.echo(f"Password changed for {email}; {ended} signed-in session{'s' if ended != 1 else ''} ended.")


# --- families and plan --------------------------------------------------------------------
@main.group(cls=BudgetGroup)
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
    from .domain.money import check_currency
    from .services import accounts, families

    engine = _engine()
    cur = check_currency(currency)
    income_minor = 0 if income.strip() in ("0", "0.00") else parse_amount(income, cur)
    savings_minor = 0 if savings.strip() in ("0", "0.00") else parse_amount(savings, cur)
    owner_user = accounts.find_user(engine, owner)
    created_owner = owner_user is None
    if created_owner:
        owner_user = accounts.create_user(engine, owner, owner_name or owner.split("@")[0].title(), None)
    fam = families.create_family(engine, owner_user.id, name=name, currency=cur, timezone=tz,
                                 monthly_income=income_minor, savings_goal=savings_minor,
                                 period_start_day=start_day, owner_display_name=owner_name)
    hint = f" Set {owner}'s password with 'budget user password {owner}'." if created_owner else ""
    _emit({"family_id": fam.id}, as_json, f"Created family {fam.name} (id {fam.id}).{hint}")


@main.group(cls=BudgetGroup)
def fixed() -> None:
    """Planned fixed expenses (rent, utilities ...)."""


@fixed.command("add")
@click.option("--family", "family_id", type=int, required=True, help="Family id.")
@click.option("--name", required=True, help="What it is, e.g. Rent.")
@click.option("--amount", required=True, help="Amount per period, e.g. 1500.00.")
@click.option("--by", "by", required=True, help="Email of the manager making the change.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def fixed_add(family_id, name, amount, by, as_json) -> None:
    """Plan a fixed expense for every period.

    Example: budget fixed add --family 1 --name Rent --amount 1500.00 --by mom@example.com
    """
    from .services import families

    engine = _engine()
    actor = _user(engine, by)
    fam = families.get_family(engine, actor.id, family_id)
    item = families.add_fixed_expense(engine, actor.id, family_id, name, parse_amount(amount, fam.currency))
    _emit({"id": item.id, "name": item.name, "amount": decimal_string(item.amount, fam.currency)}, as_json,
          f"Planned {item.name}: {format_money(item.amount, fam.currency)} a period.")


# --- transactions -----------------------------------------------------------------------
@main.command("add")
@click.option("--family", "family_id", type=int, required=True, help="Family id.")
@click.option("--amount", required=True, help="Amount, e.g. 15.00 (positive; see --refund).")
@click.option("--description", required=True, help="What it was, e.g. Lunch.")
@click.option("--category", required=True, help="Category name, e.g. Dining (an income category records income).")
@click.option("--by", "by", required=True, help="Email of the member who spent it.")
@click.option("--on", "on", callback=_date, help="Date YYYY-MM-DD (default: today in the family's time zone).")
@click.option("--client-id", callback=_uuid, help="A UUID that makes retries harmless.")
@click.option("--refund", is_flag=True, help="Money coming back: stored as a negative expense.")
@click.option("--json", "as_json", is_flag=True, help="Print the stored transaction as JSON.")
def add(family_id, amount, description, category, by, on, client_id, refund, as_json) -> None:
    """Record an expense, a refund or income. If the database cannot be reached, the entry is
    kept in the local outbox (status "pending") and delivered by 'budget outbox flush' or the app.

    Example: budget add --family 1 --amount 15.00 --description Lunch --category Dining --by dad@example.com
    """
    from .ops.outbox import Outbox, is_unreachable
    from .services import families, transactions

    client_id = client_id or uuid.uuid4()
    try:
        engine = _engine()
        actor = _user(engine, by)
        fam = families.get_family(engine, actor.id, family_id)
        draft = transactions.TransactionDraft(parse_amount(amount, fam.currency), description, category, on,
                                              client_id, refund)
        tx = transactions.add_transaction(engine, actor.id, family_id, draft)
    except (OperationalError, DBAPIError) as exc:
        if not is_unreachable(exc):
            raise
        entry = Outbox().enqueue(family_id, {"amount_text": amount, "description": description, "category": category,
                                             "occurred_on": on.isoformat() if on else None, "refund": refund},
                                 by_email=by, client_id=str(client_id))
        _emit({"status": "pending", "client_id": entry.client_id}, as_json,
              f"The database cannot be reached; saved locally as pending ({entry.client_id}). "
              "It is delivered by 'budget outbox flush' or by the app once the database is back.")
        return
    _emit({**tx.as_json(), "status": "confirmed"}, as_json,
          f"Saved: {tx.description} {format_money(tx.amount, tx.currency)} "
          f"({tx.category}, {tx.occurred_on}) as transaction {tx.id}.")


@main.group(cls=BudgetGroup)
def outbox() -> None:
    """Entries kept locally while the database was unreachable."""


@outbox.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def outbox_list(as_json) -> None:
    """List pending and failed local entries.

    Example: budget outbox list --json
    """
    from .ops.outbox import Outbox

    state = Outbox().state()
    rows = [{"client_id": e.client_id, "family_id": e.family_id, "status": e.status, "reason": e.reason,
             "description": e.description, "at": e.at} for e in state.with_status("pending", "failed")]
    if as_json:
        click.echo(json.dumps({"entries": rows, "damaged_lines": list(state.damaged_lines)}))
        return
    for r in rows:
        reason = f" — {r['reason']}" if r["reason"] else ""
        click.echo(f"{r['status']:<8} {r['client_id']}  family {r['family_id']}  {r['description']}{reason}")
    if state.damaged_lines:
        click.echo(f"Damaged outbox line(s) skipped: {', '.join(map(str, state.damaged_lines))}", err=True)
    if not rows:
        click.echo("The outbox is empty.")


@outbox.command("flush")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def outbox_flush(as_json) -> None:
    """Deliver pending local entries now.

    Example: budget outbox flush --json
    """
    from .ops.outbox import Outbox, is_unreachable

    box = Outbox()
    try:
        result = box.flush(_engine())
    except (OperationalError, DBAPIError) as exc:
        if not is_unreachable(exc):
            raise
        pending = box.pending_count()
        _emit({"delivered": 0, "failed": 0, "pending": pending}, as_json,
              f"The database cannot be reached; {pending} entr{'y' if pending == 1 else 'ies'} still pending.")
        return
    for err in result.errors:
        click.echo(f"Warning: {err}", err=True)
    _emit(result.as_json(), as_json,
          f"Delivered {result.delivered}, failed {result.failed}, still pending {result.pending}.")


@main.command("edit")
@click.option("--family", "family_id", type=int, required=True, help="Family id.")
@click.option("--id", "tx_id", type=int, required=True, help="Transaction id.")
@click.option("--row-version", type=int, required=True, help="The row_version you saw (from add/list --json).")
@click.option("--by", "by", required=True, help="Email of the member making the change.")
@click.option("--amount", help="New amount (positive; see --refund).")
@click.option("--description", help="New description.")
@click.option("--category", help="New category name.")
@click.option("--on", "on", callback=_date, help="New date YYYY-MM-DD.")
@click.option("--refund/--no-refund", default=None, help="Whether it is a refund.")
@click.option("--json", "as_json", is_flag=True, help="Print the stored transaction as JSON.")
def edit(family_id, tx_id, row_version, by, amount, description, category, on, refund, as_json) -> None:
    """Change a transaction, if nobody changed it since you saw it.

    Example: budget edit --family 1 --id 7 --row-version 1 --amount 18.00 --by dad@example.com
    """
    from .services import transactions

    engine = _engine()
    actor = _user(engine, by)
    tx = transactions.get_transaction(engine, actor.id, family_id, tx_id)
    is_refund = tx.is_refund if refund is None else refund
    changes = transactions.TransactionChanges(
        parse_amount(amount, tx.currency) if amount is not None else abs(tx.amount),
        description if description is not None else tx.description,
        category if category is not None else tx.category_id,
        on or tx.occurred_on, is_refund)
    new = transactions.edit_transaction(engine, actor.id, family_id, tx_id, row_version, changes)
    _emit(new.as_json(), as_json, f"Changed transaction {new.id} (now version {new.row_version}).")


@main.command("delete")
@click.option("--family", "family_id", type=int, required=True, help="Family id.")
@click.option("--id", "tx_id", type=int, required=True, help="Transaction id.")
@click.option("--row-version", type=int, required=True, help="The row_version you saw.")
@click.option("--by", "by", required=True, help="Email of the member deleting it.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def delete(family_id, tx_id, row_version, by, as_json) -> None:
    """Delete a transaction, if nobody changed it since you saw it.

    Example: budget delete --family 1 --id 7 --row-version 2 --by dad@example.com
    """
    from .services import transactions

    engine = _engine()
    transactions.delete_transaction(engine, _user(engine, by).id, family_id, tx_id, row_version)
    _emit({"deleted": tx_id}, as_json, f"Deleted transaction {tx_id}.")


@main.command("activity")
@click.option("--family", "family_id", type=int, required=True, help="Family id.")
@click.option("--since", type=int, default=0, show_default=True, help="Only events after this version.")
@click.option("--by", "by", help="Read as this member (default: the family's first manager).")
@click.option("--json", "as_json", is_flag=True, help="Print {\"events\": [...]}.")
def activity_cmd(family_id, since, by, as_json) -> None:
    """The family's activity feed, oldest first.

    Example: budget activity --family 1 --since 10 --json
    """
    from .services import activity

    engine = _engine()
    reader = _user(engine, by).id if by else _first_manager(engine, family_id)
    events = activity.changes_since(engine, reader, family_id, since)
    if as_json:
        click.echo(json.dumps({"events": [e.as_json() for e in events]}, default=str))
        return
    for e in events:
        click.echo(f"{e.version:>5}  {e.at:%Y-%m-%d %H:%M}  {e.text}")
    if not events:
        click.echo("No activity after that version.")


def _first_manager(engine, family_id: int) -> int:
    from sqlalchemy import text

    from .services._uow import not_a_member

    from .db.scope import scoped

    with scoped(engine, family_id) as conn:
        uid = conn.execute(text("SELECT user_id FROM members WHERE family_id = :f AND role = 'manager' "
                                "AND removed_at IS NULL ORDER BY joined_at LIMIT 1"), {"f": family_id}).scalar()
    if uid is None:
        raise not_a_member(family_id)
    return uid


# --- invitations --------------------------------------------------------------------------
@main.group(cls=BudgetGroup)
def invite() -> None:
    """Invitations to join a family."""


@invite.command("create")
@click.option("--family", "family_id", type=int, required=True, help="Family id.")
@click.option("--by", "by", required=True, help="Email of the inviting manager.")
@click.option("--role", type=click.Choice(["member", "manager"]), default="member", show_default=True)
@click.option("--hours", type=int, default=48, show_default=True, help="Hours until it expires (1-168).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def invite_create(family_id, by, role, hours, as_json) -> None:
    """Make a single-use invitation link.

    Example: budget invite create --family 1 --by mom@example.com --role member --hours 48
    """
    from .services import invitations

    engine = _engine()
    made = invitations.create_invitation(engine, _user(engine, by).id, family_id, role=role, hours=hours)
    data = {"id": made.invitation.id, "token": made.token, "url": made.url, "role": role,
            "expires_at": made.invitation.expires_at.isoformat()}
    _emit(data, as_json, f"Invitation {made.invitation.id} ({role}), valid until "
                         f"{made.invitation.expires_at:%Y-%m-%d %H:%M} UTC:\n{made.url}")


@invite.command("redeem")
@click.argument("token")
@click.option("--email", required=True, help="Email of the account joining.")
@click.option("--name", help="Name in the family (default: the account's name).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def invite_redeem(token, email, name, as_json) -> None:
    """Join a family with an invitation token.

    Example: budget invite redeem 3q2-x... --email dad@example.com
    """
    from .services import invitations

    engine = _engine()
    family_id = invitations.redeem_invitation(engine, _user(engine, email).id, token, display_name=name)
    _emit({"family_id": family_id}, as_json, f"{email} joined family {family_id}.")


@invite.command("revoke")
@click.option("--family", "family_id", type=int, required=True, help="Family id.")
@click.option("--id", "invitation_id", type=int, required=True, help="Invitation id (from invite create).")
@click.option("--by", "by", required=True, help="Email of a manager.")
def invite_revoke(family_id, invitation_id, by) -> None:
    """Revoke an open invitation.

    Example: budget invite revoke --family 1 --id 3 --by mom@example.com
    """
    from .services import invitations

    engine = _engine()
    invitations.revoke_invitation(engine, _user(engine, by).id, family_id, invitation_id)
    click.echo(f"Invitation {invitation_id} revoked.")


# --- the daily budget ---------------------------------------------------------------------
@main.command("daily")
@click.option("--family", "family_id", type=int, required=True, help="Family id.")
@click.option("--on", "on", callback=_date, help="Date YYYY-MM-DD (default: today in the family's time zone).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def daily(family_id, on, as_json) -> None:
    """How much the family can still spend today.

    Example: budget daily --family 1 --on 2026-11-25 --json
    """
    from .services.budgets import daily_budget

    fb = daily_budget(_engine(), family_id, on)
    b, cur = fb.budget, fb.currency
    money = lambda v: decimal_string(v, cur)  # noqa: E731
    data = {
        "family_id": family_id, "date": b.on.isoformat(), "period_start": b.period_start.isoformat(),
        "period_end": b.period_end.isoformat(), "days_left": b.days_left, "currency": cur,
        "allowance_today": money(b.allowance_today), "spent_today": money(b.spent_today),
        "left_today": money(b.left_today), "over_by": money(b.over_by),
        "plan_spendable": money(b.plan_spendable), "extra_income": money(b.extra_income),
        "fixed_overrun": money(b.fixed_overrun), "savings_goal": money(b.savings_goal), "saved": money(b.saved),
        "allowance_tomorrow": money(b.allowance_tomorrow_if(0)),
        "kinds": {k.kind: {"planned": money(k.planned), "actual": money(k.actual)} for k in b.spent_by_kind},
    }
    if as_json:
        click.echo(json.dumps(data))
        return
    fm = lambda v: format_money(v, cur)  # noqa: E731
    left = f"left today {fm(b.left_today)}" if b.left_today >= 0 else f"over by {fm(b.over_by)}"
    click.echo(f"{b.on:%A %d %B %Y}: you can spend {fm(b.allowance_today)} today; spent {fm(b.spent_today)}, {left}.")
    click.echo(f"Period {b.period_start} to {b.period_end}, {b.days_left} day{'s' if b.days_left != 1 else ''} left.")
    for k in b.spent_by_kind:
        click.echo(f"  {k.kind:<9} planned {fm(k.planned):>14}   so far {fm(k.actual):>14}")


# --- demo ---------------------------------------------------------------------------------
@main.command("demo")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def demo(as_json) -> None:
    """Create the demo family (four members, a plan, two months of spending).

    Example: budget demo
    """
    from .demo import DEMO_PASSWORD, MEMBERS, create_demo

    family_id, _ = create_demo(_engine())
    emails = [m[0] for m in MEMBERS]
    _emit({"family_id": family_id, "emails": emails, "password": DEMO_PASSWORD}, as_json,
          f"Demo family {family_id} is ready. Sign in as {emails[0]} (or {', '.join(emails[1:])}) "
          f"with the password {DEMO_PASSWORD}.")


# --- analysts ---------------------------------------------------------------------------------
@main.command("export")
@click.option("--family", "family_id", type=int, required=True, help="Family id.")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True)
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False), help="File to write.")
@click.option("--from", "date_from", callback=_date, help="First date, YYYY-MM-DD (inclusive).")
@click.option("--to", "date_to", callback=_date, help="Last date, YYYY-MM-DD (inclusive).")
def export_cmd(family_id, fmt, output, date_from, date_to) -> None:
    """Write one row per transaction (amount as an exact decimal and in minor units).

    Example: budget export --family 1 --format parquet -o smiths.parquet --from 2026-11-01 --to 2026-11-30
    """
    from .export import export_transactions

    if date_from and date_to and date_from > date_to:
        raise click.BadParameter("--from must not be after --to.", param_hint="--from")
    rows = export_transactions(_engine(), family_id, output, fmt, date_from, date_to)
    click.echo(f"Wrote {rows} transaction{'s' if rows != 1 else ''} to {output}.")


# --- operations ---------------------------------------------------------------------------
@main.command("health")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def health_cmd(as_json) -> None:
    """Database, watcher, outbox, notification queue, breakers, degradation and metrics.

    Example: budget health --json
    """
    from .ops import health
    from .db.engine import database_url, make_engine

    try:
        engine = _engine()
    except (OperationalError, DBAPIError):
        engine = make_engine(database_url(), pool_pre_ping=False)
    report = health.check(engine)
    if as_json:
        click.echo(json.dumps(report.as_json(), default=str))
        return
    db = report.database
    click.echo(f"database      {'reachable, ' + str(db['rtt_ms']) + ' ms round trip' if db['reachable'] else 'UNREACHABLE'}")
    click.echo(f"outbox        {report.outbox['pending']} pending, {report.outbox['failed']} failed")
    if report.queue:
        q = report.queue
        click.echo(f"notifications e-mail {q['email']['queued']} queued / {q['email']['failed']} failed, "
                   f"push {q['push']['queued']} queued / {q['push']['failed']} failed")
    for b in report.breakers:
        click.echo(f"breaker       {b['name']}: {b['state'] if b['configured'] else 'not configured'}")
    for feature, level in report.degradation.items():
        click.echo(f"degradation   {feature}: {level}")
    for name, m in report.metrics.get("1h", {}).items():
        click.echo(f"last hour     {name}: {m['count']} calls, {m['error_rate']:.1%} errors, "
                   f"p50 {m['p50_ms']} ms, p95 {m['p95_ms']} ms")


@main.command("backup")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False), help="File to write.")
def backup_cmd(output) -> None:
    """Write a consistent backup of the whole database.

    Example: budget backup -o family-budget.dump
    """
    from .ops.backup import backup
    from .db.engine import database_url

    size = backup(database_url(), output)
    click.echo(f"Backup written to {output} ({size:,} bytes).")


@main.command("restore")
@click.argument("backup_file", type=click.Path(dir_okay=False))
def restore_cmd(backup_file) -> None:
    """Restore a backup into an empty database.

    Example: budget restore family-budget.dump
    """
    from .ops.backup import restore
    from .db.engine import database_url

    restore(database_url(), backup_file)
    click.echo(f"Restored {backup_file}.")


from .importers.cli import import_group  # noqa: E402
main.add_command(import_group)


if __name__ == "__main__":
    main()
