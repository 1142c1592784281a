"""``budget`` commands for running the product: the database (``budget db``), the local outbox,
health, backup and restore."""

from __future__ import annotations

import json

import click
from sqlalchemy.exc import DBAPIError, OperationalError

from ._common import BudgetGroup, emit, get_engine


@click.group(cls=BudgetGroup)
def db() -> None:
    """The database: migrations and where it is."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration.

    Example: budget db upgrade
    """
    from ..db.engine import database_url
    from ..db.migrate import current, upgrade

    url = database_url()
    upgrade(url)
    click.echo(f"Database is at migration {current(url)}.")


@db.command("url")
@click.option("--owner", is_flag=True, help="The owner's URL (migrations, backups) instead of the app's.")
def db_url(owner: bool) -> None:
    """Print the database URL the app connects with (role budget_app), or the owner's.

    Example: budget db url --owner
    """
    from ..db.engine import app_url, owner_url

    if owner:
        click.echo(owner_url())
        return
    url, needs_role = app_url()
    click.echo(url + ("   (then SET ROLE budget_app)" if needs_role else ""))


@db.command("distribution")
def db_distribution() -> None:
    """Print the statements that distribute this schema on Citus by family_id (see the README's
    scale-out section): reference tables, coordinator tables, then every family table.

    Example: budget db distribution
    """
    from ..db.distribution import plan_for
    from ..db.engine import get_engine, get_owner_engine

    get_engine()  # the plan is for the newest schema: migrate first
    with get_owner_engine().connect() as conn:
        for statement in plan_for(conn):
            click.echo(statement)


@click.group(cls=BudgetGroup)
def outbox() -> None:
    """Entries kept locally while the database was unreachable."""


@outbox.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def outbox_list(as_json) -> None:
    """List pending and failed local entries, and damaged lines skipped or kept aside.

    Example: budget outbox list --json
    """
    from ..ops.outbox import Outbox

    box = Outbox()
    state = box.state()
    aside = box.kept_aside()
    rows = [
        {
            "client_id": e.client_id,
            "family_id": e.family_id,
            "status": e.status,
            "reason": e.reason,
            "description": e.description,
            "at": e.at,
        }
        for e in state.with_status("pending", "failed")
    ]
    if as_json:
        click.echo(
            json.dumps(
                {
                    "entries": rows,
                    "damaged_lines": list(state.damaged_lines),
                    "kept_aside": aside,
                    "kept_aside_file": str(box.damaged_path) if aside else None,
                }
            )
        )
        return
    for r in rows:
        reason = f" — {r['reason']}" if r["reason"] else ""
        click.echo(f"{r['status']:<8} {r['client_id']}  family {r['family_id']}  {r['description']}{reason}")
    if state.damaged_lines:
        click.echo(f"Damaged outbox line(s) skipped: {', '.join(map(str, state.damaged_lines))}", err=True)
    if aside:
        click.echo(
            f"{len(aside)} damaged line(s) were kept aside in {box.damaged_path}; nothing in them was delivered. "
            "Type those entries again if they are missing, then delete the file.",
            err=True,
        )
    if not rows:
        click.echo("The outbox is empty.")


@outbox.command("flush")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def outbox_flush(as_json) -> None:
    """Deliver pending local entries now.

    Example: budget outbox flush --json
    """
    from ..ops.outbox import Outbox, is_unreachable

    box = Outbox()
    try:
        result = box.flush(get_engine())
    except (OperationalError, DBAPIError) as exc:
        if not is_unreachable(exc):
            raise
        pending = box.pending_count()
        emit(
            {"delivered": 0, "failed": 0, "pending": pending},
            as_json,
            f"The database cannot be reached; {pending} entr{'y' if pending == 1 else 'ies'} still pending.",
        )
        return
    for err in result.errors:
        click.echo(f"Warning: {err}", err=True)
    emit(
        result.as_json(),
        as_json,
        f"Delivered {result.delivered}, failed {result.failed}, still pending {result.pending}.",
    )


