"""Entries kept on this server while the database is unreachable: pending and failed, in the sidebar.

An expense submitted while the database cannot be reached goes to the durable outbox
(``budget_core.ops.outbox``); a background deliverer sends it with backoff when the database is
back. Here the author sees their own pending entries, and those the database refused (with the
reason) to discard or send again.
"""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from budget_core.errors import ValidationError
from budget_core.ops.outbox import Outbox, OutboxEntry, get_deliverer
from budget_core.services.access import FamilyAccess
from budget_core.services.transactions import TransactionDraft

from .format import inert, money


def keep_for_later(access: FamilyAccess, draft: TransactionDraft) -> OutboxEntry:
    """Durably keep ``draft`` (fsync'd before this returns) and wake the deliverer."""
    entry = Outbox().enqueue(
        access.family_id, draft.as_json(access.currency), user_id=access.user_id, client_id=str(draft.client_id)
    )
    get_deliverer(access.engine).poke()
    return entry


def _amount(entry: OutboxEntry, currency: str, locale: str) -> str:
    try:
        return money(TransactionDraft.from_json(entry.draft, currency).amount, currency, locale)
    except ValidationError:
        return str(entry.draft.get("amount", ""))  # shown as typed; delivery will say what is wrong


def _mine(user_id: int, family_id: int) -> tuple[list[OutboxEntry], list[OutboxEntry]]:
    state = Outbox().state()
    own = [e for e in state.entries if e.user_id == user_id and e.family_id == family_id]
    return [e for e in own if e.status == "pending"], [e for e in own if e.status == "failed"]


def outbox_panel(access: FamilyAccess, categories=()) -> None:
    """The sidebar's list of this member's undelivered entries (nothing when there are none).
    A refused entry can be sent again, with another category when that was the problem."""
    deliverer = get_deliverer(access.engine)  # started once per process; delivers whatever is pending
    pending, failed = _mine(access.user_id, access.family_id)
    if pending:
        deliverer.poke()  # this page ran, so the database answers again: deliver now, not after backoff
    if pending or failed:
        _panel(access, tuple(categories))


@st.fragment(run_every=timedelta(seconds=2))
def _panel(access: FamilyAccess, categories: tuple = ()) -> None:
    """The list itself, a fragment that reads the outbox again every 2 s: a delivery wakes only the
    page's figures (``budget_app.wake``), so without this the sidebar would say "Waiting to be saved"
    about an entry everyone already sees, until the next full run."""
    deliverer = get_deliverer(access.engine)
    pending, failed = _mine(access.user_id, access.family_id)
    currency, locale = access.currency, access.family.locale()
    if not pending and not failed:
        return
    box = st.container(border=True)
    if pending:
        box.markdown(f"**Waiting to be saved** ({len(pending)})")
        for e in pending:
            box.caption(
                f":material/schedule: {inert(e.description)} · "
                f"{inert(_amount(e, currency, locale))} — pending, kept on this device"
            )
    for e in failed:
        box.markdown(f":material/error: **Not saved:** {inert(e.description)} · {inert(_amount(e, currency, locale))}")
        box.caption(inert(e.reason or "refused"))
        draft = dict(e.draft)
        ids = [c.id for c in categories]
        if ids:
            labels = {c.id: c.label for c in categories}
            current = draft.get("category")
            draft["category"] = box.selectbox(
                "Category",
                ids,
                index=ids.index(current) if current in ids else 0,
                format_func=labels.__getitem__,
                key=f"fix_cat_{e.client_id}",
            )
        left, right = box.columns(2)
        if left.button("Send again", key=f"resend_{e.client_id}"):
            Outbox().resend(e, draft)
            deliverer.poke()
            st.rerun()
        if right.button("Discard", key=f"discard_{e.client_id}"):
            Outbox().discard(e.client_id)
            st.rerun()
