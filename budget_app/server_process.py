"""``streamlit run app.py`` as a child process, for the end-to-end tests and the benchmarks.

:class:`AppServer` starts the app on a free port against a given database and data directory,
waits until ``/_stcore/health`` answers, and stops the whole process group. ``CHROMIUM`` and
``CHROMIUM_ARGS`` are how both drive Debian's Chromium (Playwright's own download does not work
offline).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("BUDGET_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppServer:
    """A running ``streamlit run app.py``; its output goes to ``log_path``."""

    def __init__(
        self,
        db_url: str,
        workdir: Path,
        *,
        env: dict[str, str] | None = None,
        log_name: str = "streamlit.log",
        start_timeout_s: float = 60,
        port: int | None = None,
    ):
        self.port = port or free_port()  # a given port: the same address again (a restart, as a browser sees it)
        self.url = f"http://localhost:{self.port}"
        child_env = {
            **os.environ,
            "BUDGET_DATABASE_URL": db_url,
            "BUDGET_PUBLIC_URL": "",  # links are built from the address the browser uses
            "BUDGET_DATA_DIR": str(workdir / "data"),
            **(env or {}),
        }
        self.log_path = workdir / log_name
        self.log = open(self.log_path, "w+")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.headless",
                "true",
                "--server.port",
                str(self.port),
                "--server.address",
                "127.0.0.1",
                "--browser.gatherUsageStats",
                "false",
                "--server.fileWatcherType",
                "none",
            ],
            cwd=ROOT,
            env=child_env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + start_timeout_s
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"streamlit did not start:\n{self.output()[-3000:]}")

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        if not self.log.closed:
            self.log.close()


def free_port_run(count: int, start: int = 20_000, stop: int = 60_000) -> int:
    """The first of ``count`` consecutive free ports on 127.0.0.1 (for ``budget serve --app-port``)."""
    import random

    for _ in range(200):
        first = random.randrange(start, stop - count)
        if all(_free(first + i) for i in range(count)):
            return first
    raise RuntimeError(f"no {count} consecutive free ports found")


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class ServedApp:
    """A running ``budget serve --processes N`` (HAProxy, PgBouncer, N app processes) on free ports.

    ``url`` is the balancer; ``pids`` maps each child's name (``p1``, ``pgbouncer``, ``haproxy``) to
    its newest pid, read from the command's own output; ``app_url(name)`` reaches one process directly.
    """

    def __init__(
        self,
        db_url: str | None,
        workdir: Path,
        processes: int,
        *,
        env: dict[str, str] | None = None,
        start_timeout_s: float = 120,
    ):
        self.processes = processes
        first = free_port_run(processes + 1)
        self.port, self.app_port = first, first + 1
        self.url = f"http://localhost:{self.port}"
        self.data_dir = workdir / "data"
        child_env = {
            **os.environ,
            "BUDGET_PUBLIC_URL": self.url,
            "BUDGET_DATA_DIR": str(self.data_dir),
            **(env or {}),
        }
        if db_url:
            child_env["BUDGET_DATABASE_URL"] = db_url
        else:
            child_env.pop("BUDGET_DATABASE_URL", None)
        workdir.mkdir(parents=True, exist_ok=True)
        self.log_path = workdir / "serve.log"
        self.log = open(self.log_path, "w+")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "budget_core.cli",
                "serve",
                "--processes",
                str(processes),
                "--port",
                str(self.port),
                "--address",
                "127.0.0.1",
                "--app-port",
                str(self.app_port),
            ],
            cwd=ROOT,
            env=child_env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + start_timeout_s
        while time.monotonic() < deadline and self.proc.poll() is None:
            if "Ctrl-C stops it" in self.output():
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"budget serve did not start:\n{self.output()[-4000:]}")

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text()

    @property
    def pids(self) -> dict[str, int]:
        import re

        found: dict[str, int] = {}
        for name, pid in re.findall(r"^serve \| (\S+) started \(pid (\d+)\)", self.output(), re.M):
            found[name] = int(pid)
        return found

    def app_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.app_port + int(name.lstrip('p')) - 1}"

    def stop(self) -> int | None:
        """SIGTERM the command (as Ctrl-C would) and wait for it; its exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        if not self.log.closed:
            self.log.close()
        return self.proc.returncode