@click.command("health")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def health_cmd(as_json) -> None:
    """Database, watcher, outbox, notification queue, breakers, degradation and metrics.

    Example: budget health --json
    """
    from ..db.engine import database_url, make_engine
    from ..ops import health

    try:
        engine = get_engine()
    except (OperationalError, DBAPIError):
        engine = make_engine(database_url(), pool_pre_ping=False)
    report = health.check(engine)
    if as_json:
        click.echo(json.dumps(report.as_json(), default=str))
        return
    db = report.database
    click.echo(
        f"database      {'reachable, ' + str(db['rtt_ms']) + ' ms round trip' if db['reachable'] else 'UNREACHABLE'}"
    )
    click.echo(f"outbox        {report.outbox['pending']} pending, {report.outbox['failed']} failed")
    if report.queue:
        q = report.queue
        click.echo(
            f"notifications e-mail {q['email']['queued']} queued / {q['email']['failed']} failed, "
            f"push {q['push']['queued']} queued / {q['push']['failed']} failed"
        )
    for b in report.breakers:
        click.echo(f"breaker       {b['name']}: {b['state'] if b['configured'] else 'not configured'}")
    for feature, level in report.degradation.items():
        click.echo(f"degradation   {feature}: {level}")
    for name, m in report.metrics.get("1h", {}).items():
        click.echo(
            f"last hour     {name}: {m['count']} calls, {m['error_rate']:.1%} errors, "
            f"p50 {m['p50_ms']} ms, p95 {m['p95_ms']} ms"
        )


@click.command("backup")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False), help="File to write.")
@click.option("--force", is_flag=True, help="Replace the file if it exists.")
def backup_cmd(output, force) -> None:
    """Write a consistent backup of the whole database (mode 0600; an existing file is kept
    unless --force is given).

    Example: budget backup -o family-budget.dump
    """
    from ..db.engine import database_url
    from ..ops.backup import backup

    size = backup(database_url(), output, force=force)
    click.echo(f"Backup written to {output} ({size:,} bytes).")


@click.command("restore")
@click.argument("backup_file", type=click.Path(dir_okay=False))
def restore_cmd(backup_file) -> None:
    """Restore a backup into an empty database.

    Example: budget restore family-budget.dump
    """
    from ..db.engine import database_url
    from ..ops.backup import restore

    restore(database_url(), backup_file)
    click.echo(f"Restored {backup_file}.")


@click.command("serve")
@click.option("--processes", type=int, default=2, show_default=True, help="Streamlit app processes to run.")
@click.option("--port", type=int, default=8501, show_default=True, help="Port of the balancer (HAProxy).")
@click.option("--address", default="0.0.0.0", show_default=True, help="Address the balancer listens on.")
@click.option("--app-port", type=int, default=None, help="Port of the first app process (default: --port + 1).")
@click.option("--app-address", default="127.0.0.1", show_default=True, help="Address the app processes listen on.")
@click.option("--pool-size", type=int, default=20, show_default=True, help="PgBouncer's server connections.")
@click.option("--no-balancer", is_flag=True, help="Run no HAProxy here (one balancer for several machines).")
@click.option("--print-config", is_flag=True, help="Print the HAProxy configuration this would use, and exit.")
def serve_cmd(processes, port, address, app_port, app_address, pool_size, no_balancer, print_config) -> None:
    """Serve the app with several processes: HAProxy in front (sticky sessions, WebSockets, health
    checks), PgBouncer in transaction mode for the app's queries; Ctrl-C stops everything.

    Example: budget serve --processes 2 --port 8501
    """
    from ..ops.serve import Deployment, ServeOptions
    from ..ops.serve_config import haproxy_cfg

    options = ServeOptions(
        processes=processes,
        port=port,
        address=address,
        app_port=app_port,
        app_address=app_address,
        pool_size=pool_size,
        balancer=not no_balancer,
    )
    if print_config:
        servers = [(f"p{i}", app_address, p) for i, p in enumerate(options.app_ports(), start=1)]
        click.echo(haproxy_cfg(address=address, port=port, servers=servers), nl=False)
        return
    deployment = Deployment(options, echo=lambda line: click.echo(line))
    deployment.start()
    where = deployment.url if options.balancer else f"{app_address} ports {', '.join(map(str, options.app_ports()))}"
    click.echo(f"serve | Family Budget on {where} with {processes} process(es); Ctrl-C stops it.")
    deployment.serve_forever()
    click.echo("serve | stopped.")
