import time, collections, os
from sqlalchemy import event
import test_state_machine as sm
T = collections.defaultdict(lambda: [0, 0.0])
def test_prof(shared_engines, capsys):
    app, owner = shared_engines
    for eng, tag in ((app, "app"), (owner, "own")):
        @event.listens_for(eng, "before_cursor_execute")
        def b(conn, cur, stmt, params, ctx, many):
            conn.info["t"] = time.perf_counter()
        @event.listens_for(eng, "after_cursor_execute")
        def a(conn, cur, stmt, params, ctx, many, tag=tag):
            k = tag + " " + " ".join(stmt.split())[:70]
            T[k][0] += 1; T[k][1] += time.perf_counter() - conn.info["t"]
    sm.test_nobody_reads_or_changes_what_their_role_and_family_do_not_allow(shared_engines, capsys)
    with capsys.disabled():
        for k, (n, t) in sorted(T.items(), key=lambda kv: -kv[1][1])[:25]:
            print(f"{t*1000:9.1f} ms {n:6d} {t/n*1000:7.2f} {k}")
