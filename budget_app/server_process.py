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
    ):
        self.port = free_port()
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
