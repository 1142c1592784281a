"""Engines: the app's (as the ``budget_app`` role, under row-level security) and the owner's.

``owner_url()`` is the server the operator configured (``BUDGET_DATABASE_URL``) or the
embedded server's superuser; migrations, backups and cross-family system work (the notification
dispatcher) use it. The app itself connects as ``budget_app``, a role that owns nothing and
cannot bypass row-level security:

- ``BUDGET_APP_DATABASE_URL`` when set;
- on the embedded server, ``budget_app`` logs in directly over the private socket;
- otherwise the owner's login with ``SET ROLE budget_app`` on every new connection.

``BUDGET_APP_DATABASE_URL`` may name a transaction-mode pooler (PgBouncer, as ``budget serve``
runs it): one transaction's statements share a server connection, two transactions may not. So an
app engine on it sets nothing for the session but the time zone (a parameter PgBouncer tracks per
client and sets again on whatever server connection it hands out), no ``SET ROLE`` (the URL's
login is ``budget_app`` itself, or the pooler sets the role on its server connections), and
prepares no statements on the server (PgBouncer 1.18 cannot route them). Row-level scope is
``SET LOCAL`` (``db/scope.py``), which ends with the transaction. LISTEN needs a session of its
own: ``direct_app_url()`` is where the change watcher connects, straight to the server.

One engine of each kind per process; ``get_engine()`` applies pending migrations first.
"""

from __future__ import annotations

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


def direct_app_url(owner: str | None = None) -> tuple[str, bool]:
    """(URL that reaches the server itself as ``budget_app``, whether it must ``SET ROLE budget_app``).

    For connections that need a session of their own (the watcher's LISTEN): never the pooler of
    ``BUDGET_APP_DATABASE_URL``. ``BUDGET_LISTEN_DATABASE_URL`` overrides it.
    """
    s = settings()
    if s.listen_database_url:
        return normalise_url(s.listen_database_url), False
    owner = owner or owner_url()
    if not s.database_url:  # embedded: trust authentication over the private socket
        return make_url(owner).set(username=APP_ROLE, password=None).render_as_string(hide_password=False), False
    return owner, True


def driver_connection(conn: Connection) -> psycopg.Connection:
    """The psycopg connection under a SQLAlchemy one (for COPY and array parameters)."""
    raw = conn.connection.driver_connection
    if not isinstance(raw, psycopg.Connection):
        raise TypeError("budget_core runs on psycopg 3 connections")
    return raw


def app_url(owner: str | None = None) -> tuple[str, bool]:
    """(URL the app connects with, whether it must ``SET ROLE budget_app`` after connecting)."""
    explicit = settings().app_database_url
    if explicit:
        return normalise_url(explicit), False
    return direct_app_url(owner)


def make_engine(url: str, *, set_role: str | None = None, pooled: bool = False, **kwargs) -> Engine:
    """An engine on ``url``; ``pooled``: the URL may be a transaction-mode pooler (see the module's notes)."""
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    if pooled:
        kwargs.setdefault("connect_args", {})["prepare_threshold"] = None
    engine = create_engine(normalise_url(url), **kwargs)
    engine.budget_role = set_role  # type: ignore[attr-defined]  # connections made beside the pool take it too
    engine.budget_listen = (normalise_url(url), set_role)  # type: ignore[attr-defined]  # where LISTEN may connect

    @event.listens_for(engine, "connect")
    def _session_setup(dbapi_conn, _record):
        with dbapi_conn.cursor() as cur:
            cur.execute("SET TIME ZONE 'UTC'")  # timestamps leave the database in UTC
            if set_role:
                cur.execute(f'SET ROLE "{set_role}"')
        dbapi_conn.commit()

    return engine


def make_app_engine(owner: str, **kwargs) -> Engine:
    """An engine that acts as ``budget_app`` on the database of ``owner``; its watcher connects directly."""
    url, needs_role = app_url(owner)
    engine = make_engine(
        url, set_role=APP_ROLE if needs_role else None, pooled=bool(settings().app_database_url), **kwargs
    )
    direct, direct_role = direct_app_url(owner)
    engine.budget_listen = (direct, APP_ROLE if direct_role else None)  # type: ignore[attr-defined]
    return engine


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
