"""The embedded PostgreSQL: with BUDGET_DATABASE_URL unset, processes on one data directory share
one private server, which stops when the last of them exits, and keeps its data for the next start.

Each test runs real ``python -c`` processes on a fresh data directory under /tmp (never under /root:
the server's own system user must reach it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pytest
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]

# argv: name, how many users to wait for. Prints the URL, writes one row, waits until the others wrote.
WRITE_AND_WAIT = """
import sys, time
from sqlalchemy import text
from budget_core.db.engine import get_engine
from budget_core.services import accounts

name, expected = sys.argv[1], int(sys.argv[2])
engine = get_engine()
print(engine.url.render_as_string(hide_password=False), flush=True)
accounts.create_user(engine, f"{name}@example.com", name, None)
deadline = time.monotonic() + 30
while True:
    with engine.connect() as conn:
        users = conn.execute(text("SELECT count(*) FROM users")).scalar()
    if users >= expected:
        break
    if time.monotonic() > deadline:
        sys.exit(f"only {users} of {expected} users appeared")
    time.sleep(0.05)
print(users, flush=True)
engine.dispose()
"""

COUNT_USERS = """
from sqlalchemy import text
from budget_core.db.engine import get_engine
engine = get_engine()
with engine.connect() as conn:
    print(conn.execute(text("SELECT string_agg(email, ',' ORDER BY email) FROM users")).scalar(), flush=True)
engine.dispose()
"""


def servers_for(data_dir: Path) -> list[psutil.Process]:
    """Running postgres postmasters whose data directory is inside ``data_dir``."""
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if proc.info["name"] == "postgres" and any(str(data_dir) in part for part in cmdline):
            found.append(proc)
    return found


@pytest.fixture
def data_dir():
    parent = Path(tempfile.mkdtemp(prefix="budget-embedded-", dir="/tmp"))
    path = parent / "data"  # does not exist yet: the app creates it
    yield path
    for proc in servers_for(path):  # only if a test failed with its server still up
        proc.terminate()
        psutil.wait_procs([proc], timeout=10)
    shutil.rmtree(parent, ignore_errors=True)


def launch(data_dir: Path, code: str, *args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "BUDGET_DATABASE_URL"}
    env.update(BUDGET_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT), PYTHONWARNINGS="ignore")
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(*procs: subprocess.Popen) -> list[str] | list[list[str]]:
    """Wait for every process; fail with all their error output if any failed. Returns stdout lines."""
    results = [(p, *p.communicate(timeout=120)) for p in procs]
    failures = [
        f"process {i} exited {p.returncode}:\n{err[-2000:]}"
        for i, (p, _, err) in enumerate(results)
        if p.returncode != 0
    ]
    assert not failures, "\n".join(failures)
    lines = [out.splitlines() for _, out, _ in results]
    return lines[0] if len(procs) == 1 else lines


def wait_until_stopped(data_dir: Path, timeout: float = 10) -> list[psutil.Process]:
    deadline = time.monotonic() + timeout
    while (left := servers_for(data_dir)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def test_two_processes_started_together_share_one_server_and_it_stops_after_both_exit(data_dir):
    first = launch(data_dir, WRITE_AND_WAIT, "alice", "2")
    second = launch(data_dir, WRITE_AND_WAIT, "bob", "2")
    (url_a, seen_a), (url_b, seen_b) = finish(first, second)

    assert url_a == url_b and url_a.startswith("postgresql+psycopg://")
    assert make_url(url_a).query["host"] == str(data_dir / "pg")  # a Unix socket there: nothing on TCP
    assert (seen_a, seen_b) == ("2", "2")  # each saw the other's write while both were running
    assert wait_until_stopped(data_dir) == []
    assert not (data_dir / "pg" / "postmaster.pid").exists()


def test_a_later_start_finds_the_data_the_earlier_one_wrote(data_dir):
    finish(launch(data_dir, WRITE_AND_WAIT, "alice", "1"))
    assert wait_until_stopped(data_dir) == []

    assert finish(launch(data_dir, COUNT_USERS)) == ["alice@example.com"]
    assert wait_until_stopped(data_dir) == []


HOLD = """
import time
from budget_core.db.engine import get_engine
get_engine()
print("ready", flush=True)
time.sleep(120)
"""


def test_a_process_killed_without_cleanup_does_not_keep_the_server_running_after_the_others_exit(data_dir):
    crashed = launch(data_dir, HOLD)
    assert crashed.stdout.readline().strip() == "ready"
    crashed.kill()  # SIGKILL: no exit handler runs, its pid stays in the server's list of users
    crashed.communicate(timeout=30)
    assert servers_for(data_dir), "the server should outlive a crashed user"

    finish(launch(data_dir, WRITE_AND_WAIT, "alice", "1"))
    assert wait_until_stopped(data_dir) == []
