"""Entries made while the database is unreachable: a durable local queue, delivered exactly once.

The outbox is an append-only JSON-lines file in ``<data dir>/outbox/`` (always the data
directory, whatever ``BUDGET_DATABASE_URL`` says). Each line is one record:

- ``{"op": "add", "client_id", "family_id", "user_id" | "by_email", "draft": {...}, "at"}``
- ``{"op": "delivered", "client_id", "transaction_id"}``
- ``{"op": "failed", "client_id", "reason"}``
- ``{"op": "discarded", "client_id"}``

A line is written, flushed and fsync'd before anyone is told "saved locally". The state of an
entry is the last record about its ``client_id``. Delivery calls ``add_transaction`` with the
entry's ``client_id``, so a delivery repeated after a crash stores nothing twice. A line that is
not a complete record (a torn write, JSON missing a field or with a field of the wrong type, an
entry whose draft cannot be read) is skipped and reported — ``budget outbox list``, the health
check and the sidebar go on — and kept aside in ``damaged.jsonl`` when the file is compacted, never
fatal. The files are private (0600, compaction included; the folder 0700). The delivery thread
survives any error (logged) and :func:`get_deliverer` starts a new one if it ever died.
Processes sharing the data directory serialise on an ``flock``.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from ..config import settings
from ..errors import BudgetError
from .files import private_folder
from .reliability import backoff_delay

log = logging.getLogger(__name__)
OPS = ("add", "delivered", "failed", "discarded")


@dataclass(frozen=True)
class OutboxEntry:
    client_id: str
    family_id: int
    draft: dict
    user_id: int | None = None
    by_email: str | None = None
    at: str = ""
    status: str = "pending"  # pending | failed | delivered | discarded
    reason: str | None = None
    transaction_id: int | None = None

    @property
    def description(self) -> str:
        return self.draft.get("description", "")


@dataclass
class FlushResult:
    delivered: int = 0
    failed: int = 0
    pending: int = 0
    errors: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"delivered": self.delivered, "failed": self.failed, "pending": self.pending}


@dataclass(frozen=True)
class OutboxState:
    entries: tuple[OutboxEntry, ...]
    damaged_lines: tuple[int, ...]
    damaged_text: tuple[str, ...] = ()  # those lines as they are, to keep aside

    def with_status(self, *statuses: str) -> list[OutboxEntry]:
        return [e for e in self.entries if e.status in statuses]


def is_unreachable(exc: BaseException) -> bool:
    """True when ``exc`` means the database could not be reached (as opposed to a refusal)."""
    if isinstance(exc, OperationalError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


class Outbox:
    def __init__(self, directory: Path | None = None):
        self.directory = Path(directory) if directory else settings().data_dir / "outbox"
        self.path = self.directory / "outbox.jsonl"
        self.damaged_path = self.directory / "damaged.jsonl"
        self._thread_lock = threading.Lock()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        private_folder(self.directory.parent, tighten=False)  # a new data dir is made private
        private_folder(self.directory)
        with self._thread_lock, open(self.directory / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _append(self, record: dict) -> None:
        line = json.dumps(record, default=str, separators=(",", ":")) + "\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size > 0:  # a torn last line must not swallow this record
                with open(self.path, "rb") as existing:
                    existing.seek(-1, os.SEEK_END)
                    if existing.read(1) != b"\n":
                        line = "\n" + line
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def _read(self) -> OutboxState:
        entries: dict[str, OutboxEntry] = {}
        damaged: list[int] = []
        damaged_text: list[str] = []
        if not self.path.exists():
            return OutboxState((), ())
        with open(self.path, encoding="utf-8", errors="replace") as fh:
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                rec = _record(line)
                if rec is None or (rec["op"] != "add" and rec["client_id"] not in entries):
                    damaged.append(number)
                    damaged_text.append(line.rstrip("\n"))
                    continue
                cid, op = rec["client_id"], rec["op"]
                if op == "add":
                    entries[cid] = OutboxEntry(
                        cid, rec["family_id"], rec["draft"], rec.get("user_id"), rec.get("by_email"), rec.get("at", "")
                    )
                else:
                    old = entries[cid]
                    entries[cid] = OutboxEntry(
                        old.client_id,
                        old.family_id,
                        old.draft,
                        old.user_id,
                        old.by_email,
                        old.at,
                        op,
                        rec.get("reason") if isinstance(rec.get("reason"), str) else None,
                        rec.get("transaction_id") if isinstance(rec.get("transaction_id"), int) else None,
                    )
        return OutboxState(tuple(entries.values()), tuple(damaged), tuple(damaged_text))

    # --- public API ---------------------------------------------------------------------
    def enqueue(
        self,
        family_id: int,
        draft: dict,
        *,
        user_id: int | None = None,
        by_email: str | None = None,
        client_id: str | None = None,
    ) -> OutboxEntry:
        """Durably keep an entry for later delivery. ``draft`` is ``transactions.outbox_draft``'s shape:
        ``amount`` (text), ``description``, ``category``, ``occurred_on``, ``refund``."""
        if user_id is None and by_email is None:
            raise ValueError("an outbox entry needs the user id or the email of its author")
        cid = str(client_id or uuid.uuid4())
        at = datetime.now(UTC).isoformat()
        record = {
            "op": "add",
            "client_id": cid,
            "family_id": family_id,
            "user_id": user_id,
            "by_email": by_email,
            "draft": draft,
            "at": at,
        }
        with self._locked():
            self._append(record)
        return OutboxEntry(cid, family_id, draft, user_id, by_email, at)

    def state(self) -> OutboxState:
        with self._locked():
            return self._read()

    def pending_count(self) -> int:
        return len(self.state().with_status("pending"))

    def kept_aside(self) -> list[str]:
        """Damaged lines moved out of the outbox by compaction (``damaged.jsonl``), as they were."""
        with self._locked():
            if not self.damaged_path.exists():
                return []
            with open(self.damaged_path, encoding="utf-8", errors="replace") as fh:
                return [line.rstrip("\n") for line in fh if line.strip()]

    def discard(self, client_id: str) -> None:
        with self._locked():
            self._append({"op": "discarded", "client_id": client_id})

    def resend(self, entry: OutboxEntry, draft: dict) -> OutboxEntry:
        """Put a failed entry back in the queue with corrected fields (same client_id: it was never stored)."""
        at = datetime.now(UTC).isoformat()
        with self._locked():
            record = {
                "op": "add",
                "client_id": entry.client_id,
                "family_id": entry.family_id,
                "user_id": entry.user_id,
                "by_email": entry.by_email,
                "draft": draft,
                "at": at,
            }
            self._append(record)
        return OutboxEntry(entry.client_id, entry.family_id, draft, entry.user_id, entry.by_email, at)

    def flush(self, engine: Engine) -> FlushResult:
        """Try to deliver every pending entry, oldest first. Stops at the first sign the database
        is still unreachable (the rest stay pending)."""
        result = FlushResult()
        with self._locked():
            state = self._read()
            if state.damaged_lines:
                result.errors.append(f"skipped damaged outbox line(s) {', '.join(map(str, state.damaged_lines))}")
            pending = state.with_status("pending")
            for index, entry in enumerate(pending):
                try:
                    tx = _deliver(engine, entry)
                except BudgetError as refused:
                    self._append({"op": "failed", "client_id": entry.client_id, "reason": refused.message})
                    result.failed += 1
                except (KeyError, TypeError, ValueError, AttributeError) as unreadable:  # a draft that is not one
                    reason = f"this entry cannot be read ({type(unreadable).__name__}); type it again"
                    self._append({"op": "failed", "client_id": entry.client_id, "reason": reason})
                    result.failed += 1
                except (OperationalError, DBAPIError) as exc:
                    if not is_unreachable(exc):
                        raise
                    result.pending = len(pending) - index
                    break
                else:
                    self._append({"op": "delivered", "client_id": entry.client_id, "transaction_id": tx.id})
                    result.delivered += 1
            self._compact_if_settled()
        return result

    def _compact_if_settled(self) -> None:
        """Rewrite the file without settled entries once nothing is pending (keeps it small); damaged
        lines move to ``damaged.jsonl``, where ``budget outbox list`` still reports them."""
        state = self._read()
        if state.with_status("pending") or not self.path.exists():
            return
        keep = [e for e in state.entries if e.status == "failed"]
        if state.damaged_text:
            fd = os.open(self.damaged_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, "".join(line + "\n" for line in state.damaged_text).encode("utf-8", "replace"))
                os.fsync(fd)
            finally:
                os.close(fd)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        with open(fd, "w", encoding="utf-8") as fh:
            for e in keep:
                fh.write(
                    json.dumps(
                        {
                            "op": "add",
                            "client_id": e.client_id,
                            "family_id": e.family_id,
                            "user_id": e.user_id,
                            "by_email": e.by_email,
                            "draft": e.draft,
                            "at": e.at,
                        }
                    )
                    + "\n"
                )
                fh.write(json.dumps({"op": "failed", "client_id": e.client_id, "reason": e.reason}) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)


def _record(line: str) -> dict | None:
    """The line as a complete record, or None: valid JSON, a known ``op``, a UUID ``client_id``, and
    for an ``add`` an integer ``family_id``, a draft object and its author (user id or e-mail)."""
    try:
        rec = json.loads(line)
    except ValueError:
        return None
    if not isinstance(rec, dict) or rec.get("op") not in OPS or not isinstance(rec.get("client_id"), str):
        return None
    try:
        uuid.UUID(rec["client_id"])
    except ValueError:
        return None
    if rec["op"] == "add":
        family_id, user_id, by_email = rec.get("family_id"), rec.get("user_id"), rec.get("by_email")
        if not isinstance(family_id, int) or isinstance(family_id, bool) or not isinstance(rec.get("draft"), dict):
            return None
        if not (isinstance(user_id, int) and not isinstance(user_id, bool)) and not isinstance(by_email, str):
            return None
        if not isinstance(rec.get("at", ""), str):
            return None
    return rec


def _deliver(engine: Engine, entry: OutboxEntry):
    from ..services import accounts, families, transactions

    user_id = entry.user_id if entry.user_id is not None else accounts.user_by_email(engine, entry.by_email or "").id
    access = families.open(engine, user_id, entry.family_id)
    draft = transactions.TransactionDraft.from_json(entry.draft, access.currency, uuid.UUID(entry.client_id))
    return transactions.add_transaction(access, draft)


class Deliverer:
    """A background thread that flushes the outbox with full-jitter exponential backoff."""

    def __init__(self, outbox: Outbox, engine: Engine, *, base_s: float = 0.5, cap_s: float = 30.0):
        self.outbox, self.engine, self.base_s, self.cap_s = outbox, engine, base_s, cap_s
        self.attempt = 0
        self.last: FlushResult | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox-deliverer", daemon=True)
        self._thread.start()

    def poke(self) -> None:
        """Something was enqueued: try soon."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=5)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                has_pending = self.outbox.pending_count() > 0
                if has_pending:
                    self.last = self.outbox.flush(self.engine)
                    self.attempt = self.attempt + 1 if self.last.pending else 0
            except (OperationalError, DBAPIError):
                self.attempt += 1
            except Exception as err:  # noqa: BLE001 - the thread must outlive anything one flush raises
                from .errorlog import log_unexpected

                log_unexpected(err)
                self.attempt += 1
            delay = backoff_delay(self.attempt, self.base_s, self.cap_s) if self.attempt else 5.0
            self._wake.wait(delay)
            self._wake.clear()


_deliverers: dict[str, Deliverer] = {}
_lock = threading.Lock()


def get_deliverer(engine: Engine, outbox: Outbox | None = None) -> Deliverer:
    """The process's background deliverer for this engine's outbox."""
    outbox = outbox or Outbox()
    key = f"{outbox.path}|{engine.url}"
    with _lock:
        if key not in _deliverers or not _deliverers[key].alive:  # started once, and again if it ever died
            _deliverers[key] = Deliverer(outbox, engine)
        return _deliverers[key]
