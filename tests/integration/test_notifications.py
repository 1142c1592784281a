"""E-mail and push notifications: queued with the change, sent behind circuit breakers."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text

from budget_core import config
from budget_core.ops import notifications
from budget_core.ops.reliability import CircuitBreaker
from budget_core.services import families, invitations
from budget_core.services import transactions as tx
from budget_core.services.access import open_family


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
        return "250 OK"


@pytest.fixture
def fast_breakers(monkeypatch):
    breakers = {
        "email": CircuitBreaker("e-mail (SMTP)", failure_threshold=3, reset_s=0.3),
        "push": CircuitBreaker("push notifications", failure_threshold=3, reset_s=0.3),
    }
    monkeypatch.setattr(notifications, "BREAKERS", breakers)
    return breakers


def _make_due(owner):
    with owner.begin() as conn:
        conn.execute(text("UPDATE notifications SET next_attempt_at = now() WHERE status = 'queued'"))


def test_smtp_down_opens_the_breaker_the_invitation_still_works_and_mail_goes_out_once_back(
    home, monkeypatch, fast_breakers
):
    port = free_port()
    monkeypatch.setenv("BUDGET_SMTP_URL", f"smtp://127.0.0.1:{port}")
    config.reset_settings()
    made = invitations.create_invitation(
        open_family(home.engine, home.mom.id, home.family.id), email="gran@example.com"
    )
    assert made.token in made.url  # the link to copy exists whatever the mail server does

    for _ in range(3):
        result = notifications.dispatch_due(home.owner)
        assert result.retried == 1
        _make_due(home.owner)
    assert fast_breakers["email"].state == "open"
    assert notifications.dispatch_due(home.owner).waiting_on_open_breaker == 1

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        import time

        time.sleep(0.35)  # the breaker lets a probe through after reset_s
        assert notifications.dispatch_due(home.owner).sent == 1
        assert notifications.dispatch_due(home.owner).sent == 0  # sent once, not again
    finally:
        controller.stop()
    assert fast_breakers["email"].state == "closed"
    assert len(inbox.messages) == 1
    recipients, content = inbox.messages[0]
    assert recipients == ["gran@example.com"] and made.url in content.replace("=\n", "")
    with home.owner.connect() as conn:
        body = conn.execute(text("SELECT body FROM notifications WHERE channel = 'email'")).scalar()
    assert body == ""  # the link does not stay in the database once sent


def test_a_big_expense_and_going_over_the_allowance_are_pushed(home, monkeypatch, fast_breakers):
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append((self.headers["Title"], self.rfile.read(int(self.headers["Content-Length"])).decode()))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("BUDGET_PUSH_URL", f"http://127.0.0.1:{server.server_port}/smiths")
    config.reset_settings()
    try:
        families.update_plan(open_family(home.engine, home.mom.id, home.family.id), big_expense_threshold=20000)
        tx.add_transaction(
            open_family(home.engine, home.dad.id, home.family.id), tx.TransactionDraft(400000, "New TV", "Fun")
        )
        assert notifications.dispatch_due(home.owner).sent == 2
    finally:
        server.shutdown()
    titles = sorted(t for t, _ in received)
    assert titles == ["Big expense", "Over today's allowance"]
    assert any("Dad spent $4,000.00 on New TV" in body for _, body in received)


def test_without_configuration_nothing_is_queued(home):
    invitations.create_invitation(open_family(home.engine, home.mom.id, home.family.id), email="x@example.com")
    with home.owner.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM notifications")).scalar() == 0
