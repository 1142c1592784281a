"""Transactions page pieces: filters, the table, and editing with conflict resolution.

Editing remembers the ``row_version`` the person saw when they opened the row (not the one
stored now), so a change someone else made in between is detected by the service as a
``Conflict`` and shown side by side — nothing is overwritten silently. "Keep mine" re-submits
the person's version against the new ``row_version``; "Take theirs" drops it.
"""

from __future__ import annotations

from datetime import date

import streamlit as st

from budget_core.domain.money import decimal_string, parse_amount
from budget_core.errors import BudgetError, Conflict
from budget_core.services import categories, members, transactions
from budget_core.services.categories import Category
from budget_core.services.transactions import EditConflict, Transaction, TransactionChanges, TransactionFilter

from .errors import DB_DOWN, show_error
from .format import KIND_LABELS, inert, money, money_html, short_date
from .keys import FLASH
from .tx_labels import category_text
from .widgets import table

EDITING = "tx_editing"  # the Transaction as the person saw it when opening it
CONFLICT = "tx_conflict"  # an EditConflict
PICK_GEN = "tx_pick_gen"  # rotating the picker's key closes the editor


def filters(ctx) -> TransactionFilter:
    """Draw search and filters; return the filter they describe."""
    people = members.list_members(ctx.access)
    cats = categories.list_categories(ctx.access, include_archived=True)
    text = st.text_input("Search", placeholder="Description or category", key="tx_search", label_visibility="collapsed")
    with st.expander("Filters", icon=":material/filter_list:"):
        c1, c2, c3 = st.columns(3)
        member = c1.selectbox(
            "Member",
            [None] + [p.user_id for p in people],
            key="tx_member",
            format_func=lambda i: "Everyone" if i is None else next(p.display_name for p in people if p.user_id == i),
        )
        category = c2.selectbox(
            "Category",
            [None] + [c.id for c in cats],
            key="tx_category",
            format_func=lambda i: "All categories" if i is None else next(c.label for c in cats if c.id == i),
        )
        kind = c3.selectbox(
            "Kind",
            [None, "variable", "fixed", "savings", "income"],
            key="tx_kind",
            format_func=lambda k: "All kinds" if k is None else KIND_LABELS[k],
        )
        d1, d2 = st.columns(2)
        date_from = d1.date_input("From", value=None, key="tx_from", format="YYYY-MM-DD")
        date_to = d2.date_input("To", value=None, key="tx_to", format="YYYY-MM-DD")
    return TransactionFilter(
        date_from=date_from,
        date_to=date_to,
        member_id=member,
        category_id=category,
        kind=kind,
        text=text or None,
        limit=300,
    )


def transactions_table(rows: list[Transaction], today: date) -> None:
    if not rows:
        st.info("No transactions match. Add one with the form in the sidebar.")
        return
    cells = []
    for t in rows:
        what = (
            f"{inert(t.description)}<br><span class='fb-muted'>{inert(category_text(t))} · "
            f"{inert(t.member)}{' · refund' if t.is_refund else ''}</span>"
        )
        cells.append(
            [
                inert(short_date(t.occurred_on, today)),
                what,
                money_html(t.amount if t.kind != "income" else t.amount, t.currency),
            ]
        )
    table(["Date", "What", "Amount"], cells, numeric=(2,), test_id="fb-transactions")
    if len(rows) >= 300:
        st.caption("Showing the newest 300; narrow the filters to see older ones.")


def _label(t: Transaction, today: date) -> str:
    return f"{short_date(t.occurred_on, today)} · {t.description} · {money(t.amount, t.currency)} · {t.member}"


def _close_editor() -> None:
    st.session_state.pop(EDITING, None)
    st.session_state.pop(CONFLICT, None)
    st.session_state[PICK_GEN] = st.session_state.get(PICK_GEN, 0) + 1


def _edit_form(ctx, tx: Transaction, cats: list[Category]) -> TransactionChanges | None:
    """The edit form for ``tx`` as it was seen; returns the changes when saved."""
    usable = [c for c in cats if not c.archived or c.id == tx.category_id]
    ids = [c.id for c in usable]
    by_id = {c.id: c for c in usable}
    with st.form(f"edit_{tx.id}_{tx.row_version}", enter_to_submit=False):
        c1, c2 = st.columns(2)
        amount = c1.text_input(
            "Amount", value=decimal_string(abs(tx.amount), tx.currency), key=f"ed_amt_{tx.id}_{tx.row_version}"
        )
        occurred_on = c2.date_input(
            "Date", value=tx.occurred_on, key=f"ed_date_{tx.id}_{tx.row_version}", format="YYYY-MM-DD"
        )
        description = st.text_input("Description", value=tx.description, key=f"ed_desc_{tx.id}_{tx.row_version}")
        category = st.selectbox(
            "Category",
            ids,
            index=ids.index(tx.category_id) if tx.category_id in ids else 0,
            format_func=lambda i: by_id[i].label,
            key=f"ed_cat_{tx.id}_{tx.row_version}",
        )
        refund = st.checkbox("Money back (refund)", value=tx.is_refund, key=f"ed_refund_{tx.id}_{tx.row_version}")
        saved = st.form_submit_button("Save changes", type="primary")
    if not saved:
        return None
    return TransactionChanges(parse_amount(amount, tx.currency), description, category, occurred_on, refund)


