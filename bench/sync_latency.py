"""How fast does one member's expense reach the others' screens, and what does an idle session cost?

    python bench/sync_latency.py [--rounds 50] [--interval-ms MS] [--idle-sessions K]
                                 [--idle-seconds 60] [--no-wake] [--json]

For each poll interval (250, 500 and 1000 ms unless ``--interval-ms`` is given) it starts
``streamlit run app.py`` with ``BUDGET_POLL_MS`` set (the server reads it once, so one server per
interval; ``--no-wake`` also sets ``BUDGET_WAKE_SESSIONS=0``, so sessions see changes by polling
alone — the baseline the wake-ups are measured against) on a throwaway database
(``bench/_common.py``: a private embedded server, or the server of
``BUDGET_DATABASE_URL``). Four members of one family sign in through the sign-in form, each in
their own Chromium context; ``--idle-sessions K`` more people, each in a family of their own, sign
in and leave their Today page open (all in the same browser, one context each).

Each round one member (in turn) types an expense into the sidebar form and presses Enter; every
page, the writer's included, times with a MutationObserver the moment its "Spent today" figure
changes.
All timestamps are taken in the browsers (``performance.timeOrigin + performance.now()``), so the
benchmark's own scheduling is not in the figures:

* ``own`` — from the writer's Enter key to the writer's own figure changing: the person's own
  confirmation, which should come first (``own_p50_ms``/``own_p95_ms`` in the JSON).
* ``submit→seen`` — from the writer's Enter key to the figure changing on another screen (what a
  family feels: it includes saving and the writer's own rerun). This is ``p50_ms``/``p95_ms``/
  ``max_ms`` in the JSON.
* ``commit→seen`` — from the NOTIFY of the commit (received by this script on its own LISTEN
  connection, ~1 ms after commit) to the figure changing: the sync path alone.

Idle cost: transactions committed in the database (``pg_stat_database.xact_commit``, which counts
every statement the app sends, as the app runs each in its own transaction) over ``--idle-seconds``
with every session open and idle, minus the same window after all sessions are closed (the
watcher keeps re-reading the families it saw, so its one query per few seconds per process
cancels out), divided by the number of sessions and scaled to a minute; and the same for the app
server process's CPU time (``/proc/<pid>/stat``), which is what the poll timers really cost.

The ``--json`` line's ``results`` hold one object per interval; the baselines for the figures are
half the poll interval (what a session polling alone waits on average before it even looks) and
the same run with ``--no-wake``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg  # noqa: E402
from _common import p95, print_table, throwaway_database  # noqa: I001 (puts the checkout on sys.path)
from sqlalchemy.engine import make_url  # noqa: E402

from budget_app.server_process import CHROMIUM, CHROMIUM_ARGS, AppServer  # noqa: E402
from budget_core.services.access import open_family

PASSWORD = "bench sync latency password"
MEMBERS = 4
SPENT = '[data-testid="fb-spent-today"]'

# Installed in a receiving page before each round: note when "Spent today" stops reading `before`.
WATCH_JS = """
(before) => {
  window.__fbSeen = null;
  if (window.__fbObserver) window.__fbObserver.disconnect();
  const check = () => {
    const el = document.querySelector('SPENT_SELECTOR');
    if (window.__fbSeen === null && el && el.textContent !== before) {
      window.__fbSeen = performance.timeOrigin + performance.now();
      window.__fbObserver.disconnect();
    }
  };
  window.__fbObserver = new MutationObserver(check);
  window.__fbObserver.observe(document.body, {subtree: true, childList: true, characterData: true});
  check();
}
""".replace("SPENT_SELECTOR", SPENT)

# Installed in the writer's page: note when Enter goes down in the form.
SUBMIT_JS = """
() => {
  window.__fbSubmit = null;
  if (!window.__fbKeyHook) {
    window.__fbKeyHook = true;
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && window.__fbSubmit === null) window.__fbSubmit = performance.timeOrigin + performance.now();
    }, true);
  }
}
"""


# --- the app server -----------------------------------------------------------------------------
def start_app(db_url: str, poll_ms: int, workdir: Path, wake: bool = True) -> AppServer:
    """``streamlit run app.py`` on a free port with the given poll interval (and waking on or off)."""
    return AppServer(
        db_url,
        workdir,
        log_name=f"streamlit-{poll_ms}.log",
        env={"BUDGET_POLL_MS": str(poll_ms), "BUDGET_WAKE_SESSIONS": "1" if wake else "0"},
    )


# --- people -------------------------------------------------------------------------------------
def make_people(db_url: str, idle: int) -> tuple[list[str], list[str]]:
    """Create one family of four and ``idle`` one-person families; return their e-mail addresses."""
    os.environ["BUDGET_DATABASE_URL"] = db_url
    from budget_core.config import reset_settings

    reset_settings()
    from budget_core.db.engine import make_app_engine
    from budget_core.services import accounts, families, invitations

    engine = make_app_engine(db_url, pool_size=2)
    try:
        members = [f"member{i}@bench.test" for i in range(MEMBERS)]
        users = [accounts.create_user(engine, email, f"Member {i}", PASSWORD) for i, email in enumerate(members)]
        family = families.create_family(
            engine,
            users[0].id,
            name="Bench family",
            currency="USD",
            timezone="UTC",
            monthly_income=1_000_000,
            savings_goal=0,
            period_start_day=1,
        )
        for user in users[1:]:
            invitations.redeem_invitation(
                engine, user.id, invitations.create_invitation(open_family(engine, users[0].id, family.id)).token
            )
        others = []
        for i in range(idle):
            email = f"idle{i}@bench.test"
            person = accounts.create_user(engine, email, f"Idle {i}", PASSWORD)
            families.create_family(
                engine,
                person.id,
                name=f"Idle family {i}",
                currency="USD",
                timezone="UTC",
                monthly_income=300_000,
                savings_goal=0,
                period_start_day=1,
            )
            others.append(email)
        return members, others
    finally:
        engine.dispose()


def family_id_of(db_url: str) -> int:
    with psycopg.connect(_conninfo(db_url)) as conn:
        return conn.execute("SELECT id FROM families WHERE name = 'Bench family'").fetchone()[0]


def _conninfo(db_url: str) -> str:
    return make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)


# --- the browser --------------------------------------------------------------------------------
def sidebar(page):
    return page.locator('[data-testid="stSidebar"]')


def start_sign_in(browser, base: str, email: str):
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(60_000)
    page = ctx.new_page()
    page.goto(base + "/")
    form = page.locator('[data-testid="stForm"]').filter(has=page.get_by_role("button", name="Sign in"))
    form.get_by_label("Email", exact=True).fill(email)
    form.get_by_label("Password", exact=True).fill(PASSWORD)
    form.get_by_role("button", name="Sign in").click()
    return ctx, page


def sign_in_all(browser, base: str, emails: list[str], batch: int = 8):
    """Sign everyone in through the form, a few at a time; return (context, page) pairs."""
    from playwright.sync_api import expect

    opened = []
    for start in range(0, len(emails), batch):
        group = [start_sign_in(browser, base, email) for email in emails[start : start + batch]]
        for _ctx, page in group:
            expect(page.locator(SPENT)).to_be_visible(timeout=60_000)
        opened += group
    return opened


def spent(page) -> str:
    return page.locator(SPENT).text_content()


def one_round(writer, receivers, n: int, notes: Notifications) -> tuple[list[float], list[float], float]:
    """Writer adds an expense; returns (submit→seen, commit→seen) in ms for each receiver, and the
    writer's own submit→seen (their own figure changing on their own screen)."""
    from playwright.sync_api import expect

    for page in [writer, *receivers]:
        page.evaluate(WATCH_JS, spent(page))
    bar = sidebar(writer)
    bar.get_by_label("Description", exact=True).fill(f"bench round {n}")
    amount = bar.get_by_label("Amount", exact=True)
    amount.fill(f"{1 + n % 9}.{n % 100:02d}")
    writer.evaluate(SUBMIT_JS)
    mark = notes.mark()
    amount.press("Enter")
    seen = []
    for page in receivers:
        page.wait_for_function("window.__fbSeen !== null", timeout=20_000, polling=50)
        seen.append(page.evaluate("window.__fbSeen"))
    writer.wait_for_function("window.__fbSeen !== null", timeout=20_000, polling=50)
    own = writer.evaluate("window.__fbSeen")
    submitted = writer.evaluate("window.__fbSubmit")
    committed = notes.first_after(mark)
    expect(bar.get_by_label("Amount", exact=True)).to_have_count(1, timeout=20_000)  # the old form generation is gone
    expect(bar.get_by_label("Amount", exact=True)).to_have_value("", timeout=20_000)  # cleared: saved
    from_submit = [s - submitted for s in seen]
    from_commit = [s - committed for s in seen] if committed is not None else []
    return from_submit, from_commit, own - submitted


