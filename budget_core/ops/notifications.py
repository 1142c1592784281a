"""Invitation e-mails and push notifications, through a durable queue and circuit breakers.

A change that should tell someone (an invitation with an e-mail address, a big expense, going
over today's allowance, a new member) inserts a row into ``notifications`` in the same
transaction as the change, so nothing is dropped. A ``Dispatcher`` thread claims due rows
(``FOR UPDATE SKIP LOCKED``, so several processes can run one) and sends them: e-mail over SMTP
(``BUDGET_SMTP_URL``), push as an HTTP POST to an ntfy-compatible endpoint
(``BUDGET_PUSH_URL``). Each channel has a circuit breaker; a failed send is retried with
full-jitter backoff up to ``MAX_ATTEMPTS`` times, then marked failed. While a breaker is open the
channel's rows simply wait. An e-mail's body holds the invitation link, so it is blanked once
sent. E-mails about an account rather than a family (a password reset link) wait in their own
queue, ``account_mail``, and are sent the same way.
"""

from __future__ import annotations

import logging
import smtplib
import threading
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlparse

from sqlalchemy import Connection, Engine, text

from ..config import settings
from ..db.scope import unfiltered
from .reliability import BreakerOpen, CircuitBreaker, backoff_delay

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8
BREAKERS = {
    "email": CircuitBreaker("e-mail (SMTP)", failure_threshold=3, reset_s=20),
    "push": CircuitBreaker("push notifications", failure_threshold=3, reset_s=20),
}


def channel_configured(channel: str) -> bool:
    cfg = settings()
    return bool(cfg.smtp_url if channel == "email" else cfg.push_url)


def enqueue(
    conn: Connection, family_id: int, channel: str, kind: str, subject: str, body: str, recipient: str | None = None
) -> None:
    """Queue a notification inside the caller's transaction (it commits or rolls back with the change)."""
    if not channel_configured(channel):
        return
    conn.execute(
        text(
            "INSERT INTO notifications (family_id, channel, kind, recipient, subject, body) "
            "VALUES (:f, :c, :k, :r, :s, :b)"
        ),
        {"f": family_id, "c": channel, "k": kind, "r": recipient, "s": subject, "b": body},
    )


def send_email(recipient: str, subject: str, body: str) -> None:
    cfg = settings()
    url = urlparse(cfg.smtp_url or "")
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = cfg.mail_from, recipient, subject
    message.set_content(body)
    cls = smtplib.SMTP_SSL if url.scheme == "smtps" else smtplib.SMTP
    with cls(url.hostname or "", url.port or (465 if url.scheme == "smtps" else 25), timeout=10) as smtp:
        if parse_qs(url.query).get("starttls") == ["1"]:
            smtp.starttls()
        if url.username:
            smtp.login(unquote(url.username), unquote(url.password or ""))
        smtp.send_message(message)


def send_account_notice(recipient: str, subject: str, body: str) -> bool:
    """E-mail a notice about an account (not about a family), e.g. "someone tried to sign up with
    your address", on a background thread through the e-mail breaker; False when e-mail is not set
    up. Best effort, unlike family notifications: the notice is a courtesy and holds nothing to keep."""
    if not channel_configured("email"):
        return False

    def send() -> None:
        try:
            BREAKERS["email"].call(send_email, recipient, subject, body)
        except (BreakerOpen, OSError, smtplib.SMTPException) as exc:
            log.warning("account notice not sent (%s)", type(exc).__name__)

    threading.Thread(target=send, name="account-notice", daemon=True).start()
    return True