def _run(action, on_conflict_mine: TransactionChanges | None, tx_id: int, done: str, slot) -> None:
    """Run a write; on success close the editor with a confirmation, on Conflict remember both sides."""
    try:
        action()
    except Conflict as err:
        st.session_state[CONFLICT] = EditConflict.from_error(tx_id, on_conflict_mine, err)
        st.rerun()
    except (BudgetError, *DB_DOWN) as err:
        show_error(err, slot)
        return
    _close_editor()
    st.session_state[FLASH] = done
    st.rerun()


def editor(ctx, rows: list[Transaction]) -> None:
    """Pick a transaction to edit or delete; resolve a conflict if the last try hit one."""
    cats = categories.list_categories(ctx.access, include_archived=True)
    conflict: EditConflict | None = st.session_state.get(CONFLICT)
    if conflict is not None:
        conflict_panel(ctx, conflict, {c.id: c for c in cats})
        return
    editing: Transaction | None = st.session_state.get(EDITING)
    if editing is None:
        # Once opened, the editor no longer depends on this picker: a change someone else makes
        # meanwhile reruns the page, and must neither close the form nor lose what was typed.
        by_id = {t.id: t for t in rows}
        pick = st.selectbox(
            "Edit or delete",
            list(by_id),
            index=None,
            placeholder="Choose a transaction…",
            format_func=lambda i: _label(by_id[i], ctx.today),
            key=f"tx_pick_{st.session_state.get(PICK_GEN, 0)}",
        )
        if pick is None:
            return
        editing = by_id[pick]
        st.session_state[EDITING] = editing
    st.markdown(f"**Editing** {inert(_label(editing, ctx.today))}")
    slot = st.container()
    try:
        changes = _edit_form(ctx, editing, cats)
    except BudgetError as err:  # an amount that cannot be read: the form keeps what was typed
        show_error(err, slot)
        changes = None
    if changes is not None:
        _run(
            lambda: transactions.edit_transaction(ctx.access, editing.id, editing.row_version, changes),
            changes,
            editing.id,
            f"Saved your changes to {editing.description}",
            slot,
        )
    c1, c2 = st.columns(2)
    if c1.button("Delete this transaction", key=f"del_{editing.id}", icon=":material/delete:"):
        _run(
            lambda: transactions.delete_transaction(ctx.access, editing.id, editing.row_version),
            None,
            editing.id,
            f"Deleted {editing.description}",
            slot,
        )
    if c2.button("Close", key=f"close_{editing.id}"):
        _close_editor()
        st.rerun()


def _side(
    title: str,
    amount: int | None,
    currency: str,
    description: str,
    category: str,
    day: date | None,
    refund: bool,
    test_id: str,
) -> None:
    st.markdown(f"**{inert(title)}**")
    if amount is None:
        st.markdown(f'<p data-testid="{test_id}">{inert(description)}</p>', unsafe_allow_html=True)
        return
    rows = [
        ["Amount", money_html(-amount if refund else amount, currency)],
        ["Description", inert(description)],
        ["Category", inert(category)],
        ["Date", inert(day.isoformat() if day else "")],
    ]
    table(["", ""], rows, numeric=(1,), test_id=test_id)


def conflict_panel(ctx, c: EditConflict, cats: dict[int, Category]) -> None:
    """Both versions side by side, and the choice between them."""
    st.warning(inert(c.message), icon=":material/sync_problem:")
    left, right = st.columns(2)
    with left:
        if c.mine is None:
            _side("Yours", None, ctx.currency, "Delete this transaction", "", None, False, "fb-mine")
        else:
            cat = cats.get(c.mine.category) if isinstance(c.mine.category, int) else None
            _side(
                "Yours",
                c.mine.amount,
                ctx.currency,
                c.mine.description,
                cat.label if cat else str(c.mine.category),
                c.mine.occurred_on,
                c.mine.refund,
                "fb-mine",
            )
    with right:
        if c.theirs is None:
            _side("Theirs (now stored)", None, ctx.currency, "Deleted by someone else", "", None, False, "fb-theirs")
        else:
            t = c.theirs
            _side(
                f"Theirs ({t.member}, now stored)",
                abs(t.amount),
                t.currency,
                t.description,
                t.category,
                t.occurred_on,
                t.is_refund,
                "fb-theirs",
            )
    slot = st.container()
    b1, b2 = st.columns(2)
    if b1.button("Keep mine", type="primary", key="keep_mine"):
        st.session_state.pop(CONFLICT, None)
        _run(lambda: transactions.keep_mine(ctx.access, c), c.mine, c.tx_id, "Kept your version", slot)
    if b2.button("Take theirs", key="take_theirs"):
        _close_editor()
        st.session_state[FLASH] = "Kept the stored version"
        st.rerun()
