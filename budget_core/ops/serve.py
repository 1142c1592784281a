"""``budget serve``: several Streamlit processes behind HAProxy, their queries through PgBouncer.

:class:`Deployment` starts, in order: the database (the embedded server of the data directory,
joined like any other process joins it, or the server of ``BUDGET_DATABASE_URL``) migrated to
the newest schema; PgBouncer in transaction mode on a private Unix socket; ``processes`` times
``streamlit run app.py`` on ``127.0.0.1`` (ports ``app_port``, ``app_port + 1``, …), each with
``BUDGET_APP_DATABASE_URL`` pointing at PgBouncer (its change watcher still LISTENs on a direct
connection, see ``db/engine.py``) and one shared cookie secret; then HAProxy on ``address:port``
(see ``serve_config.py``). It waits for each part to answer before starting the next.

While serving it restarts an app process that exits (with backoff), and HAProxy moves that
process's browsers to the others meanwhile. On SIGINT or SIGTERM it stops HAProxy, the app
processes (SIGTERM, then SIGKILL after ``STOP_TIMEOUT_S``), PgBouncer, and releases the
embedded server (which stops when its last user is gone). Every child also gets SIGTERM from
the kernel if this process dies without a chance to clean up (``PR_SET_PDEATHSIG``), so nothing
it started outlives it. Each child's output is printed with its name in front (``p1 | …``).
"""

from __future__ import annotations

import ctypes
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from ..config import settings
from ..errors import BudgetError, ValidationError
from .reliability import backoff_delay
from .serve_config import POOL_PORT, PoolTarget, haproxy_cfg, pgbouncer_ini, pgbouncer_users

ROOT = Path(__file__).resolve().parents[2]
HAPROXY = os.environ.get("BUDGET_HAPROXY", shutil.which("haproxy") or "/usr/sbin/haproxy")
PGBOUNCER = os.environ.get("BUDGET_PGBOUNCER", shutil.which("pgbouncer") or "/usr/sbin/pgbouncer")
STOP_TIMEOUT_S = 15.0
START_TIMEOUT_S = 90.0
MAX_PROCESSES = 64


class ServeError(BudgetError):
    """A part of the deployment did not start (its output, printed above, says why)."""


@dataclass(frozen=True)
class ServeOptions:
    processes: int = 2
    port: int = 8501  # the balancer's
    address: str = "0.0.0.0"  # where the balancer listens
    app_port: int | None = None  # the first app process's port (default: port + 1)
    app_address: str = "127.0.0.1"
    pool_size: int = 20  # server connections PgBouncer keeps for the app's queries
    balancer: bool = True

    def first_app_port(self) -> int:
        return self.app_port if self.app_port is not None else self.port + 1

    def app_ports(self) -> list[int]:
        return [self.first_app_port() + i for i in range(self.processes)]

    def check(self) -> None:
        if not 1 <= self.processes <= MAX_PROCESSES:
            raise ValidationError(f"--processes must be from 1 to {MAX_PROCESSES}; it is {self.processes}.")
        ports = self.app_ports() + ([self.port] if self.balancer else [])
        if any(not 1 <= p <= 65535 for p in ports):
            raise ValidationError(f"The ports {ports[0]}–{ports[-1]} are not all valid; choose another --port.")
        if self.balancer and self.port in self.app_ports():
            raise ValidationError("--app-port overlaps the balancer's --port; choose ports apart.")
        for p, addr in [(p, self.app_address) for p in self.app_ports()] + (
            [(self.port, self.address)] if self.balancer else []
        ):
            if not _port_free(addr, p):
                raise ValidationError(
                    f"Port {p} on {addr} is already in use; choose another --port (the app processes use the "
                    f"ports after it, or --app-port)."
                )


