"""Fixtures of the adversarial tests: one database shared by a whole module.

The stateful test runs hundreds of examples; each builds its own families through the services
on this one database (a new database per example would cost more than the steps themselves).
The app's engine connects as ``budget_app`` under row-level security, exactly as production does;
the owner's engine sees every row and is only used to read the truth.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import Engine, event

from budget_core.db.engine import make_app_engine, make_engine


@pytest.fixture(scope="module")
def shared_engines(databases) -> Iterator[tuple[Engine, Engine]]:
    """(the app's engine, the owner's engine) on a fresh migrated database, dropped after the module.

    Made for many short steps, none of which changes what is tested: no pre-ping (a ping per
    checkout would double the round trips), no wait for the disk at commit (``synchronous_commit``
    off on this throw-away database: a crash could lose the last commits, never make them partial),
    and the owner's connections read in autocommit (each check is one statement, so one snapshot)
    with ``row_security = off`` for their whole session, so a check sees every family's rows or
    fails (as ``scope.unfiltered`` does per transaction).
    """
    name = databases.create()
    url = databases.url(name)
    with psycopg.connect(databases._admin, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    app = make_app_engine(url, pool_size=4, max_overflow=4, pool_pre_ping=False)
    owner = make_engine(url, pool_size=2, max_overflow=2, pool_pre_ping=False, isolation_level="AUTOCOMMIT")

    @event.listens_for(owner, "connect")
    def _unfiltered(dbapi_conn, _record):
        with dbapi_conn.cursor() as cur:
            cur.execute("SET row_security = off")
        dbapi_conn.commit()

    yield app, owner
    app.dispose()
    owner.dispose()
    databases.drop(name)
