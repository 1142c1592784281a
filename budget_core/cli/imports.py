"""``budget import …``: bank files, the inbox folder, rules and linked rows to review.

``budget import FILE…`` is short for ``budget import file FILE…`` (the group inserts ``file`` when
its first word is not one of its commands; name a file ``file ./watch`` if it is called "watch").
Typed errors end the command with one line on stderr through the main group; a file that fails
among several is reported and counted, and the command exits 1.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path

import click

from ..domain.money import decimal_string
from ..errors import BudgetError
from ..importers.csv_cells import DATE_FORMATS
from ._common import family_as, get_engine, user_by_email


class ImportGroup(click.Group):
    """A group whose default command is ``file``: ``budget import --family 1 --by … x.csv`` works."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["file", *args]
        return super().parse_args(ctx, args)


@click.group("import", cls=ImportGroup, context_settings={"help_option_names": ["-h", "--help"]})
def import_group() -> None:
    """Import bank files (CSV, OFX/QFX): no duplicates, rules, an inbox folder.

    Example: budget import --family 1 --by mom@example.com checking.ofx card.csv

    Example: budget import watch --family 1 --by mom@example.com ~/BankInbox
    """


_family = click.option("--family", "family_id", type=int, required=True, help="Family id.")
_by = click.option("--by", "by", required=True, help="Email of the member importing.")
_as_json = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")


@import_group.command("file")
@_family
@_by
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would be imported; write nothing.")
@click.option("--profile", help="Bank profile to read with and save as (default: the one matching the header).")
@click.option("--account", help="Name of the bank account in import ids (CSV; keep it the same for every file).")
@click.option("--date-format", type=click.Choice(list(DATE_FORMATS)), help="When the dates read both ways.")
@_as_json
def import_files(family_id, by, files, dry_run, profile, account, date_format, as_json) -> None:
    """Import bank files; print added / duplicates / linked / failed.

    Each file is one transaction: a file with a bad line imports nothing and names the line.

    Example: budget import file --family 1 --by mom@example.com --dry-run checking.csv
    """
    from ..importers.service import ImportOptions, import_file

    engine = get_engine()
    access = family_as(engine, family_id, by)
    options = ImportOptions(profile=profile, account=account, date_format=date_format, dry_run=dry_run)
    results, totals = [], {"added": 0, "duplicates": 0, "linked": 0, "failed": 0}
    for path in files:
        try:
            result = import_file(access, path.name, path, options)
        except BudgetError as err:
            totals["failed"] += 1
            results.append({"file": path.name, "error": err.message})
            if not as_json:
                click.echo(f"Error: {path.name}: {err.message}", err=True)
            continue
        for key in ("added", "duplicates", "linked"):
            totals[key] += getattr(result, key)
        results.append(result.as_json())
        if not as_json:
            _print_result(result)
    if as_json:
        click.echo(json.dumps({"files": results, **totals, "dry_run": dry_run}, default=str))
    else:
        verb = "would add" if dry_run else "added"
        click.echo(
            f"Total: {totals['added']} {verb}, {totals['duplicates']} duplicates, {totals['linked']} linked, "
            f"{totals['failed']} failed."
        )
    if totals["failed"]:
        sys.exit(1)


def _print_result(result) -> None:
    click.echo(result.summary() + ".")
    if result.mapping is not None:
        click.echo(f"  read with bank profile '{result.profile}': {result.mapping.describe()}")
    for p in result.rows:
        if p.status == "linked":
            click.echo(
                f"  linked for review: {p.row.occurred_on} {p.row.description} "
                f"{decimal_string(p.row.amount, result.currency)} = transaction {p.transaction_id}"
            )


@import_group.command("watch")
@_family
@_by
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--settle",
    type=click.FloatRange(0.0, 3600.0),
    default=2.0,
    show_default=True,
    help="Seconds a file's size must stay unchanged before it is imported.",
)
@click.option(
    "--share",
    is_flag=True,
    help="DIR also holds other files: take only the statements and leave everything else where it is.",
)
@click.option("--once", is_flag=True, help="Import what the folder holds now, then stop (for cron).")
def watch_cmd(family_id, by, directory, settle, share, once) -> None:
    """Import every bank statement dropped into DIR; move it to processed/ or failed/ (with a reason file).

    Only statements are taken (by extension and content); any other file stays exactly where it
    is. A DIR holding other files is refused at start unless --share is given. Statements that
    arrived while the watcher was not running are imported at start. Ctrl-C or SIGTERM stops it;
    with --once it stops by itself once the folder is done.

    Example: budget import watch --family 1 --by mom@example.com ~/BankInbox --settle 2
    """
    from ..importers.watch import Inbox, check_inbox

    engine = get_engine()
    access = family_as(engine, family_id, by)
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    inbox = Inbox(access, directory, settle_seconds=settle, on_result=_echo_watch, share=share)
    check_inbox(directory.resolve(), share=share)
    if once:
        inbox.run_once(stop)
        signal.signal(signal.SIGTERM, previous)
        return
    click.echo(f"Watching {directory.resolve()} for bank files (Ctrl-C stops).")
    try:
        inbox.run(stop)
    except KeyboardInterrupt:
        stop.set()
    finally:
        signal.signal(signal.SIGTERM, previous)
    click.echo("Stopped watching.")


