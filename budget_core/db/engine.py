"""One SQLAlchemy engine per process, on the configured or the embedded server.

``database_url()`` resolves which server: ``BUDGET_DATABASE_URL`` when set, otherwise the
embedded server in the data directory (started on first use). Migrations are applied by
``get_engine()`` the first time a process asks for it.
"""

from __future__ import annotations

import threading

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from ..config import settings


def normalise_url(url: str) -> str:
    """Accept postgres:// and postgresql:// URLs and use the psycopg 3 driver."""
    u = make_url(url)
    if u.drivername in ("postgres", "postgresql"):
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


def database_url() -> str:
    s = settings()
    if s.database_url:
        return normalise_url(s.database_url)
    from . import embedded

    return embedded.start(s.data_dir)


def make_engine(url: str, **kwargs) -> Engine:
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(normalise_url(url), **kwargs)

    @event.listens_for(engine, "connect")
    def _utc(dbapi_conn, _record):  # timestamps leave the database in UTC, whatever the server says
        with dbapi_conn.cursor() as cur:
            cur.execute("SET TIME ZONE 'UTC'")
        dbapi_conn.commit()

    return engine


_engine: Engine | None = None
_lock = threading.Lock()


def get_engine() -> Engine:
    """The process's engine, migrated to the newest schema."""
    global _engine
    with _lock:
        if _engine is None:
            from .migrate import upgrade

            url = database_url()
            upgrade(url)
            _engine = make_engine(url)
        return _engine


def set_engine(engine: Engine | None) -> None:
    """Use this engine as the process's engine (tests, benchmarks)."""
    global _engine
    _engine = engine
