"""Shared fixtures: a real PostgreSQL for every test that needs one.

By default the embedded server is started in a temporary data directory; set
``BUDGET_DATABASE_URL`` to run against another server (the role needs CREATEDB). Each test gets
its own database, cloned from a migrated template, and it is dropped afterwards.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

import psycopg
import pytest
from households import Household  # tests/ is on sys.path: this file's folder
from sqlalchemy.engine import make_url

from budget_core import config
from budget_core.db import engine as engine_mod
from budget_core.db.engine import make_app_engine, make_engine, normalise_url
from budget_core.db.migrate import upgrade
from budget_core.services import budgets

ROOT = Path(__file__).resolve().parents[1]


def _psycopg_conninfo(url: str, dbname: str) -> str:
    u = make_url(url).set(drivername="postgresql", database=dbname)
    return u.render_as_string(hide_password=False)


@pytest.fixture(scope="session", autouse=True)
def local_files_in_a_temporary_folder(tmp_path_factory):
    """The app's own local files (the outbox, a default embedded server) live under
    ``BUDGET_DATA_DIR``, by default a system folder for root (``/var/lib/family-budget``): every
    test keeps them in a temporary one unless it names its own."""
    patch = pytest.MonkeyPatch()
    if not os.environ.get("BUDGET_DATA_DIR"):
        patch.setenv("BUDGET_DATA_DIR", str(tmp_path_factory.mktemp("data")))
    config.reset_settings()
    yield
    patch.undo()
    config.reset_settings()


@pytest.fixture(scope="session")
def server_url():
    """A SQLAlchemy URL of a server we may create databases on (its own database is not touched)."""
    external = os.environ.get("BUDGET_DATABASE_URL")
    if external:
        yield normalise_url(external)
        return
    data_dir = Path(tempfile.mkdtemp(prefix="budget-test-"))
    os.chmod(data_dir, 0o755)
    from budget_core.db import embedded

    url = embedded.start(data_dir)
    yield url
    embedded.stop(data_dir)  # before its folder goes, or the server would outlive the tests
    shutil.rmtree(data_dir, ignore_errors=True)


class Databases:
    """Creates databases cloned from the migrated template."""

    def __init__(self, server_url: str):
        self.server_url = server_url
        self.template = f"budget_tmpl_{os.getpid()}"
        self._admin = _psycopg_conninfo(server_url, "postgres")
        with psycopg.connect(self._admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.template}"')
            conn.execute(f'CREATE DATABASE "{self.template}"')
        upgrade(self.url(self.template))

    def url(self, name: str) -> str:
        return make_url(self.server_url).set(database=name).render_as_string(hide_password=False)

    def create(self) -> str:
        name = f"budget_t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self._admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return name

    def drop(self, name: str) -> None:
        with psycopg.connect(self._admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def allow_connections(self, name: str, allowed: bool) -> None:
        """Open or close a database to every new connection, ending the open ones when closing:
        to the app, the database is gone (a real refusal, not a mock)."""
        with psycopg.connect(self._admin, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS {str(allowed).lower()}')
            if not allowed:
                conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))

    def close(self) -> None:
        self.drop(self.template)


@pytest.fixture(scope="session")
def databases(server_url):
    dbs = Databases(server_url)
    yield dbs
    dbs.close()


@pytest.fixture
def db_url(databases):
    """The URL of a fresh, migrated, empty database of this test's own."""
    name = databases.create()
    yield databases.url(name)
    databases.drop(name)


@pytest.fixture
def owner_engine(db_url):
    """The owner's engine on this test's database: row-level security does not apply to it, so
    tests use it to see every row (what was written, and that nothing else was)."""
    eng = make_engine(db_url, pool_size=2, max_overflow=4)
    yield eng
    eng.dispose()


@pytest.fixture
def engine(db_url, owner_engine, monkeypatch):
    """The app's engine on this test's own database: role ``budget_app``, under row-level
    security, exactly as the app connects. Also installed as the process's engine."""
    monkeypatch.setenv("BUDGET_DATABASE_URL", db_url)
    config.reset_settings()
    eng = make_app_engine(db_url, pool_size=10, max_overflow=30)
    engine_mod.set_engine(eng, owner_engine)
    budgets.clear_cache()
    yield eng
    engine_mod.set_engine(None)
    eng.dispose()
    config.reset_settings()
    budgets.clear_cache()


# --- a household, made through the services (tests/households.py) ----------------------------
@pytest.fixture
def home(engine, owner_engine) -> Household:
    return Household(engine, owner_engine)