def _echo_watch(name: str, result, error: str | None) -> None:
    if error is not None:
        click.echo(f"{name}: failed: {error}", err=True)
    else:
        click.echo(result.summary() + ".")


# --- past imports ------------------------------------------------------------------------------------
@import_group.command("history")
@_family
@_by
@_as_json
def history_cmd(family_id, by, as_json) -> None:
    """Past imports, newest first: file, when, by whom, rows added and linked, undone or not.

    Example: budget import history --family 1 --by mom@example.com
    """
    from ..importers.history import list_imports

    past = list_imports(family_as(get_engine(), family_id, by))
    if as_json:
        click.echo(json.dumps({"imports": [p.as_json() for p in past]}))
        return
    if not past:
        click.echo("No imports yet.")
    for p in past:
        undone = f"  (undone by {p.undone_by})" if p.undone else ""
        click.echo(
            f"{p.id:>5}  {p.imported_at:%Y-%m-%d %H:%M}  {p.imported_by:<12} {p.file_name}: "
            f"{p.added} added, {p.linked} linked{undone}"
        )


@import_group.command("undo")
@_family
@_by
@click.option("--id", "import_id", type=int, required=True, help="Import id (from import history).")
@_as_json
def undo_cmd(family_id, by, import_id, as_json) -> None:
    """Undo a whole import: remove the transactions it added and the links it made.

    Example: budget import undo --family 1 --by mom@example.com --id 7
    """
    from ..importers.history import undo_import

    done = undo_import(family_as(get_engine(), family_id, by), import_id)
    data = {"import": done.import_id, "file": done.file_name, "removed": done.removed, "unlinked": done.unlinked}
    click.echo(
        json.dumps(data)
        if as_json
        else f"Undid the import of {done.file_name}: {done.removed} transactions removed, {done.unlinked} links undone."
    )


# --- linked rows -------------------------------------------------------------------------------------
@import_group.command("review")
@_family
@_by
@click.option("--confirm-all", is_flag=True, help="Confirm every listed link.")
@click.option("--unlink", "unlink_id", help="Import id of a row that is not the typed expense: add it on its own.")
@_as_json
def review_cmd(family_id, by, confirm_all, unlink_id, as_json) -> None:
    """List bank rows linked to expenses typed by hand; confirm them or undo one link.

    Example: budget import review --family 1 --by mom@example.com --confirm-all
    """
    from ..importers.links import confirm_links, links_to_review, unlink

    engine = get_engine()
    access = family_as(engine, family_id, by)
    currency = access.currency
    if unlink_id:
        tx_id = unlink(access, unlink_id)
        click.echo(json.dumps({"transaction_id": tx_id}) if as_json else f"Added it as transaction {tx_id}.")
        return
    links = links_to_review(access)
    confirmed = confirm_links(access, [x.import_id for x in links]) if confirm_all else 0
    if as_json:
        click.echo(
            json.dumps(
                {
                    "links": [
                        {
                            "import_id": x.import_id,
                            "date": x.occurred_on.isoformat(),
                            "amount": decimal_string(x.bank_amount, currency),
                            "description": x.description,
                            "file": x.file_name,
                            "transaction_id": x.transaction_id,
                            "member": x.member,
                        }
                        for x in links
                    ],
                    "confirmed": confirmed,
                }
            )
        )
        return
    for x in links:
        click.echo(
            f"{x.import_id}  {x.occurred_on}  {decimal_string(x.bank_amount, currency):>10}  {x.description}"
            f"  = {x.member or '?'}'s '{x.transaction_description}' on {x.transaction_on}"
        )
    click.echo(f"{len(links)} linked rows to review" + (f"; {confirmed} confirmed." if confirm_all else "."))