def _port_free(address: str, port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((address, port))
        except OSError:
            return False
    return True


_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if _libc is not None:
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Child:
    """One process the deployment runs, restarted with backoff when it exits on its own."""

    name: str
    argv: list[str]
    env: dict[str, str]
    echo: Callable[[str], None]
    restart: bool = True
    user: str | None = None  # run as this system user (PgBouncer refuses to run as root)
    proc: subprocess.Popen | None = None
    starts: int = 0
    started_at: float = 0.0
    next_start_at: float | None = None
    _reader: threading.Thread | None = field(default=None, repr=False)

    def start(self) -> None:
        self.starts += 1
        self.started_at = time.monotonic()
        self.next_start_at = None
        self.proc = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C in the terminal reaches only us; we stop them in order
            preexec_fn=_die_with_parent,
            user=self.user,
        )
        self._reader = threading.Thread(target=self._relay, args=(self.proc,), daemon=True, name=f"relay-{self.name}")
        self._reader.start()
        self.echo(f"serve | {self.name} started (pid {self.proc.pid})")

    def _relay(self, proc: subprocess.Popen) -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            self.echo(f"{self.name} | {raw.decode(errors='replace').rstrip()}")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def exited(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def send(self, sig: int) -> None:
        if self.alive():
            assert self.proc is not None
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass

    def wait(self, timeout: float) -> bool:
        if self.proc is None:
            return True
        try:
            self.proc.wait(timeout)
            return True
        except subprocess.TimeoutExpired:
            return False

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT_S) -> None:
        self.restart = False
        self.send(sig)
        if not self.wait(timeout):
            self.send(signal.SIGKILL)
            self.wait(5)
        if self._reader is not None:
            self._reader.join(2)