class Notifications:
    """LISTENs on the change channel and notes when each notification arrived (wall clock, ms)."""

    def __init__(self, db_url: str, family_id: int):
        from budget_core.services._uow import CHANNEL

        self.family_prefix = f"{family_id}:"
        self.times: list[float] = []
        self._stop = threading.Event()
        self._conn = psycopg.connect(_conninfo(db_url), autocommit=True)
        self._conn.execute(f"LISTEN {CHANNEL}")
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            for note in self._conn.notifies(timeout=0.2):
                if note.payload.startswith(self.family_prefix):
                    self.times.append(time.time() * 1000)

    def mark(self) -> int:
        return len(self.times)

    def first_after(self, mark: int, wait_s: float = 2.0) -> float | None:
        deadline = time.monotonic() + wait_s
        while len(self.times) <= mark and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.times[mark] if len(self.times) > mark else None

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self._conn.close()


# --- idle cost ----------------------------------------------------------------------------------
def committed_transactions(db_url: str) -> int:
    """Transactions committed in the database so far (a fresh connection sees fresh statistics)."""
    with psycopg.connect(_conninfo(db_url), autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        return conn.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()").fetchone()[0]


def server_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the app server process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def commits_during(db_url: str, seconds: float, pid: int) -> tuple[int, float]:
    """Transactions committed, and app server CPU seconds used, in a window of ``seconds``."""
    time.sleep(11)  # backends flush their statistics at most every 10 s when idle: let earlier work land
    before, cpu_before = committed_transactions(db_url), server_cpu_s(pid)
    time.sleep(seconds)
    cpu = server_cpu_s(pid) - cpu_before
    time.sleep(11)
    return committed_transactions(db_url) - before, cpu


# --- one interval -------------------------------------------------------------------------------
def run_interval(
    browser,
    db_url: str,
    family_id: int,
    members: list[str],
    idle: list[str],
    interval_ms: int,
    rounds: int,
    idle_seconds: float,
    workdir: Path,
    log,
    wake: bool = True,
) -> dict:
    app = start_app(db_url, interval_ms, workdir, wake)
    notes = Notifications(db_url, family_id)
    opened = []
    try:
        log(f"[{interval_ms} ms] server on {app.url}; signing in {len(members)} members and {len(idle)} idle sessions")
        opened = sign_in_all(browser, app.url, members + idle)
        member_pages = [page for _ctx, page in opened[:MEMBERS]]
        for n in range(2):  # warm-up: first runs of each page, caches
            one_round(member_pages[n], [p for p in member_pages if p is not member_pages[n]], 10_000 + n, notes)
        from_submit: list[float] = []
        from_commit: list[float] = []
        own: list[float] = []
        for n in range(rounds):
            writer = member_pages[n % MEMBERS]
            a, b, mine = one_round(writer, [p for p in member_pages if p is not writer], n, notes)
            from_submit += a
            from_commit += b
            own.append(mine)
            time.sleep(random.uniform(0.2, 0.2 + interval_ms / 1000))  # start rounds at random poll phases
        log(f"[{interval_ms} ms] own Enter→own figure samples: {sorted(round(x) for x in own)}")
        log(f"[{interval_ms} ms] commit→seen samples: {sorted(round(x) for x in from_commit)}")
        log(
            f"[{interval_ms} ms] {rounds} rounds: own p50 {_pct(own, 50):.0f} p95 {p95(own):.0f} ms; "
            f"submit→seen p50 {_pct(from_submit, 50):.0f} "
            f"p95 {p95(from_submit):.0f} ms; measuring idle cost ({idle_seconds:.0f} s with and without sessions)"
        )
        with_sessions, cpu_with = commits_during(db_url, idle_seconds, app.proc.pid)
        sessions = len(opened)
        for ctx, _page in opened:
            ctx.close()
        opened = []
        time.sleep(2)
        without, cpu_without = commits_during(db_url, idle_seconds, app.proc.pid)
        per_min = max(0.0, (with_sessions - without) / sessions * 60 / idle_seconds)
        cpu_ms_per_min = max(0.0, (cpu_with - cpu_without) * 1000 / sessions * 60 / idle_seconds)
        return {
            "interval_ms": interval_ms,
            "wake": wake,
            "members": MEMBERS,
            "idle_sessions": len(idle),
            "rounds": rounds,
            "own_p50_ms": round(_pct(own, 50), 1),
            "own_p95_ms": round(p95(own), 1),
            "own_max_ms": round(max(own), 1),
            "p50_ms": round(_pct(from_submit, 50), 1),
            "p95_ms": round(p95(from_submit), 1),
            "max_ms": round(max(from_submit), 1),
            "commit_p50_ms": round(_pct(from_commit, 50), 1) if from_commit else None,
            "commit_p95_ms": round(p95(from_commit), 1) if from_commit else None,
            "commit_max_ms": round(max(from_commit), 1) if from_commit else None,
            "idle_queries_per_min": round(per_min, 2),
            "idle_server_cpu_ms_per_min": round(cpu_ms_per_min, 1),
            "idle_commits": {
                "with_sessions": with_sessions,
                "without": without,
                "seconds": idle_seconds,
                "sessions": sessions,
            },
        }
    finally:
        for ctx, _page in opened:
            ctx.close()
        notes.close()
        app.stop()


def _pct(values: list[float], q: int) -> float:
    ordered = sorted(values)
    return ordered[max(0, -(-q * len(ordered) // 100) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument(
        "--interval-ms", type=int, action="append", help="poll interval to try (repeatable; default 250, 500 and 1000)"
    )
    parser.add_argument("--idle-sessions", type=int, default=0, help="extra signed-in sessions of other families")
    parser.add_argument("--idle-seconds", type=float, default=60.0, help="length of each idle-cost window")
    parser.add_argument(
        "--no-wake", action="store_true", help="do not wake sessions on a change: measure polling alone (the baseline)"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    intervals = args.interval_ms or [250, 500, 1000]

    def log(message: str) -> None:
        print(message, file=sys.stderr if args.json else sys.stdout, flush=True)

    from playwright.sync_api import sync_playwright

    workdir = Path(tempfile.mkdtemp(prefix="budget-sync-bench-", dir="/tmp"))
    os.chmod(workdir, 0o755)
    results = []
    try:
        with throwaway_database("sync") as db_url, sync_playwright() as pw:
            members, idle = make_people(db_url, args.idle_sessions)
            family_id = family_id_of(db_url)
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                for interval in intervals:
                    results.append(
                        run_interval(
                            browser,
                            db_url,
                            family_id,
                            members,
                            idle,
                            interval,
                            args.rounds,
                            args.idle_seconds,
                            workdir,
                            log,
                            wake=not args.no_wake,
                        )
                    )
            finally:
                browser.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    rows = [
        [
            r["interval_ms"],
            "yes" if r["wake"] else "no",
            r["members"],
            r["idle_sessions"],
            r["rounds"],
            f"{r['own_p50_ms']:.0f}",
            f"{r['own_p95_ms']:.0f}",
            f"{r['p50_ms']:.0f}",
            f"{r['p95_ms']:.0f}",
            f"{r['max_ms']:.0f}",
            f"{r['commit_p50_ms']:.0f}",
            f"{r['commit_p95_ms']:.0f}",
            f"{r['interval_ms'] / 2:.0f}",
            f"{r['idle_queries_per_min']:.2f}",
            f"{r['idle_server_cpu_ms_per_min']:.0f}",
        ]
        for r in results
    ]
    table = lambda: print_table(  # noqa: E731
        [
            "poll ms",
            "wake",
            "members",
            "idle",
            "rounds",
            "own p50",
            "own p95",
            "p50",
            "p95",
            "max",
            "commit p50",
            "commit p95",
            "baseline: ½ poll",
            "idle q/session/min",
            "idle server CPU ms/session/min",
        ],
        rows,
        title=(
            "Latency in ms: own = the writer's Enter → the writer's own figure changed; then member to member "
            "(submit→seen; commit→seen), 3 receivers per round"
        ),
    )
    if args.json:
        sys.stdout, saved = sys.stderr, sys.stdout
        table()
        sys.stdout = saved
        print(json.dumps({"results": results}))
    else:
        table()


if __name__ == "__main__":
    main()
