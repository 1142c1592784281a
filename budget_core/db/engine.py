"""Engines: the app's (as the ``budget_app`` role, under row-level security) and the owner's.

``owner_url()`` is the server the operator configured (``BUDGET_DATABASE_URL``) or the
embedded server's superuser; migrations, backups and cross-family system work (the notification
dispatcher) use it. The app itself connects as ``budget_app``, a role that owns nothing and
cannot bypass row-level security:

- ``BUDGET_APP_DATABASE_URL`` when set;
- on the embedded server, ``budget_app`` logs in directly over the private socket;
- otherwise the owner's login with ``SET ROLE budget_app`` on every new connection.

One engine of each kind per process; ``get_engine()`` applies pending migrations first.
"""

from __future__ import annotations

import os
import threading

import psycopg
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

from ..config import settings
from .roles import APP_ROLE


def normalise_url(url: str) -> str:
    """Accept postgres:// and postgresql:// URLs and use the psycopg 3 driver."""
    u = make_url(url)
    if u.drivername in ("postgres", "postgresql"):
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


def owner_url() -> str:
    """The URL migrations run with: the configured server, or the embedded server's superuser."""
    s = settings()
    if s.database_url:
        return normalise_url(s.database_url)
    from . import embedded

    return embedded.start(s.data_dir)


database_url = owner_url  # the name the CLI and older callers use


def app_url(owner: str | None = None) -> tuple[str, bool]:
    """(URL the app connects with, whether it must ``SET ROLE budget_app`` after connecting)."""
    explicit = os.environ.get("BUDGET_APP_DATABASE_URL")
    if explicit:
        return normalise_url(explicit), False
    owner = owner or owner_url()
    if not settings().database_url:  # embedded: trust authentication over the private socket
        return make_url(owner).set(username=APP_ROLE, password=None).render_as_string(hide_password=False), False
    return owner, True


def driver_connection(conn: Connection) -> psycopg.Connection:
    """The psycopg connection under a SQLAlchemy one (for COPY and array parameters)."""
    raw = conn.connection.driver_connection
    if not isinstance(raw, psycopg.Connection):
        raise TypeError("budget_core runs on psycopg 3 connections")
    return raw


def make_engine(url: str, *, set_role: str | None = None, **kwargs) -> Engine:
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(normalise_url(url), **kwargs)
    engine.budget_role = set_role  # type: ignore[attr-defined]  # connections beside the pool (the watcher's) take it too

    @event.listens_for(engine, "connect")
    def _session_setup(dbapi_conn, _record):
        with dbapi_conn.cursor() as cur:
            cur.execute("SET TIME ZONE 'UTC'")  # timestamps leave the database in UTC
            if set_role:
                cur.execute(f'SET ROLE "{set_role}"')
        dbapi_conn.commit()

    return engine


def make_app_engine(owner: str, **kwargs) -> Engine:
    """An engine that acts as ``budget_app`` on the database of ``owner``."""
    if not settings().database_url or os.environ.get("BUDGET_APP_DATABASE_URL"):
        url, needs_role = app_url(owner)
    else:
        url, needs_role = owner, True
    return make_engine(url, set_role=APP_ROLE if needs_role else None, **kwargs)


_engine: Engine | None = None
_owner_engine: Engine | None = None
_lock = threading.Lock()


def get_engine() -> Engine:
    """The process's app engine (role ``budget_app``), on a database migrated to the newest schema."""
    global _engine
    with _lock:
        if _engine is None:
            from .migrate import upgrade

            owner = owner_url()
            upgrade(owner)
            _engine = make_app_engine(owner)
        return _engine


def get_owner_engine() -> Engine:
    """The process's owner engine, for system work across families (small pool)."""
    global _owner_engine
    with _lock:
        if _owner_engine is None:
            _owner_engine = make_engine(owner_url(), pool_size=2, max_overflow=2)
        return _owner_engine


def set_engine(engine: Engine | None, owner: Engine | None = None) -> None:
    """Use these engines as the process's engines (tests, benchmarks)."""
    global _engine, _owner_engine
    _engine = engine
    _owner_engine = owner
