"""The inbox folder: every bank statement dropped into it is imported once it is completely written.

Only statements are taken: a file must have a statement's extension (``.csv``, ``.ofx``, ``.qfx``,
``.tsv``, ``.txt``) and its first bytes must read as one (OFX headers, or a CSV table with a date and
an amount column). Every other file is left exactly where it is, untouched. A folder that holds
anything else when the watcher starts is refused — pointed at a Downloads folder it would otherwise
sit among a person's documents — unless the caller says it is shared (``share=True``, the
command's ``--share``); then the other files are simply ignored.

"Completely written" means its size and modification time stayed the same for ``settle_seconds``
(a browser or a sync client writes a file in bursts). Then the file is imported in one
transaction and moved to ``processed/``, or to ``failed/`` with ``<name>.reason.txt`` beside it
saying why. Files already in the folder when the watcher starts (they arrived while it was not
running) are imported the same way. While the database cannot be reached, files stay in the
inbox and are retried with a growing pause: it is not the file's fault.

watchdog reports new and renamed files at once; a rescan every few seconds catches any event a
file system does not deliver. Names that browsers use for downloads in progress (``.part``,
``.crdownload``, ``.tmp``, ``.download``) and hidden files are left alone until renamed.
"""

from __future__ import annotations

import csv
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import OperationalError
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from ..errors import BudgetError, Unavailable, ValidationError
from ..ops.reliability import backoff_delay
from ..services.access import FamilyAccess
from .csv_format import sniff_layout
from .ofx_format import SNIFF_BYTES, looks_like_ofx
from .service import ImportOptions, ImportResult, import_file

log = logging.getLogger(__name__)

PROCESSED, FAILED = "processed", "failed"
IN_PROGRESS_SUFFIXES = (".part", ".crdownload", ".tmp", ".download", ".partial", "~")
STATEMENT_SUFFIXES = (".csv", ".ofx", ".qfx", ".tsv", ".txt")
CSV_SNIFF_BYTES = 64 * 1024
RESCAN_SECONDS = 5.0
MAX_RETRY_SECONDS = 60.0

OnResult = Callable[[str, ImportResult | None, str | None], None]


@dataclass
class _Pending:
    size: int
    mtime_ns: int
    stable_since: float
    retry_at: float = 0.0
    retries: int = 0


def is_candidate(path: Path) -> bool:
    """A file the inbox should import (not hidden, not a download in progress)."""
    name = path.name
    return not name.startswith(".") and not name.lower().endswith(IN_PROGRESS_SUFFIXES)


def in_progress(path: Path) -> bool:
    return path.name.lower().endswith(IN_PROGRESS_SUFFIXES)


def is_statement(path: Path) -> bool:
    """A bank statement by its name and its content: OFX/QFX headers, or a CSV table with a header
    of a date and an amount column (or rows of dates and amounts) in its first lines."""
    if path.name.startswith(".") or not path.name.lower().endswith(STATEMENT_SUFFIXES):
        return False
    try:
        with open(path, "rb") as fh:
            head = fh.read(CSV_SNIFF_BYTES)
    except OSError:
        return False
    if looks_like_ofx(head[:SNIFF_BYTES]):
        return True
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False  # a binary file (an image, a spreadsheet, a program)
    cut = head if len(head) < CSV_SNIFF_BYTES else head[: head.rfind(b"\n") + 1]
    for encoding in ("utf-8-sig", "utf-16", "cp1252"):
        try:
            cut.decode(encoding)
        except UnicodeDecodeError:
            continue
        try:
            sniff_layout(cut, encoding)
        except (ValidationError, UnicodeError, csv.Error):
            return False
        return True
    return False


def foreign_entries(directory: Path) -> list[str]:
    """Names of what a folder holds besides statements (and the watcher's own folders, hidden
    files and downloads in progress), sorted."""
    found = []
    for entry in os.scandir(directory):
        path = Path(entry.path)
        if entry.name in (PROCESSED, FAILED) or entry.name.startswith(".") or in_progress(path):
            continue
        if entry.is_dir(follow_symlinks=False) or not is_statement(path):
            found.append(entry.name + ("/" if entry.is_dir(follow_symlinks=False) else ""))
    return sorted(found)


def check_inbox(directory: Path, *, share: bool) -> None:
    """Refuse a folder that holds anything but statements unless it is shared (see the module docstring)."""
    if share or not directory.exists():
        return
    foreign = foreign_entries(directory)
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise ValidationError(
            f"{directory} holds files that are not bank statements ({shown}). Point the inbox at a folder "
            "of its own, or pass --share to take only the statements and leave everything else where it is."
        )


def unique_destination(folder: Path, name: str) -> Path:
    """``folder/name``, or ``folder/stem-2.ext`` … when that is taken (nothing is overwritten)."""
    target = folder / name
    n = 1
    while target.exists() or (folder / f"{target.name}.reason.txt").exists():
        n += 1
        target = folder / f"{Path(name).stem}-{n}{Path(name).suffix}"
    return target


class _Handler(FileSystemEventHandler):
    def __init__(self, inbox: Inbox):
        self.inbox = inbox

    def on_created(self, event: FileSystemEvent) -> None:
        if not event.is_directory:
            self.inbox.notice(Path(os.fsdecode(event.src_path)))

    def on_modified(self, event: FileSystemEvent) -> None:
        if not event.is_directory:
            self.inbox.notice(Path(os.fsdecode(event.src_path)))

    def on_moved(self, event: FileSystemEvent) -> None:
        if not event.is_directory:
            self.inbox.notice(Path(os.fsdecode(event.dest_path)))


