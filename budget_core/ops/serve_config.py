"""The configuration files of ``budget serve``: PgBouncer's and HAProxy's, rendered from plain values.

Pure functions (text in, text out) so a test can read them and an operator can print them
(``budget serve --print-config``) to build the same topology across several machines.

- PgBouncer runs in **transaction** mode in front of the server for the app's own queries, on a
  Unix socket in a private directory (no TCP unless asked). It logs in to PostgreSQL as the app's
  role: ``budget_app`` directly (the embedded server trusts its private socket), or the owner's
  login followed by ``SET ROLE budget_app`` on each server connection (``connect_query``), so a
  client never sees a connection with more rights than ``budget_app``.
- HAProxy balances the Streamlit processes: a session lives in one process, so it pins each
  browser to one with a cookie (``FB_PROCESS``, HttpOnly, SameSite=Lax), carries WebSockets
  (``timeout tunnel``), checks each process's ``/_stcore/health`` and, when a pinned process is
  down, sends the browser to another (``option redispatch``). Each response names the process that
  answered (``X-Budget-Process``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.engine import make_url

PROCESS_COOKIE = "FB_PROCESS"
PROCESS_HEADER = "X-Budget-Process"
POOL_PORT = 6432  # names PgBouncer's socket file (.s.PGSQL.6432); it listens on TCP only with --pool-address


@dataclass(frozen=True)
class PoolTarget:
    """Where PgBouncer's server connections go, and as whom."""

    host: str  # a host name, or the directory of a Unix socket
    port: int
    database: str
    user: str
    password: str | None
    set_role: str | None  # SET ROLE on each new server connection (the owner's login acting as budget_app)

    @classmethod
    def from_url(cls, url: str, set_role: str | None) -> PoolTarget:
        u = make_url(url)
        socket_dir = u.query.get("host")
        host = socket_dir if isinstance(socket_dir, str) else (u.host or "localhost")
        port = u.port or int(str(u.query.get("port") or 5432))
        return cls(host, port, u.database or "postgres", u.username or "postgres", u.password, set_role)


def _quoted(value: str) -> str:
    """A PgBouncer connection-string value: single-quoted, quotes doubled."""
    return "'" + value.replace("'", "''") + "'"


def pgbouncer_ini(
    target: PoolTarget,
    *,
    socket_dir: str,
    pool_size: int,
    max_clients: int,
    listen_address: str | None = None,
    port: int = POOL_PORT,
    auth_file: str,
) -> str:
    """``pgbouncer.ini``: one database (named as the real one), transaction pooling, logs on stderr."""
    conn = [
        f"host={_quoted(target.host)}",
        f"port={target.port}",
        f"dbname={_quoted(target.database)}",
        f"user={_quoted(target.user)}",
    ]
    if target.password:
        conn.append(f"password={_quoted(target.password)}")
    if target.set_role:
        conn.append(f"""connect_query={_quoted(f'SET ROLE "{target.set_role}"')}""")
    return "\n".join(
        [
            "[databases]",
            f"{target.database} = {' '.join(conn)}",
            "",
            "[pgbouncer]",
            "pool_mode = transaction",
            f"listen_addr = {listen_address or ''}",
            f"listen_port = {port}",
            f"unix_socket_dir = {socket_dir}",
            "unix_socket_mode = 0700",
            "auth_type = trust",  # the socket's directory is private; with --pool-address use real auth
            f"auth_file = {auth_file}",
            f"default_pool_size = {pool_size}",
            f"max_client_conn = {max_clients}",
            "server_reset_query =",
            "ignore_startup_parameters = extra_float_digits",
            "logfile =",
            "pidfile =",
            "log_connections = 0",
            "log_disconnections = 0",
            "",
        ]
    )


def pgbouncer_users(client_user: str) -> str:
    """``userlist.txt``: the one login clients may use (trust: the socket's directory is the wall)."""
    return f'"{client_user}" ""\n'


def haproxy_cfg(
    *,
    address: str,
    port: int,
    servers: Sequence[tuple[str, str, int]],
    max_connections: int = 20_000,
) -> str:
    """``haproxy.cfg``: one HTTP frontend on ``address:port``, the ``servers`` (name, host, port) behind it."""
    lines = [
        "global",
        f"    maxconn {max_connections}",
        "    log stderr format short local0 notice",
        "",
        "defaults",
        "    mode http",
        "    log global",
        "    option dontlognull",
        "    option forwardfor",  # the app sees the browser's address (sign-in rate limits are per client)
        "    option redispatch",  # a browser pinned to a process that is down goes to another one
        "    retries 2",
        "    timeout connect 5s",
        "    timeout client 60s",
        "    timeout server 60s",
        "    timeout http-request 15s",
        "    timeout tunnel 1h",  # an open page's WebSocket (Streamlit pings it every few seconds)
        "",
        "frontend budget",
        f"    bind {address}:{port}",
        "    default_backend app",
        "",
        "backend app",
        "    balance leastconn",  # a new browser goes to the process with the fewest open pages
        f'    cookie {PROCESS_COOKIE} insert indirect nocache httponly attr "SameSite=Lax"',
        "    option httpchk GET /_stcore/health",
        "    http-check expect status 200",
        f"    http-response set-header {PROCESS_HEADER} %[srv_name]",
    ]
    for name, host, server_port in servers:
        lines.append(f"    server {name} {host}:{server_port} check inter 1s fall 2 rise 2 cookie {name}")
    return "\n".join(lines) + "\n"
