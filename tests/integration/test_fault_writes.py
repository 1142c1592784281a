"""Breaking the database on purpose while people write: nothing acknowledged is lost or doubled."""

from __future__ import annotations

import random
import threading
import time
import uuid

from sqlalchemy import text

from budget_core.db.engine import make_app_engine
from budget_core.ops.outbox import is_unreachable
from budget_core.ops.reliability import retry
from budget_core.services import transactions as tx
from budget_core.services.access import open_family

WRITERS = 32
SECONDS = 30


def test_32_writers_with_backends_killed_at_random_lose_and_double_nothing(home, db_url):
    engine = make_app_engine(db_url, pool_size=WRITERS + 4, max_overflow=8)  # the app's role, as in production
    acknowledged: list[uuid.UUID] = []
    ack_lock = threading.Lock()
    stop = threading.Event()
    kills = [0]
    gave_up = [0]

    def writer(n: int) -> None:
        rng = random.Random(n)
        who = home.mom.id if n % 2 else home.dad.id
        while not stop.is_set():
            cid = uuid.uuid4()
            draft = tx.TransactionDraft(rng.randrange(100, 5000), f"writer {n}", "Groceries", client_id=cid)
            try:
                retry(
                    lambda draft=draft: tx.add_transaction(open_family(engine, who, home.family.id), draft),
                    retryable=is_unreachable,
                    attempts=10,
                    base_s=0.02,
                    cap_s=0.5,
                )
            except Exception as exc:  # a write that never got an answer is not acknowledged
                if not is_unreachable(exc):
                    raise
                gave_up[0] += 1
                continue
            with ack_lock:
                acknowledged.append(cid)

    def killer() -> None:
        rng = random.Random(99)
        while not stop.wait(rng.uniform(0.02, 0.15)):
            with home.owner.connect() as conn:  # only the owner may end other roles' backends
                kills[0] += conn.execute(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM (SELECT pid FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                        "AND backend_type = 'client backend' ORDER BY random() LIMIT 2) victims"
                    )
                ).scalar()
                conn.commit()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)] + [threading.Thread(target=killer)]
    for t in threads:
        t.start()
    time.sleep(SECONDS)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    engine.dispose()

    with home.owner.connect() as conn:
        stored = dict(
            conn.execute(
                text("SELECT client_id, count(*) FROM transactions WHERE description LIKE 'writer %' GROUP BY 1")
            ).all()
        )
        versions = [
            v
            for (v,) in conn.execute(
                text("SELECT version FROM events WHERE family_id = :f ORDER BY version"), {"f": home.family.id}
            )
        ]
        family_version = conn.execute(
            text("SELECT version FROM families WHERE id = :f"), {"f": home.family.id}
        ).scalar()
    assert kills[0] > 20, "the fault injector must actually have killed connections"
    assert len(acknowledged) > 100
    lost = [cid for cid in acknowledged if stored.get(cid, 0) == 0]
    doubled = [cid for cid, n in stored.items() if n > 1]
    assert lost == [] and doubled == []
    assert len(set(acknowledged)) == len(acknowledged)
    assert versions == list(range(1, family_version + 1))