# --- rules ---------------------------------------------------------------------------------------------
@import_group.group("rules")
def rules_group() -> None:
    """Categorisation rules, tried in order: description contains / matches → category.

    Example: budget import rules list --family 1 --by mom@example.com
    """


def _print_rules(rules, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"rules": [r.as_json() for r in rules]}))
        return
    for r in rules:
        click.echo(f"{r.position:>3}. [{r.id}] {r.describe()}")
    if not rules:
        click.echo("No rules yet.")


@rules_group.command("list")
@_family
@_by
@_as_json
def rules_list(family_id, by, as_json) -> None:
    """The rules in the order they are tried.

    Example: budget import rules list --family 1 --by mom@example.com
    """
    from ..importers.rules import list_rules

    _print_rules(list_rules(family_as(get_engine(), family_id, by)), as_json)


def _pattern(contains: str | None, regex: str | None) -> tuple[str, bool]:
    if bool(contains) == bool(regex):
        raise click.UsageError("Give either --contains TEXT or --regex PATTERN.")
    return (contains, False) if contains else (regex or "", True)


@rules_group.command("add")
@_family
@_by
@click.option("--contains", help="Text the description contains (any case).")
@click.option("--regex", help="A regular expression searched in the description (any case).")
@click.option("--category", required=True, help="Category name, e.g. Fun.")
@click.option("--member", help="Email of the member the rows belong to (default: whoever imports).")
@_as_json
def rules_add(family_id, by, contains, regex, category, member, as_json) -> None:
    """Add a rule; it is tried first.

    Example: budget import rules add --family 1 --by mom@example.com --contains SPOTIFY --category Fun
    """
    from ..importers.rules import RuleDraft, add_rule

    pattern, is_regex = _pattern(contains, regex)
    engine = get_engine()
    access = family_as(engine, family_id, by)
    member_id = user_by_email(engine, member).id if member else None
    rule = add_rule(access, RuleDraft(pattern, category, is_regex, member_id))
    click.echo(json.dumps(rule.as_json()) if as_json else f"Rule {rule.id}: {rule.describe()}.")


@rules_group.command("edit")
@_family
@_by
@click.option("--id", "rule_id", type=int, required=True, help="Rule id (from rules list).")
@click.option("--contains", help="New text the description contains.")
@click.option("--regex", help="New regular expression.")
@click.option("--category", help="New category name.")
@click.option("--member", help="Email of the member the rows belong to; '-' for whoever imports.")
@_as_json
def rules_edit(family_id, by, rule_id, contains, regex, category, member, as_json) -> None:
    """Change a rule (managers).

    Example: budget import rules edit --family 1 --by mom@example.com --id 3 --category Subscriptions
    """
    from ..importers.rules import RuleDraft, edit_rule, list_rules

    engine = get_engine()
    access = family_as(engine, family_id, by)
    current = next((r for r in list_rules(access) if r.id == rule_id), None)
    if current is None:
        raise click.UsageError(f"This family has no rule {rule_id}; see 'budget import rules list'.")
    pattern, is_regex = _pattern(contains, regex) if (contains or regex) else (current.pattern, current.is_regex)
    member_id = current.user_id if member is None else (None if member == "-" else user_by_email(engine, member).id)
    rule = edit_rule(access, rule_id, RuleDraft(pattern, category or current.category_id, is_regex, member_id))
    click.echo(json.dumps(rule.as_json()) if as_json else f"Rule {rule.id}: {rule.describe()}.")


@rules_group.command("move")
@_family
@_by
@click.option("--id", "rule_id", type=int, required=True, help="Rule id.")
@click.option("--to", "position", type=click.IntRange(min=1), required=True, help="New position (1 = first).")
@_as_json
def rules_move(family_id, by, rule_id, position, as_json) -> None:
    """Move a rule to another place in the order (managers).

    Example: budget import rules move --family 1 --by mom@example.com --id 3 --to 1
    """
    from ..importers.rules import move_rule

    _print_rules(move_rule(family_as(get_engine(), family_id, by), rule_id, position), as_json)


@rules_group.command("delete")
@_family
@_by
@click.option("--id", "rule_id", type=int, required=True, help="Rule id.")
def rules_delete(family_id, by, rule_id) -> None:
    """Delete a rule (managers); categorised transactions keep their category.

    Example: budget import rules delete --family 1 --by mom@example.com --id 3
    """
    from ..importers.rules import delete_rule

    delete_rule(family_as(get_engine(), family_id, by), rule_id)
    click.echo(f"Rule {rule_id} deleted.")
