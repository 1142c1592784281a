"""How every table would be placed on Citus (PostgreSQL distributed by ``family_id``).

The schema is checked against this by ``tests/integration/test_citus_readiness.py`` and the plan
is printed by ``budget db distribution`` (and copied in the README's scale-out section):

- **Family tables** are distributed by ``family_id`` and co-located with ``families`` (itself
  distributed by its ``id``): a family's rows live on one worker, so every query about one family
  is routed to that worker whole. Each keeps ``family_id`` in its primary key, in every unique
  key, and in every foreign key to another family table. Any table with a ``family_id`` column
  is one, unless named below.
- **Reference tables** are copied to every worker: small, read far more than written, looked up
  across families, and joinable with any family table on any worker.
- **Coordinator tables** stay on the coordinator (``citus_add_local_table_to_metadata``): the
  app's per-person and per-process bookkeeping, written often, never joined with family rows.

A new table must be classified here; the readiness test fails until it is.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from ..errors import ValidationError

FAMILY_ROOT = "families"  # distributed by its own id; every other family table co-locates with it
DISTRIBUTION_COLUMN = "family_id"

REFERENCE_TABLES: dict[str, str] = {
    "users": "accounts: found by email before any family is known; joined with members on every worker",
    "invitation_tokens": "which family an invitation token belongs to: the one lookup that crosses families",
}

COORDINATOR_TABLES: dict[str, str] = {
    "user_sessions": "sign-in sessions: one person's, checked on each page run, touched every minute",
    "auth_failures": "failed sign-ins by account name and client address (rate limits)",
    "metric_minutes": "per-minute service metrics written by every process",
    "password_resets": "single-use password reset links: one person's, never joined with family rows",
    "account_mail": "the queue of e-mails about an account (reset links), sent by the owner's dispatcher",
    "alembic_version": "which migration the schema is at",
}


def kind_of(table: str, has_family_id: bool) -> str:
    """``family``, ``reference``, ``coordinator`` or ``unclassified``."""
    if table in REFERENCE_TABLES:
        return "reference"
    if table in COORDINATOR_TABLES:
        return "coordinator"
    if table == FAMILY_ROOT or has_family_id:
        return "family"
    return "unclassified"


def plan(family_tables: list[str], references: dict[str, set[str]] | None = None) -> list[str]:
    """The statements that distribute the schema, in an order Citus accepts: reference tables first
    (family tables point at them), then ``families``, then each family table after the family
    tables its foreign keys point at (``references``: table → tables it references)."""
    references = references or {}
    statements = [f"SELECT create_reference_table('{t}');" for t in REFERENCE_TABLES]
    statements += [f"SELECT citus_add_local_table_to_metadata('{t}');" for t in COORDINATOR_TABLES]
    statements.append(f"SELECT create_distributed_table('{FAMILY_ROOT}', 'id');")
    done, todo = {FAMILY_ROOT}, sorted(set(family_tables) - {FAMILY_ROOT})
    while todo:
        ready = [t for t in todo if references.get(t, set()) & set(family_tables) <= done | {t}]
        if not ready:
            raise ValueError(f"foreign keys between {todo} form a cycle; Citus cannot distribute them in any order")
        for t in ready:
            statements.append(
                f"SELECT create_distributed_table('{t}', '{DISTRIBUTION_COLUMN}', colocate_with => '{FAMILY_ROOT}');"
            )
            done.add(t)
            todo.remove(t)
    return statements


_TABLES = text(
    "SELECT c.relname, EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'family_id' "
    "AND NOT a.attisdropped) AS has_family_id FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1"
)
_REFERENCES = text(
    "SELECT t.relname AS child, p.relname AS parent FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid "
    "JOIN pg_class p ON p.oid = c.confrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
    "WHERE n.nspname = 'public' AND c.contype = 'f'"
)


def plan_for(conn: Connection) -> list[str]:
    """The plan for the schema the connection's database has now (ValidationError if a table is unclassified)."""
    kinds = {name: kind_of(name, has) for name, has in conn.execute(_TABLES)}
    unclassified = sorted(t for t, k in kinds.items() if k == "unclassified")
    if unclassified:
        raise ValidationError(
            f"The tables {', '.join(unclassified)} are not classified for Citus; add them to "
            "budget_core/db/distribution.py."
        )
    references: dict[str, set[str]] = {}
    for child, parent in conn.execute(_REFERENCES):
        references.setdefault(child, set()).add(parent)
    return plan([t for t, k in kinds.items() if k == "family"], references)