class Inbox:
    """Watches ``directory`` for one family and one importing member."""

    def __init__(
        self,
        access: FamilyAccess,
        directory: Path,
        *,
        settle_seconds: float = 2.0,
        poll_seconds: float = 0.2,
        options: ImportOptions | None = None,
        on_result: OnResult | None = None,
        share: bool = False,
    ):
        self.access = access
        self.share = share
        self._ignored: dict[Path, tuple[int, int]] = {}  # not statements: (size, mtime) when judged
        self.directory = Path(directory).resolve()
        self.settle_seconds, self.poll_seconds = settle_seconds, poll_seconds
        self.options = options or ImportOptions()
        self.on_result = on_result or (lambda name, result, error: None)
        self._pending: dict[Path, _Pending] = {}
        self._lock = threading.Lock()

    # -- what the folder holds ------------------------------------------------------------------------
    def notice(self, path: Path) -> None:
        """A file appeared or changed (watchdog thread or rescan): (re)start its settling clock."""
        path = Path(path)
        if path.parent.resolve() != self.directory or not is_candidate(path):
            return
        if path in self._ignored:
            try:
                st = path.stat()
            except FileNotFoundError:
                self._ignored.pop(path, None)
                return
            if self._ignored[path] == (st.st_size, st.st_mtime_ns):
                return
        with self._lock:
            self._pending.setdefault(path, _Pending(-1, -1, time.monotonic()))

    def rescan(self) -> None:
        for entry in os.scandir(self.directory):
            if entry.is_file(follow_symlinks=False):
                self.notice(Path(entry.path))

    def ready(self, now: float | None = None) -> list[Path]:
        """Files whose size and mtime have not changed for ``settle_seconds``; forgets vanished ones."""
        now = time.monotonic() if now is None else now
        out = []
        with self._lock:
            for path, p in list(self._pending.items()):
                try:
                    st = path.stat()
                except FileNotFoundError:
                    del self._pending[path]
                    continue
                if (st.st_size, st.st_mtime_ns) != (p.size, p.mtime_ns):
                    p.size, p.mtime_ns, p.stable_since = st.st_size, st.st_mtime_ns, now
                elif now - p.stable_since >= self.settle_seconds and now >= p.retry_at:
                    out.append(path)
        return sorted(out)

    # -- importing ----------------------------------------------------------------------------------------
    def process(self, path: Path) -> None:
        """Import one settled file and move it; on a database outage keep it and retry later."""
        try:
            result = import_file(self.access, path.name, path, self.options)
        except (OperationalError, Unavailable) as err:
            self._retry_later(path, err)
            return
        except BudgetError as err:
            self._fail(path, err.message)
            return
        except Exception as err:  # noqa: BLE001 — a long-running watcher must not die on one odd file
            log.exception("importing %s failed unexpectedly", path)
            self._fail(
                path,
                f"The file could not be imported because of an unexpected error ({err!r}); "
                "report it with the file attached.",
            )
            return
        self._move(path, PROCESSED)
        self.on_result(path.name, result, None)

    def _retry_later(self, path: Path, err: Exception) -> None:
        with self._lock:
            p = self._pending.get(path)
            if p is not None:
                p.retries += 1
                p.retry_at = time.monotonic() + backoff_delay(p.retries, base_s=2.0, cap_s=MAX_RETRY_SECONDS)
        log.warning("database unavailable, will retry %s: %s", path.name, err)

    def _fail(self, path: Path, reason: str) -> None:
        target = self._move(path, FAILED)
        if target is not None:
            target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
        self.on_result(path.name, None, reason)

    def _move(self, path: Path, folder: str) -> Path | None:
        with self._lock:
            self._pending.pop(path, None)
        dest_dir = self.directory / folder
        dest_dir.mkdir(exist_ok=True)
        target = unique_destination(dest_dir, path.name)
        try:
            os.replace(path, target)
        except FileNotFoundError:
            return None
        return target

    def tick(self) -> None:
        for path in self.ready():
            if is_statement(path):
                self.process(path)
            else:
                self._ignore(path)

    def _ignore(self, path: Path) -> None:
        """Not a statement: leave it exactly where it is, and do not look again until it changes."""
        with self._lock:
            self._pending.pop(path, None)
        try:
            st = path.stat()
        except FileNotFoundError:
            return
        if self._ignored.get(path) != (st.st_size, st.st_mtime_ns):
            self._ignored[path] = (st.st_size, st.st_mtime_ns)
            log.info("left %s where it is: not a bank statement", path.name)

    # -- the loop ----------------------------------------------------------------------------------------------
    def run_once(self, stop: threading.Event | None = None) -> None:
        """Import the files in the folder now (each once its size has settled), then return."""
        stop = stop or threading.Event()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.rescan()
        while not stop.is_set():
            self.tick()
            with self._lock:
                if not self._pending:
                    return
            stop.wait(self.poll_seconds)

    def run(self, stop: threading.Event) -> None:
        """Watch until ``stop`` is set; statements present at start are imported first. ValidationError
        for a folder holding other files unless ``share`` (nothing is moved then)."""
        check_inbox(self.directory, share=self.share)
        self.directory.mkdir(parents=True, exist_ok=True)
        for folder in (PROCESSED, FAILED):
            (self.directory / folder).mkdir(exist_ok=True)
        observer = Observer()
        observer.schedule(_Handler(self), str(self.directory), recursive=False)
        observer.start()
        try:
            self.rescan()
            last_scan = time.monotonic()
            while not stop.is_set():
                self.tick()
                if time.monotonic() - last_scan >= RESCAN_SECONDS:
                    self.rescan()
                    last_scan = time.monotonic()
                stop.wait(self.poll_seconds)
        finally:
            observer.stop()
            observer.join(timeout=5)
