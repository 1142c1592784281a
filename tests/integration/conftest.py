"""Helpers that build small families through the services, as a person would, and that check
what the database holds.

Services run on the app's engine (role ``budget_app``, under row-level security), as in
production. Checks of what was stored use the owner's engine, which sees every row of every
family: under row-level security an unscoped read sees nothing, so a "nothing was written"
check made with the app's engine could never fail.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from households import PASSWORD, Household  # noqa: F401 (shared with the other suites; tests import them from here)
from sqlalchemy import Engine, text

from budget_core.db.engine import make_app_engine, make_engine
from budget_core.db.scope import unfiltered

LEDGER_TABLES = (
    "users",
    "families",
    "members",
    "fixed_expenses",
    "categories",
    "transactions",
    "events",
    "invitations",
)


def fingerprint(owner: Engine) -> dict[str, tuple[int, str]]:
    """(row count, md5 of every row's text) per ledger table, read with the owner's engine (every
    family's rows): equal fingerprints mean nothing was written."""
    sql = " UNION ALL ".join(
        f"SELECT '{t}', count(*), md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM {t} x"
        for t in LEDGER_TABLES
    )
    with owner.connect() as conn:
        unfiltered(conn)  # every row, or an error: never a fingerprint of what a policy let through
        return {name: (count, digest) for name, count, digest in conn.execute(text(sql))}


@pytest.fixture(scope="module")
def module_engines(databases) -> Iterator[tuple[Engine, Engine]]:
    """A fresh migrated database shared by one module's cases: (the app's engine, the owner's engine).

    For modules whose many refusal cases share one world built once; dropped after the module.
    """
    name = databases.create()
    url = databases.url(name)
    app, owner = make_app_engine(url), make_engine(url, pool_size=2, max_overflow=2)
    yield app, owner
    app.dispose()
    owner.dispose()
    databases.drop(name)