class Deployment:
    """The served deployment: see the module's notes. ``start()``, then ``serve_forever()`` or ``stop()``."""

    def __init__(self, options: ServeOptions, *, echo: Callable[[str], None] = print):
        options.check()
        self.options = options
        self._echo_lock = threading.Lock()
        self._print = echo
        self.run_dir = Path(tempfile.mkdtemp(prefix="budget-serve-", dir="/tmp"))
        self.run_dir.chmod(0o711)  # PgBouncer, run as another user, reaches its own directory inside
        self.children: list[Child] = []
        self.apps: list[Child] = []
        self.pooler: Child | None = None
        self.balancer: Child | None = None
        self._stop = threading.Event()
        self._pool_url = ""

    # --- output -------------------------------------------------------------------------
    def echo(self, line: str) -> None:
        with self._echo_lock:
            self._print(line)

    @property
    def url(self) -> str:
        host = "localhost" if self.options.address in ("0.0.0.0", "::", "") else self.options.address
        return f"http://{host}:{self.options.port}"

    # --- starting ---------------------------------------------------------------------
    def start(self) -> None:
        try:
            target = self._database()
            self._start_pooler(target)
            self._start_apps()
            if self.options.balancer:
                self._start_balancer()
        except BaseException:
            self.stop()
            raise

    def _database(self) -> PoolTarget:
        from ..db.engine import app_url, owner_url
        from ..db.migrate import upgrade
        from ..db.roles import APP_ROLE

        owner = owner_url()  # the embedded server of the data directory is started (or joined) here
        upgrade(owner)
        url, needs_role = app_url(owner)
        return PoolTarget.from_url(url, APP_ROLE if needs_role else None)

    def _pooler_user(self) -> str | None:
        """PgBouncer will not run as root. As root it runs as the embedded server's system user, which
        can reach that server's socket (or ``nobody`` when there is none); its directory is given to it."""
        if not (hasattr(os, "geteuid") and os.geteuid() == 0):
            return None
        for user in ("embedded_postgres", "nobody"):
            try:
                pwd.getpwnam(user)
                return user
            except KeyError:
                continue
        raise ServeError("PgBouncer will not run as root, and there is no 'nobody' user to run it as.")

    def _start_pooler(self, target: PoolTarget) -> None:
        pool_dir = self.run_dir / "pgbouncer"
        pool_dir.mkdir(mode=0o700)
        auth_file = pool_dir / "userlist.txt"
        auth_file.write_text(pgbouncer_users(target.user))
        ini = pool_dir / "pgbouncer.ini"
        ini.write_text(
            pgbouncer_ini(
                target,
                socket_dir=str(pool_dir),
                pool_size=self.options.pool_size,
                max_clients=max(200, self.options.processes * 60),
                auth_file=str(auth_file),
            )
        )
        ini.chmod(0o600)  # it may hold the owner's password
        user = self._pooler_user()
        if user is not None:
            entry = pwd.getpwnam(user)
            for path in (pool_dir, auth_file, ini):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        self.pooler = Child("pgbouncer", [PGBOUNCER, str(ini)], dict(os.environ), self.echo, user=user)
        self.children.append(self.pooler)
        self.pooler.start()
        self._pool_url = f"postgresql://{target.user}@/{target.database}?host={pool_dir}&port={POOL_PORT}&application_name=family-budget"
        self._wait_for(self.pooler, lambda: self._pool_answers(), "PgBouncer")

    def _pool_answers(self) -> bool:
        import psycopg

        try:
            with psycopg.connect(self._pool_url, connect_timeout=2, prepare_threshold=None) as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.Error:
            return False

    def _app_env(self, name: str, cookie_secret: str) -> dict[str, str]:
        s = settings()
        env = {
            **os.environ,
            "BUDGET_DATA_DIR": str(s.data_dir),
            "BUDGET_APP_DATABASE_URL": self._pool_url,
            "BUDGET_PROCESS_NAME": name,
            "STREAMLIT_SERVER_COOKIE_SECRET": cookie_secret,  # the same in every process: a browser may move
        }
        if s.app_database_url:  # the operator's own app login: the watcher LISTENs there, directly
            env["BUDGET_LISTEN_DATABASE_URL"] = s.app_database_url
        if self.options.balancer and "BUDGET_PUBLIC_URL" not in os.environ:
            env["BUDGET_PUBLIC_URL"] = self.url
        return env

    def _start_apps(self) -> None:
        secret = secrets.token_urlsafe(32)
        for i, port in enumerate(self.options.app_ports(), start=1):
            name = f"p{i}"
            argv = [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(ROOT / "app.py"),
                "--server.headless",
                "true",
                "--server.address",
                self.options.app_address,
                "--server.port",
                str(port),
                "--browser.gatherUsageStats",
                "false",
                "--server.fileWatcherType",
                "none",
            ]
            child = Child(name, argv, self._app_env(name, secret), self.echo)
            self.apps.append(child)
            self.children.append(child)
            child.start()
        for child, port in zip(self.apps, self.options.app_ports()):
            self._wait_for(child, partial(_healthy, self.options.app_address, port), f"app process {child.name}")

    def _start_balancer(self) -> None:
        cfg = self.run_dir / "haproxy.cfg"
        cfg.write_text(
            haproxy_cfg(
                address=self.options.address,
                port=self.options.port,
                servers=[(c.name, self.options.app_address, p) for c, p in zip(self.apps, self.options.app_ports())],
                max_connections=_connection_limit(),
            )
        )
        self.balancer = Child("haproxy", [HAPROXY, "-db", "-f", str(cfg)], dict(os.environ), self.echo)
        self.children.append(self.balancer)
        self.balancer.start()
        host = "127.0.0.1" if self.options.address in ("0.0.0.0", "::", "") else self.options.address
        self._wait_for(self.balancer, lambda: _healthy(host, self.options.port), "HAProxy")

    def _wait_for(self, child: Child, ready: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if ready():
                return
            if not child.alive():
                raise ServeError(f"{what} exited with code {child.exited()} while starting; see its output above.")
            time.sleep(0.2)
        raise ServeError(f"{what} did not answer within {START_TIMEOUT_S:.0f} s; see its output above.")

    # --- serving ------------------------------------------------------------------------
    def serve_forever(self) -> None:
        """Restart whatever exits until asked to stop (SIGINT / SIGTERM), then stop everything."""
        previous = {sig: signal.signal(sig, lambda *_: self._stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            while not self._stop.wait(0.5):
                self.tend()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.stop()

    def tend(self) -> None:
        """Restart children that exited (with backoff; a child that ran a minute starts over at once)."""
        now = time.monotonic()
        for child in self.children:
            if child.alive() or not child.restart:
                continue
            if child.next_start_at is None:
                ran = now - child.started_at
                attempt = 1 if ran > 60 else child.starts
                delay = backoff_delay(attempt, base_s=0.5, cap_s=30.0)
                child.next_start_at = now + delay
                self.echo(f"serve | {child.name} exited with code {child.exited()}; restarting in {delay:.1f} s")
            elif now >= child.next_start_at:
                child.start()

    def request_stop(self) -> None:
        self._stop.set()

    def stop(self) -> None:
        """Stop everything in order: the balancer, the app processes, the pooler; release the database."""
        self._stop.set()
        for child in self.children:
            child.restart = False
        if self.balancer is not None:
            self.balancer.stop(signal.SIGTERM, 10)
        for child in self.apps:
            child.send(signal.SIGTERM)
        for child in self.apps:
            child.stop(signal.SIGTERM, STOP_TIMEOUT_S)
        if self.pooler is not None:
            self.pooler.stop(signal.SIGTERM, 10)
        if not settings().database_url:
            from ..db import embedded

            embedded.forget_dead_users(settings().data_dir)  # a killed child must not keep the server up
        shutil.rmtree(self.run_dir, ignore_errors=True)


def _connection_limit() -> int:
    """What HAProxy may accept: it needs two file descriptors per proxied connection."""
    import resource

    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return max(256, min(20_000, (soft - 200) // 2)) if soft != resource.RLIM_INFINITY else 20_000


def _healthy(host: str, port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False
