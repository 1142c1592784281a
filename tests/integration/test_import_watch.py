"""The inbox folder: files are imported once completely written, then moved to processed/ or failed/."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from budget_core.importers.watch import Inbox

ROOT = Path(__file__).resolve().parents[2]
HEADER = "Date,Description,Amount\n"


def csv_rows(n: int, start: int = 0) -> str:
    return "".join(f"2026-11-{1 + (i % 28):02d},SHOP {i},-{1 + i}.25\n" for i in range(start, start + n))


def count(home) -> int:
    """How many transactions the family has stored (read with the owner's engine)."""
    with home.owner.connect() as conn:
        return conn.execute(
            text("SELECT count(*) FROM transactions WHERE family_id = :f"), {"f": home.family.id}
        ).scalar()


def wait_for(predicate, timeout=15.0, every=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False


@pytest.fixture
def inbox(home, tmp_path):
    """Start a watcher on tmp_path/inbox in a thread; yields (folder, start, results)."""
    folder = tmp_path / "inbox"
    folder.mkdir()
    results: list[tuple] = []
    stop = threading.Event()
    threads = []

    def start(settle=0.6):
        watcher = Inbox(
            home.access(),
            folder,
            settle_seconds=settle,
            poll_seconds=0.05,
            on_result=lambda name, result, error: results.append((name, result, error)),
        )
        t = threading.Thread(target=watcher.run, args=(stop,), daemon=True)
        t.start()
        threads.append(t)

    yield folder, start, results
    stop.set()
    for t in threads:
        t.join(timeout=10)
        assert not t.is_alive(), "the watcher did not stop"


def test_files_that_arrived_while_it_was_not_running_are_imported_at_start(home, inbox):
    folder, start, results = inbox
    (folder / "october.csv").write_text(HEADER + csv_rows(3))
    (folder / "november.csv").write_text(HEADER + csv_rows(3, start=3))
    start()
    assert wait_for(lambda: len(results) == 2)
    assert sorted(p.name for p in (folder / "processed").iterdir()) == ["november.csv", "october.csv"]
    assert count(home) == 6 and not list(folder.glob("*.csv"))


def test_a_file_written_slowly_is_imported_once_complete(home, inbox):
    folder, start, results = inbox
    start(settle=0.8)
    text_ = HEADER + csv_rows(50)
    chunks = [text_[i : i + len(text_) // 6 + 1] for i in range(0, len(text_), len(text_) // 6 + 1)]
    with open(folder / "slow.csv", "w") as fh:
        for chunk in chunks:  # a pause shorter than the settle time between bursts
            fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
            time.sleep(0.4)
            assert count(home) == 0 and (folder / "slow.csv").exists(), "imported before it was complete"
    assert wait_for(lambda: results)
    [(name, result, error)] = results
    assert (name, error, result.added) == ("slow.csv", None, 50)
    assert (folder / "processed" / "slow.csv").exists() and count(home) == 50


def test_a_bad_file_goes_to_failed_with_a_reason_and_imports_nothing(home, inbox):
    folder, start, results = inbox
    start()
    (folder / "broken.csv").write_text(HEADER + csv_rows(3) + "2026-11-05,BAD,twelve\n" + csv_rows(2, start=9))
    assert wait_for(lambda: results)
    reason = (folder / "failed" / "broken.csv.reason.txt").read_text()
    assert "Line 5: 'twelve' in column 'Amount' is not an amount" in reason
    assert (folder / "failed" / "broken.csv").exists() and count(home) == 0


def test_a_download_in_progress_waits_for_its_final_name_and_a_second_copy_is_all_duplicates(home, inbox):
    folder, start, results = inbox
    start()
    (folder / "stmt.csv.part").write_text(HEADER + csv_rows(4))
    time.sleep(1.0)
    assert not results and count(home) == 0
    os.replace(folder / "stmt.csv.part", folder / "stmt.csv")
    assert wait_for(lambda: len(results) == 1)
    (folder / "stmt.csv").write_text(HEADER + csv_rows(4))  # the same statement dropped again
    assert wait_for(lambda: len(results) == 2)
    assert [r[1].added for r in results] == [4, 0] and results[1][1].duplicates == 4
    assert sorted(p.name for p in (folder / "processed").iterdir()) == ["stmt-2.csv", "stmt.csv"]
    assert count(home) == 4


def test_the_command_imports_and_stops_cleanly_on_sigterm(home, tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "waiting.csv").write_text(HEADER + csv_rows(2))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "budget_core.cli",
            "import",
            "watch",
            "--family",
            str(home.family.id),
            "--by",
            "mom@example.com",
            str(folder),
            "--settle",
            "0.3",
        ],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait_for(lambda: (folder / "processed" / "waiting.csv").exists(), timeout=60)
        (folder / "later.csv").write_text(HEADER + csv_rows(3, start=5))
        assert wait_for(lambda: (folder / "processed" / "later.csv").exists(), timeout=30)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "waiting.csv: added 2" in out and "later.csv: added 3" in out and "Stopped watching." in out
    assert "Traceback" not in err and count(home) == 5


# --- the inbox takes only statements -----------------------------------------------------------------
def test_a_folder_with_other_files_is_refused_at_start_and_nothing_is_moved(home, tmp_path):
    from budget_core.errors import ValidationError
    from budget_core.importers.watch import check_inbox

    folder = tmp_path / "Downloads"
    folder.mkdir()
    (folder / "setup.py").write_text("print('hello')\n")
    (folder / "notes.txt").write_text("Call the bank about the card.\n")
    (folder / "statement.csv").write_text(HEADER + csv_rows(2))
    with pytest.raises(ValidationError, match=r"not bank statements \(notes\.txt, setup\.py\).*--share"):
        check_inbox(folder, share=False)
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt", "setup.py", "statement.csv"]
    assert count(home) == 0


def test_a_shared_folder_takes_only_statements_and_leaves_every_other_file_exactly_where_it_is(home, tmp_path):
    folder = tmp_path / "Downloads"
    folder.mkdir()
    others = {
        "build.py": "import os\nprint(os.getcwd())\n",
        "notes.txt": "Call the bank about the card.\n",
        "report.csv": "name,age\nAnn,7\nBen,9\n",  # a CSV, but no statement: no dates, no amounts
        "photo.ofx.jpg": "\xff\xd8\xff\xe0 not a picture really",
    }
    for name, body in others.items():
        (folder / name).write_text(body)
    before = {name: ((folder / name).stat().st_mtime_ns, (folder / name).read_bytes()) for name in others}
    results: list = []
    stop = threading.Event()
    watcher = Inbox(
        home.access(),
        folder,
        settle_seconds=0.3,
        poll_seconds=0.05,
        share=True,
        on_result=lambda *r: results.append(r),
    )
    thread = threading.Thread(target=watcher.run, args=(stop,), daemon=True)
    thread.start()
    try:
        (folder / "checking.csv").write_text(HEADER + csv_rows(3))
        assert wait_for(lambda: results)
        time.sleep(1.0)  # more ticks: nothing else is taken
    finally:
        stop.set()
        thread.join(timeout=10)
    assert [(r[0], r[2]) for r in results] == [("checking.csv", None)]
    assert (folder / "processed" / "checking.csv").exists() and count(home) == 3
    assert not any((folder / "failed").iterdir())
    after = {name: ((folder / name).stat().st_mtime_ns, (folder / name).read_bytes()) for name in others}
    assert after == before


def test_the_command_refuses_a_folder_of_scripts_with_one_line(home, tmp_path):
    from click.testing import CliRunner

    from budget_core.cli import main

    folder = tmp_path / "scripts"
    folder.mkdir()
    (folder / "a.py").write_text("x = 1\n")
    result = CliRunner().invoke(
        main, ["import", "watch", "--family", str(home.family.id), "--by", "mom@example.com", str(folder)]
    )
    assert result.exit_code != 0 and "not bank statements (a.py)" in result.output
    assert [p.name for p in folder.iterdir()] == ["a.py"]
