"""How many idle signed-in sessions the served deployment holds, and where a change's time goes.

    python bench/capacity.py [--processes 1 --processes 2] [--idle 0,50,200,500] [--beyond 2000]
                             [--wake-scope fragment --wake-scope page]
                             [--rounds 30] [--idle-seconds 30] [--poll-ms 5000] [--json]

For each process count it starts ``budget serve --processes N`` (HAProxy, PgBouncer, N Streamlit
processes; ``budget_app/server_process.py``) on a throwaway database (``bench/_common.py``). Four
members of one family sign in through the balancer, each in a real Chromium context; idle people,
each in a family of their own, sign in as *light sessions* (``bench/_light.py``: Streamlit's own
WebSocket protocol, the ``streamlit.proto`` messages a browser sends — they open Today and answer
the change poller's timer like an open tab, without rendering), all in one helper process.

At each idle level (sessions are added, never re-opened) it measures:

* member-to-member latency over ``--rounds`` rounds: one member (in turn) types an expense and
  presses Enter; the other three browsers note when their "Spent today" figure changes. Times
  are taken in the browsers (``bench/sync_latency.py``'s observers): *submit→seen* is what a family
  feels; *commit→seen* starts at the NOTIFY of the commit (heard by this script);
* commit→delivered: the same change reaching a fifth session of the family — the fourth member
  signed in again as a light session, which notes when the new figure arrives over the WebSocket:
  the server's part without a browser's rendering;
* the writer's own confirmation: Enter to the writer's own figure changing;
* server memory per session: the app processes' resident memory over the level's, minus the
  same at 0 idle, per idle session;
* CPU per idle session per minute: the app processes' CPU time in ``--idle-seconds`` of quiet,
  minus the same at 0 idle, per idle session, scaled to a minute.

With ``--beyond M`` it keeps doubling the idle count past the last level while p95 stays ≤ 500 ms
(up to M). It prints, per process count, the largest idle count measured with p95 ≤ 500 ms.

``--wake-scope page`` runs the app with ``BUDGET_WAKE_SCOPE=page`` — a woken session reruns its whole
page, as before Today's figures became a fragment — the baseline for ``fragment`` (the default) in
the same run.

**Where the time goes.** The app processes run with ``BUDGET_SYNC_TRACE`` (``budget_core/sync.py``):
each notes when its watcher heard a change's NOTIFY, when a session was woken (after any run it was
busy with), when that session's page run caught up with the change (early in the frame) and when
the frame was drawn; the browsers note when the figure changed. The breakdown table gives p50/p95
of each step for the receiving sessions: commit → heard, heard → woken, woken → caught up (the page
run up to the catch-up), caught up → framed (the rest of the frame), framed → seen (Today's figures,
the WebSocket and the browser's render).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import psutil
from _common import p95, print_table, throwaway_database  # noqa: I001 (puts the checkout on sys.path)
from sync_latency import SPENT, SUBMIT_JS, WATCH_JS, Notifications, sidebar, spent  # noqa: E402

from budget_app.server_process import CHROMIUM, CHROMIUM_ARGS, ServedApp  # noqa: E402

PASSWORD = "bench capacity password"
MEMBERS = 4
TARGET_P95_MS = 500.0


# --- people -------------------------------------------------------------------------------------
def make_people(db_url: str, idle: int) -> tuple[list[str], list[str], int]:
    """One family of four members, and ``idle`` people each in a family of their own.

    Accounts and families are made through the services; the idle people's password hash is
    computed once and copied (argon2 per account would make setup take minutes, and sign-in
    still verifies each one)."""
    os.environ["BUDGET_DATABASE_URL"] = db_url
    from budget_core.config import reset_settings

    reset_settings()
    from budget_core.db.engine import make_app_engine, make_engine
    from budget_core.services import accounts, families, invitations
    from budget_core.services.access import open_family

    engine = make_app_engine(db_url, pool_size=4)
    owner = make_engine(db_url, pool_size=2)
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
        emails = [f"idle{i}@bench.test" for i in range(idle)]
        with owner.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO users (email, email_normal, display_name, password_hash) SELECT "
                "'idle' || g || '@bench.test', 'idle' || g || '@bench.test', "  # already in normal form
                "'Idle ' || g, (SELECT password_hash FROM users WHERE email = 'member0@bench.test') "
                "FROM generate_series(0, %(n)s - 1) g",
                {"n": idle},
            )
            ids = dict(conn.exec_driver_sql("SELECT email, id FROM users WHERE email LIKE 'idle%%'").all())
        for i, email in enumerate(emails):
            families.create_family(
                engine,
                ids[email],
                name=f"Idle family {i}",
                currency="USD",
                timezone="UTC",
                monthly_income=300_000,
                savings_goal=0,
                period_start_day=1,
            )
        return members, emails, family.id
    finally:
        engine.dispose()
        owner.dispose()


# --- the light sessions' helper process ---------------------------------------------------------
def light_worker(conn, base: str, password: str) -> None:
    """Runs in its own process: opens light sessions on command and keeps them idle."""
    asyncio.run(_light_loop(conn, base, password))


async def _light_loop(conn, base: str, password: str) -> None:
    from _light import open_sessions

    sessions: list = []
    probe = None
    loop = asyncio.get_running_loop()
    while True:
        cmd = await loop.run_in_executor(None, conn.recv)
        if cmd[0] == "open":
            try:
                sessions += await open_sessions(base, cmd[1], password)
            except Exception as err:  # reported to the benchmark, which stops
                conn.send(("error", repr(err)))
                continue
            conn.send(("opened", len(sessions), dict(Counter(s.process for s in sessions))))
        elif cmd[0] == "probe":  # a member of the measured family, signed in as a light session
            probe = (await open_sessions(base, [cmd[1]], password))[0]
            conn.send(("probed",))
        elif cmd[0] == "probe_figures":
            conn.send(("figures", list(probe.figures)))
        elif cmd[0] == "stats":
            conn.send(
                (
                    "stats",
                    sum(s.fragment_reruns for s in sessions),
                    sum(len(s.errors) for s in sessions),
                    [e for s in sessions for e in s.errors][:5],
                )
            )
        elif cmd[0] == "close":
            await asyncio.gather(*(s.close() for s in sessions + ([probe] if probe else [])), return_exceptions=True)
            conn.send(("closed",))
            return


class LightSessions:
    def __init__(self, base: str):
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=light_worker, args=(child, base, PASSWORD), daemon=True)
        self.proc.start()
        self.count = 0

    def open(self, emails: list[str]) -> dict:
        self.conn.send(("open", emails))
        reply = self.conn.recv()
        if reply[0] == "error":
            raise RuntimeError(reply[1])
        self.count = reply[1]
        return reply[2]

    def probe(self, email: str) -> None:
        self.conn.send(("probe", email))
        self.conn.recv()

    def probe_figures(self) -> list[tuple[float, str]]:
        self.conn.send(("probe_figures",))
        return self.conn.recv()[1]

    def stats(self) -> tuple[int, int, list]:
        self.conn.send(("stats",))
        _, reruns, errors, some = self.conn.recv()
        return reruns, errors, some

    def cpu_s(self) -> float:
        t = psutil.Process(self.proc.pid).cpu_times()
        return t.user + t.system

    def close(self) -> None:
        try:
            self.conn.send(("close",))
            self.conn.recv()
        except (EOFError, OSError):
            pass
        self.proc.join(10)
        if self.proc.is_alive():
            self.proc.kill()


# --- the browsers ---------------------------------------------------------------------------------
def sign_in_members(browser, base: str, emails: list[str]):
    from playwright.sync_api import expect

    pages = []
    for email in emails:
        ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        ctx.set_default_timeout(60_000)
        page = ctx.new_page()
        page.goto(base + "/")
        form = page.locator('[data-testid="stForm"]').filter(has=page.get_by_role("button", name="Sign in"))
        form.get_by_label("Email", exact=True).fill(email)
        form.get_by_label("Password", exact=True).fill(PASSWORD)
        form.get_by_role("button", name="Sign in").click()
        expect(page.locator(SPENT)).to_be_visible(timeout=120_000)
        pages.append(page)
    return pages


def process_of(page) -> str:
    return {c["name"]: c["value"] for c in page.context.cookies()}.get("FB_PROCESS", "?")


def one_round(writer, receivers, n: int, notes: Notifications) -> dict:
    """The writer adds an expense; when each screen (the writer's too) showed it, in browser ms."""
    from playwright.sync_api import expect

    for page in receivers + [writer]:
        page.evaluate(WATCH_JS, spent(page))
    bar = sidebar(writer)
    bar.get_by_label("Description", exact=True).fill(f"bench round {n}")
    amount = bar.get_by_label("Amount", exact=True)
    amount.fill(f"{1 + n % 9}.{n % 100:02d}")
    writer.evaluate(SUBMIT_JS)
    mark = notes.mark()
    amount.press("Enter")
    seen = []
    for page in receivers + [writer]:
        page.wait_for_function("window.__fbSeen !== null", timeout=30_000, polling=50)
        seen.append(page.evaluate("window.__fbSeen"))
    submitted = writer.evaluate("window.__fbSubmit")
    committed, version = notes.first_after(mark)
    expect(bar.get_by_label("Amount", exact=True)).to_have_count(1, timeout=30_000)  # the old form generation is gone
    expect(bar.get_by_label("Amount", exact=True)).to_have_value("", timeout=30_000)  # cleared: saved
    return {"submitted": submitted, "committed": committed, "version": version, "seen": seen[:-1], "own": seen[-1]}


class VersionedNotifications(Notifications):
    """Also remembers each notification's version (to line rounds up with the server's trace)."""

    def __init__(self, db_url: str, family_id: int):
        self.versions: list[int] = []
        super().__init__(db_url, family_id)

    def _run(self) -> None:
        while not self._stop.is_set():
            for note in self._conn.notifies(timeout=0.2):
                if note.payload.startswith(self.family_prefix):
                    self.times.append(time.time() * 1000)
                    self.versions.append(int(note.payload.split(":")[1]))

    def first_after(self, mark: int, wait_s: float = 3.0):  # type: ignore[override]
        deadline = time.monotonic() + wait_s
        while len(self.times) <= mark and time.monotonic() < deadline:
            time.sleep(0.01)
        if len(self.times) > mark:
            return self.times[mark], self.versions[mark]
        return None, None


# --- the server's numbers -------------------------------------------------------------------------
def app_pids(served: ServedApp) -> list[int]:
    return [pid for name, pid in served.pids.items() if name[:1] == "p" and name[1:].isdigit()]


def cpu_s(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        t = psutil.Process(pid).cpu_times()
        total += t.user + t.system
    return total


def rss_mb(pids: list[int]) -> float:
    return sum(psutil.Process(pid).memory_info().rss for pid in pids) / 2**20


def breakdown(trace_path: Path, family_id: int, rounds: list[dict]) -> dict[str, list[float]]:
    """Per receiving session: ms from commit to heard, heard to woken, woken to caught up, caught up to
    framed, framed to seen (the browsers' seen times paired with the sessions in order of framing)."""
    events: dict[int, list[dict]] = defaultdict(list)
    for line in trace_path.read_text().splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if record["f"] == family_id:
            events[record["v"]].append(record)
    steps: dict[str, list[float]] = defaultdict(list)
    for r in rounds:
        if r["version"] is None or r["committed"] is None:
            continue
        evs = events.get(r["version"], [])
        heard = {e["p"]: e["t"] * 1000 for e in evs if e["e"] == "notified"}
        woken = {e["s"]: e for e in evs if e["e"] == "woken"}
        framed = []
        for sid, w in woken.items():
            caught = next((e["t"] * 1000 for e in evs if e["e"] == "caught_up" and e.get("s") == sid), None)
            done = next((e["t"] * 1000 for e in evs if e["e"] == "framed" and e.get("s") == sid), None)
            if caught is None or done is None or w["p"] not in heard:
                continue
            steps["commit → heard"].append(heard[w["p"]] - r["committed"])
            steps["heard → woken"].append(w["t"] * 1000 - heard[w["p"]])
            steps["woken → caught up"].append(caught - w["t"] * 1000)
            steps["caught up → framed"].append(done - caught)
            framed.append(done)
        for done, seen in zip(sorted(framed), sorted(r["seen"])):
            steps["framed → seen"].append(seen - done)
    return steps


def _pct(values: list[float], q: int) -> float:
    ordered = sorted(values)
    return ordered[max(0, -(-q * len(ordered) // 100) - 1)] if ordered else float("nan")


# --- one deployment -------------------------------------------------------------------------------
def run_processes(browser, db_url, family_id, members, idle_emails, processes, scope, args, workdir, log) -> dict:
    trace = workdir / f"trace-{processes}-{scope}.jsonl"
    served = ServedApp(
        db_url,
        workdir / f"served-{processes}-{scope}",
        processes,
        env={"BUDGET_SYNC_TRACE": str(trace), "BUDGET_POLL_MS": str(args.poll_ms), "BUDGET_WAKE_SCOPE": scope},
    )
    light = None
    notes = VersionedNotifications(db_url, family_id)
    results = []
    try:
        pids = app_pids(served)
        log(f"[{processes} process(es), wake {scope}] serving on {served.url} (app pids {pids})")
        pages = sign_in_members(browser, served.url, members)
        log(f"[{processes}] members on {[process_of(p) for p in pages]}")
        light = LightSessions(served.url)
        light.probe(members[-1])  # the fourth member again, without a browser: when the figure arrives
        levels = list(args.idle)
        opened = 0
        baseline: dict | None = None
        while levels:
            level = levels.pop(0)
            if level > opened:
                t0 = time.monotonic()
                spread = light.open(idle_emails[opened:level])
                opened = level
                log(f"[{processes}] {level} idle sessions signed in ({time.monotonic() - t0:.0f} s), on {spread}")
            time.sleep(5)
            for n in range(2):  # warm-up: first runs of this level
                one_round(pages[n], [p for p in pages if p is not pages[n]], 90_000 + n, notes)
            rounds = []
            for n in range(args.rounds):
                writer = pages[n % MEMBERS]
                rounds.append(one_round(writer, [p for p in pages if p is not writer], len(results) * 1000 + n, notes))
                time.sleep(random.uniform(0.3, 1.0))
            figures = light.probe_figures()
            delivered = []
            for r in rounds:
                after = [t for t, _ in figures if r["committed"] and t >= r["committed"]]
                if after:
                    delivered.append(min(after) - r["committed"])
            from_submit = [s - r["submitted"] for r in rounds for s in r["seen"]]
            from_commit = [s - r["committed"] for r in rounds if r["committed"] for s in r["seen"]]
            own = [r["own"] - r["submitted"] for r in rounds]
            time.sleep(3)
            reruns_before, _, _ = light.stats()
            cpu0, light0, t0 = cpu_s(pids), light.cpu_s(), time.monotonic()
            time.sleep(args.idle_seconds)
            window = time.monotonic() - t0
            cpu, light_cpu = cpu_s(pids) - cpu0, light.cpu_s() - light0
            reruns_after, errors, some = light.stats()
            row = {
                "processes": processes,
                "wake": scope,
                "idle": level,
                "rounds": len(rounds),
                "p50_ms": round(_pct(from_submit, 50), 1),
                "p95_ms": round(p95(from_submit), 1),
                "max_ms": round(max(from_submit), 1),
                "commit_p50_ms": round(_pct(from_commit, 50), 1),
                "commit_p95_ms": round(p95(from_commit), 1) if from_commit else None,
                "delivered_p50_ms": round(_pct(delivered, 50), 1) if delivered else None,
                "delivered_p95_ms": round(p95(delivered), 1) if delivered else None,
                "own_p50_ms": round(_pct(own, 50), 1),
                "own_p95_ms": round(p95(own), 1),
                "app_rss_mb": round(rss_mb(pids), 1),
                "app_cpu_s_per_min": round(cpu * 60 / window, 2),
                "light_client_cpu_s_per_min": round(light_cpu * 60 / window, 2),
                "poller_reruns_per_min": round((reruns_after - reruns_before) * 60 / window, 1),
                "light_errors": errors,
                "breakdown": {
                    k: [round(_pct(v, 50), 1), round(p95(v), 1), len(v)]
                    for k, v in breakdown(trace, family_id, rounds).items()
                },
            }
            if some:
                log(f"[{processes}] light-session errors so far: {some}")
            if baseline is None:
                baseline = row
            if level and baseline["idle"] == 0:
                row["mem_kb_per_session"] = round((row["app_rss_mb"] - baseline["app_rss_mb"]) * 1024 / level, 1)
                row["cpu_ms_per_session_min"] = round(
                    (row["app_cpu_s_per_min"] - baseline["app_cpu_s_per_min"]) * 1000 / level, 2
                )
            results.append(row)
            log(
                f"[{processes}] idle {level}: submit→seen p50 {row['p50_ms']:.0f} p95 {row['p95_ms']:.0f} ms; "
                f"own p95 {row['own_p95_ms']:.0f} ms; app RSS {row['app_rss_mb']:.0f} MB; "
                f"app CPU {row['app_cpu_s_per_min']:.1f} s/min; breakdown {row['breakdown']}"
            )
            if not levels and args.beyond and level and row["p95_ms"] <= TARGET_P95_MS and level * 2 <= args.beyond:
                levels.append(level * 2)
                if level * 2 > len(idle_emails):
                    levels.clear()
        return {"processes": processes, "wake": scope, "levels": results}
    finally:
        if light is not None:
            light.close()
        notes.close()
        served.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, action="append", help="process counts to try (default 1 and 2)")
    parser.add_argument("--idle", default="0,50,200,500", help="idle session counts, ascending (default 0,50,200,500)")
    parser.add_argument("--beyond", type=int, default=0, help="keep doubling while p95 ≤ 500 ms, up to this many")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--idle-seconds", type=float, default=30.0)
    parser.add_argument("--poll-ms", type=int, default=5000, help="BUDGET_POLL_MS of the app (the fallback timer)")
    parser.add_argument(
        "--wake-scope",
        action="append",
        choices=["fragment", "page"],
        help="what a change reruns in a woken session (repeatable; default fragment; page is the baseline)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    args.idle = sorted({int(x) for x in args.idle.split(",")})
    processes = args.processes or [1, 2]
    most = max(args.beyond, max(args.idle))

    def log(message: str) -> None:
        print(message, file=sys.stderr if args.json else sys.stdout, flush=True)

    from playwright.sync_api import sync_playwright

    workdir = Path(tempfile.mkdtemp(prefix="budget-capacity-", dir="/tmp"))
    os.chmod(workdir, 0o755)
    runs = []
    try:
        with throwaway_database("capacity") as db_url, sync_playwright() as pw:
            t0 = time.monotonic()
            members, idle_emails, family_id = make_people(db_url, most)
            log(f"made {MEMBERS} members and {most} idle people in {time.monotonic() - t0:.0f} s")
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                for n in processes:
                    for scope in args.wake_scope or ["fragment"]:
                        runs.append(
                            run_processes(
                                browser, db_url, family_id, members, idle_emails, n, scope, args, workdir, log
                            )
                        )
            finally:
                browser.close()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report(runs, args, log)


def report(runs: list[dict], args, log) -> None:
    def out():
        rows = [
            [
                r["processes"],
                r["wake"],
                r["idle"],
                r["rounds"],
                f"{r['p50_ms']:.0f}",
                f"{r['p95_ms']:.0f}",
                f"{r['commit_p95_ms']:.0f}" if r["commit_p95_ms"] is not None else "-",
                f"{r['delivered_p50_ms']:.0f}/{r['delivered_p95_ms']:.0f}" if r.get("delivered_p95_ms") else "-",
                f"{r['own_p95_ms']:.0f}",
                f"{r['app_rss_mb']:.0f}",
                f"{r['mem_kb_per_session']:.0f}" if "mem_kb_per_session" in r else "-",
                f"{r['app_cpu_s_per_min']:.1f}",
                f"{r['cpu_ms_per_session_min']:.1f}" if "cpu_ms_per_session_min" in r else "-",
                f"{r['poller_reruns_per_min']:.0f}",
            ]
            for run in runs
            for r in run["levels"]
        ]
        print_table(
            [
                "processes",
                "wake",
                "idle",
                "rounds",
                "p50",
                "p95",
                "commit p95",
                "delivered p50/p95",
                "own p95",
                "app RSS MB",
                "KB/session",
                "app CPU s/min",
                "CPU ms/session/min",
                "poller reruns/min",
            ],
            rows,
            title=(
                f"Member-to-member latency in ms (submit→seen, 3 receivers per round; baseline: 0 idle), writer's own "
                f"confirmation, and what idle sessions cost (poll {args.poll_ms} ms)"
            ),
        )
        steps = [
            [run["processes"], run["wake"], r["idle"], step, f"{p50:.0f}", f"{p95_:.0f}", n]
            for run in runs
            for r in run["levels"]
            for step, (p50, p95_, n) in r["breakdown"].items()
        ]
        print_table(
            ["processes", "wake", "idle", "step", "p50 ms", "p95 ms", "samples"], steps, title="Where the time goes"
        )
        best = []
        for run in runs:
            ok = [r["idle"] for r in run["levels"] if r["p95_ms"] <= TARGET_P95_MS]
            tried = max(r["idle"] for r in run["levels"])
            largest = max(ok) if ok else None
            note = "" if largest is None or largest < tried else " (the most tried)"
            best.append([run["processes"], run["wake"], "none" if largest is None else f"{largest}{note}"])
        print_table(["processes", "wake", "largest idle count with p95 ≤ 500 ms"], best, title="Capacity")

    if args.json:
        saved, sys.stdout = sys.stdout, sys.stderr
        out()
        sys.stdout = saved
        print(json.dumps({"runs": runs}))
    else:
        out()


if __name__ == "__main__":
    main()