def send_push(subject: str, body: str) -> None:
    request = urllib.request.Request(
        settings().push_url or "",
        data=body.encode(),
        method="POST",
        headers={"Title": subject.encode("ascii", "replace").decode(), "Content-Type": "text/plain; charset=utf-8"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        if response.status >= 300:
            raise OSError(f"push endpoint answered HTTP {response.status}")


@dataclass
class DispatchResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    waiting_on_open_breaker: int = 0


# The two queues: a family's notifications (scoped to it) and e-mails about an account (a password
# reset link, asked for before anyone knows which family); each row is sent and marked the same way.
_QUEUES = {
    "notifications": (
        "SELECT family_id, id, channel, recipient, subject, body, attempts FROM notifications ",
        "family_id = :f AND id = :i",
    ),
    "account_mail": (
        "SELECT NULL AS family_id, id, 'email' AS channel, recipient, subject, body, attempts FROM account_mail ",
        "id = :i",
    ),
}


def dispatch_due(engine: Engine, *, limit: int = 50) -> DispatchResult:
    """Send every due notification and account e-mail once (the dispatcher's one step)."""
    result = DispatchResult()
    with engine.connect() as conn, conn.begin():
        unfiltered(conn)  # every family's queue: the owner's engine, never a silently filtered one
        for table, (select, key) in _QUEUES.items():
            rows = conn.execute(
                text(
                    select + "WHERE status = 'queued' AND next_attempt_at <= now() ORDER BY next_attempt_at "
                    "LIMIT :l FOR UPDATE SKIP LOCKED"
                ),
                {"l": limit},
            ).all()
            for row in rows:
                _send_one(conn, table, key, row, result)
    return result


def _send_one(conn: Connection, table: str, key: str, row, result: DispatchResult) -> None:
    breaker = BREAKERS[row.channel]
    where = {"f": row.family_id, "i": row.id}
    try:
        if row.channel == "email":
            breaker.call(send_email, row.recipient, row.subject, row.body)
        else:
            breaker.call(send_push, row.subject, row.body)
    except BreakerOpen:
        result.waiting_on_open_breaker += 1
        return
    except (OSError, smtplib.SMTPException) as exc:
        attempts = row.attempts + 1
        gave_up = attempts >= MAX_ATTEMPTS
        conn.execute(
            text(
                f"UPDATE {table} SET attempts = :a, last_error = :e, "
                "status = CASE WHEN :g THEN 'failed' ELSE 'queued' END, "
                f"next_attempt_at = now() + make_interval(secs => :d) WHERE {key}"
            ),
            {
                "a": attempts,
                "e": f"{type(exc).__name__}: {exc}"[:300],
                "g": gave_up,
                "d": backoff_delay(attempts, base_s=2.0, cap_s=600.0),
                **where,
            },
        )
        result.failed += gave_up
        result.retried += not gave_up
        return
    conn.execute(
        text(
            f"UPDATE {table} SET status = 'sent', sent_at = now(), attempts = attempts + 1, "
            f"body = CASE WHEN :email THEN '' ELSE body END WHERE {key}"
        ),
        {"email": row.channel == "email", **where},
    )
    result.sent += 1


def enqueue_account_mail(conn: Connection, kind: str, recipient: str, subject: str, body: str) -> None:
    """Queue an e-mail about an account (not a family) inside the caller's transaction."""
    conn.execute(
        text("INSERT INTO account_mail (kind, recipient, subject, body) VALUES (:k, :r, :s, :b)"),
        {"k": kind, "r": recipient, "s": subject, "b": body},
    )


def queue_depth(engine: Engine) -> dict:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT channel, status, n FROM notification_queue_depth()")).all()
    depth = {"email": {"queued": 0, "failed": 0}, "push": {"queued": 0, "failed": 0}}
    for channel, status, count in rows:
        depth[channel][status] = count
    return depth


class Dispatcher:
    """A background thread that sends due notifications every ``interval_s`` seconds."""

    def __init__(self, engine: Engine, interval_s: float = 2.0):
        self.engine, self.interval_s = engine, interval_s
        self.last: DispatchResult | None = None
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="notification-dispatcher", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from sqlalchemy.exc import DBAPIError

        while not self._stop.wait(self.interval_s):
            try:
                self.last = dispatch_due(self.engine)
                self.last_error = None
            except DBAPIError as exc:  # the database is down: the outbox and health say so
                self.last_error = type(exc).__name__

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


_dispatchers: dict[str, Dispatcher] = {}
_lock = threading.Lock()


def get_dispatcher(engine: Engine) -> Dispatcher | None:
    """The process's dispatcher, started only when a channel is configured."""
    if not (channel_configured("email") or channel_configured("push")):
        return None
    key = str(engine.url)
    with _lock:
        if key not in _dispatchers:
            _dispatchers[key] = Dispatcher(engine)
        return _dispatchers[key]
