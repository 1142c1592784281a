"""Reading a bank file in a child process with CPU-time and memory limits, and a cancel.

The web app reads uploads here, not in its own process: parsing is CPU work under the GIL, so even a
legitimate 16 MB file read in the server would slow every family's pages, and a file shaped to hit
a slow path in a parser (beyond what :func:`ofx_format.prescan` and the CSV limits refuse) would
freeze them. The child (``python -m budget_core.importers.sandbox``) gets the file and the rules on
stdin, sets ``RLIMIT_CPU`` (:data:`CPU_SECONDS`) and ``RLIMIT_AS`` (:data:`MEMORY_BYTES`), reads the
statement, matches its descriptions against the rules, and answers on stdout in JSON (never pickle:
the child handles hostile bytes and is not trusted with the parent's objects). The parent waits with
a wall-clock limit (:data:`WALL_SECONDS`) and kills the child when asked to cancel.

Errors are ValidationError (the file's own problem, or a limit reached) or ImportCancelled.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from ..errors import BudgetError, ValidationError
from . import CsvMapping, Statement, StatementRow
from .profiles import BankProfile
from .rules import RuleMatches
from .source import Source, check_size

CPU_SECONDS = 60  # a real 16 MB OFX statement takes about 8 s of CPU here
MEMORY_BYTES = 1536 * 2**20  # and about 300 MB
WALL_SECONDS = 120.0


class ImportCancelled(BudgetError):
    """The person cancelled the reading of a file; nothing was read or written."""

    def __init__(self) -> None:
        super().__init__("Cancelled: the file was not read and nothing was imported.")


def read_and_match(
    file_name: str,
    source: Source,
    currency: str,
    profiles: Sequence[BankProfile],
    *,
    profile: str | None,
    date_format: str | None,
    account: str | None,
    rules: Sequence[tuple[str, bool]],
    cancel: threading.Event | None = None,
    cpu_seconds: int = CPU_SECONDS,
    memory_bytes: int = MEMORY_BYTES,
) -> tuple[Statement, RuleMatches]:
    """The statement of ``source`` and the rules' verdicts on its descriptions, worked out in a child
    process under the limits; ValidationError for a file that cannot be read or hits a limit."""
    check_size(source)
    data = source if isinstance(source, (bytes, bytearray)) else Path(source).read_bytes()
    request = {
        "file_name": file_name,
        "currency": currency,
        "profiles": [{"name": p.name, "mapping": p.mapping.as_json()} for p in profiles],
        "profile": profile,
        "date_format": date_format,
        "account": account,
        "rules": [list(r) for r in rules],
        "size": len(data),
        "cpu_seconds": int(cpu_seconds),
        "memory_bytes": int(memory_bytes),
    }
    head = json.dumps(request).encode() + b"\n"
    proc = _take_child()
    result: dict = {}

    def talk() -> None:
        try:
            out, _ = proc.communicate(head + bytes(data))
            result["out"] = out
        except (OSError, ValueError):  # killed while talking
            result["out"] = b""

    talker = threading.Thread(target=talk, name="import-sandbox", daemon=True)
    talker.start()
    deadline = time.monotonic() + WALL_SECONDS
    while talker.is_alive():
        talker.join(0.1)
        if cancel is not None and cancel.is_set():
            proc.kill()
            talker.join()
            raise ImportCancelled()
        if time.monotonic() > deadline:
            proc.kill()
            talker.join()
            raise _too_slow(file_name)
    return _answer(file_name, proc.returncode, result.get("out", b""))


_spare: subprocess.Popen | None = None
_spare_lock = threading.Lock()


def _spawn() -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "budget_core.importers.sandbox"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env={k: v for k, v in os.environ.items() if not k.startswith("BUDGET_")},  # no database, no secrets
    )


def _take_child() -> subprocess.Popen:
    """A child ready for one file: the spare one started after the previous file (its imports are
    done, which saves most of a second), else a new one; a new spare is started for the next file.
    Each child reads one file and exits."""
    global _spare
    with _spare_lock:
        child = _spare if _spare is not None and _spare.poll() is None else _spawn()
        _spare = _spawn()
    return child


def _too_slow(file_name: str) -> ValidationError:
    return ValidationError(
        f"Reading {file_name} took too long, so it was stopped; it is not a bank statement we can read. "
        "Download a shorter date range, or export CSV instead."
    )


def _answer(file_name: str, returncode: int, out: bytes) -> tuple[Statement, RuleMatches]:
    try:
        answer = json.loads(out) if out else None
    except ValueError:
        answer = None
    if not isinstance(answer, dict):  # killed by a limit (SIGXCPU / MemoryError) or crashed
        if returncode in (-9, -24, 152, 137):  # SIGKILL / SIGXCPU
            raise _too_slow(file_name)
        raise ValidationError(
            f"Reading {file_name} needed more memory or time than a bank statement can, so it was stopped. "
            "Download a shorter date range, or export CSV instead."
        )
    if answer.get("refused"):
        raise ValidationError(str(answer["refused"]))
    return _statement_from_json(answer["statement"]), RuleMatches(
        tuple((p, bool(x)) for p, x in answer["order"]), dict(answer["first"])
    )


def _statement_to_json(s: Statement) -> dict:
    return {
        "file_name": s.file_name,
        "format": s.format,
        "currency": s.currency,
        "mapping": s.mapping.as_json() if s.mapping else None,
        "encoding": s.encoding,
        "skipped_lines": list(s.skipped_lines),
        "rows": [
            [r.line, r.occurred_on.isoformat(), r.amount, r.description, r.import_id, r.content_key, r.account]
            for r in s.rows
        ],
    }


def _statement_from_json(d: dict) -> Statement:
    rows = [
        StatementRow(int(line), date.fromisoformat(on), int(amount), str(desc), str(iid), str(key), str(acct))
        for line, on, amount, desc, iid, key, acct in d["rows"]
    ]
    return Statement(
        str(d["file_name"]),
        str(d["format"]),
        rows,
        d.get("currency"),
        CsvMapping.from_json(d["mapping"]) if d.get("mapping") else None,
        d.get("encoding"),
        tuple(int(x) for x in d.get("skipped_lines", ())),
    )


def _limit(cpu_seconds: int, memory_bytes: int) -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def _child() -> None:
    """The child's side: import the readers (a spare child waits here, ready), read the request, set
    the limits, read the file from stdin, answer on stdout. An empty request (the parent went away
    while this was a spare) ends it."""
    from .rules import match_descriptions
    from .service import ImportOptions, read_statement

    stdin = sys.stdin.buffer
    line = stdin.readline()
    if not line.strip():
        return
    request = json.loads(line)
    _limit(int(request["cpu_seconds"]), int(request["memory_bytes"]))
    data = stdin.read(int(request["size"]))

    try:
        statement = read_statement(
            request["file_name"],
            data,
            request["currency"],
            [_profile(p) for p in request["profiles"]],
            ImportOptions(profile=request["profile"], date_format=request["date_format"], account=request["account"]),
        )
        matches = match_descriptions(
            [(p, bool(x)) for p, x in request["rules"]], (r.description for r in statement.rows)
        )
        answer: dict = {
            "statement": _statement_to_json(statement),
            "order": [list(o) for o in matches.order],
            "first": matches.first,
        }
    except ValidationError as err:
        answer = {"refused": err.message}
    except MemoryError:
        answer = {"refused": f"Reading {request['file_name']} needed more memory than a bank statement can."}
    sys.stdout.buffer.write(json.dumps(answer).encode())
    sys.stdout.buffer.flush()


def _profile(data: dict) -> BankProfile:
    return BankProfile(0, str(data["name"]), CsvMapping.from_json(data["mapping"]))


if __name__ == "__main__":
    _child()
