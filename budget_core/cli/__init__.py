"""The ``budget`` command: thin wrappers over the services, one per use case.

Every failure exits non-zero with one line on stderr that says what to do; ``--json`` prints
exactly one JSON object on stdout. Amounts are typed and printed as decimal strings ("15.00").

- ``_common``: the error-handling group, the engine, ``--json`` output, date and UUID options.
- ``ledger``: the family and its plan, transactions, activity, the daily budget, demo, export.
- ``people``: accounts, members and invitations.
- ``operations``: the database, the local outbox, health, backup and restore, serving several processes.
- ``imports``: ``budget import …`` (bank files, the inbox folder, rules, links to review).

May import every other part of ``budget_core``; nothing imports this package (it is an entry
point: ``budget = "budget_core.cli:main"``).
"""

from __future__ import annotations

import click

from . import bills, imports, ledger, operations, people, plans
from ._common import BudgetGroup, harden


@click.group(cls=BudgetGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Family Budget: how much can we still spend today?

    Without BUDGET_DATABASE_URL every command uses the private embedded PostgreSQL in the data
    directory (BUDGET_DATA_DIR overrides where that is).
    """


for command in (
    ledger.family,
    ledger.fixed,
    bills.bill,
    plans.schedule,
    plans.plan,
    plans.target,
    ledger.add,
    ledger.edit,
    ledger.delete,
    ledger.activity_cmd,
    ledger.daily,
    ledger.demo,
    ledger.export_cmd,
    people.user,
    people.member,
    people.invite,
    operations.db,
    operations.outbox,
    operations.health_cmd,
    operations.backup_cmd,
    operations.restore_cmd,
    operations.serve_cmd,
    imports.import_group,
):
    main.add_command(command)
harden(main)  # every value checked: text, ranges, finite numbers (exit 2 when not)
