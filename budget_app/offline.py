"""Entries kept on this server while the database is unreachable: pending and failed, in the sidebar.

An expense submitted while the database cannot be reached goes to the durable outbox
(``budget_core.ops.outbox``); a background deliverer sends it with backoff when the database is
back. Here the author sees their own pending entries, and those the database refused (with the
reason) to discard or send again.
"""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine

from budget_core.ops.outbox import Outbox, OutboxEntry, get_deliverer
from budget_core.services.transactions import TransactionDraft

from .format import md_escape, money


def keep_for_later(engine: Engine, user_id: int, family_id: int, draft: TransactionDraft) -> OutboxEntry:
    """Durably keep ``draft`` (fsync'd before this returns) and wake the deliverer."""
    entry = Outbox().enqueue(family_id, {
        "amount": draft.amount, "description": draft.description, "category": draft.category,
        "occurred_on": draft.occurred_on.isoformat() if draft.occurred_on else None, "refund": draft.refund,
    }, user_id=user_id, client_id=str(draft.client_id))
    get_deliverer(engine).poke()
    return entry


def _mine(user_id: int, family_id: int) -> tuple[list[OutboxEntry], list[OutboxEntry]]:
    state = Outbox().state()
    own = [e for e in state.entries if e.user_id == user_id and e.family_id == family_id]
    return [e for e in own if e.status == "pending"], [e for e in own if e.status == "failed"]


def outbox_panel(engine: Engine, user_id: int, family_id: int, currency: str, categories=()) -> None:
    """The sidebar's list of this member's undelivered entries (nothing when there are none).
    A refused entry can be sent again, with another category when that was the problem."""
    deliverer = get_deliverer(engine)  # started once per process; delivers whatever is pending
    pending, failed = _mine(user_id, family_id)
    if pending:
        deliverer.poke()  # this page ran, so the database answers again: deliver now, not after backoff
    if not pending and not failed:
        return
    box = st.container(border=True)
    if pending:
        box.markdown(f"**Waiting to be saved** ({len(pending)})")
        for e in pending:
            box.caption(f":material/schedule: {md_escape(e.description)} · "
                        f"{md_escape(money(e.draft.get('amount', 0), currency))} — pending, kept on this device")
    for e in failed:
        box.markdown(f":material/error: **Not saved:** {md_escape(e.description)} · "
                     f"{md_escape(money(e.draft.get('amount', 0), currency))}")
        box.caption(md_escape(e.reason or "refused"))
        draft = dict(e.draft)
        ids = [c.id for c in categories]
        if ids:
            labels = {c.id: c.label for c in categories}
            current = draft.get("category")
            draft["category"] = box.selectbox("Category", ids, index=ids.index(current) if current in ids else 0,
                                              format_func=labels.get, key=f"fix_cat_{e.client_id}")
        left, right = box.columns(2)
        if left.button("Send again", key=f"resend_{e.client_id}"):
            Outbox().resend(e, draft)
            get_deliverer(engine).poke()
            st.rerun()
        if right.button("Discard", key=f"discard_{e.client_id}"):
            Outbox().discard(e.client_id)
            st.rerun()
