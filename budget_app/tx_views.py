"""Transactions page pieces: search and filters, the table with its total and download, editing
(opened from the table itself), and conflicts resolved field by field.

Editing remembers the transaction as the person saw it when they opened it (not as stored now),
so a change someone else made in between is detected by the service as a ``Conflict`` and shown
side by side, naming who made it — nothing is overwritten silently. The rules for keeping both
changes, keeping mine or taking theirs are ``budget_core.services.conflicts``.
"""

from __future__ import annotations

from functools import partial

import streamlit as st

from budget_core.analytics import export
from budget_core.domain.money import parse_amount
from budget_core.errors import BudgetError, Conflict
from budget_core.services import categories, conflicts, members, transactions
from budget_core.services.categories import Category
from budget_core.services.conflicts import EditConflict
from budget_core.services.transactions import Transaction, TransactionChanges, TransactionFilter

from . import browser, undo
from .errors import DB_DOWN, show_error
from .format import KIND_LABELS, Fmt, html_escape, inert, md_escape
from .insights_views import checked_download
from .keys import FLASH
from .tx_labels import category_text
from .widgets import table

EDITING = "tx_editing"  # the Transaction as the person saw it when opening it
CONFLICT = "tx_conflict"  # an EditConflict
CONFIRM = "tx_confirm"  # (tx id, TransactionChanges) above the monthly income, waiting for a yes
PICK_GEN = "tx_pick_gen"  # rotating the picker's key closes the editor
LIMIT = 300


def filters(ctx) -> TransactionFilter:
    """Draw search and filters; return the filter they describe."""
    people = members.list_members(ctx.access)
    cats = categories.list_categories(ctx.access, include_archived=True)
    text = st.text_input(
        "Search",
        placeholder="Description, category or amount (5.75, 15)",
        key="tx_search",
        label_visibility="collapsed",
    )
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
        date_from = d1.date_input("From", value=None, key="tx_from", format=ctx.fmt.date_input)
        date_to = d2.date_input("To", value=None, key="tx_to", format=ctx.fmt.date_input)
    return TransactionFilter(
        date_from=date_from,
        date_to=date_to,
        member_id=member,
        category_id=category,
        kind=kind,
        text=text or None,
        limit=LIMIT,
    )


def transactions_table(ctx, rows: list[Transaction], wanted: TransactionFilter) -> None:
    """The rows found, newest first, each opening for editing from its description; the total of
    everything the search found underneath, and a CSV of exactly those rows."""
    fmt: Fmt = ctx.fmt
    if not rows:
        st.info("No transactions match. Add one with the form in the sidebar.")
        return
    found = transactions.filter_totals(ctx.access, wanted)
    cells = []
    for t in rows:
        what = (
            f'<button type="button" class="fb-edit" data-fb-edit="{t.id}" title="Edit or delete">'
            f"{html_escape(t.description)}</button><br><span class='fb-muted'>{html_escape(category_text(t, fmt.locale))} · "
            f"{html_escape(t.member)}{' · refund' if t.is_refund else ''}</span>"
        )
        cells.append([html_escape(fmt.day(t.occurred_on, ctx.today)), what, fmt.money_html(t.amount)])
    words = f"{found.count} {'transaction' if found.count == 1 else 'transactions'}"
    if found.income:
        words += f" · income {html_escape(fmt.money(found.income))}"
    footer = ["", f'<span data-testid="fb-tx-count">{words}</span>', fmt.money_html(found.spent, test_id="fb-tx-total")]
    table(["Date", "What", "Amount"], cells, numeric=(2,), test_id="fb-transactions", footer=footer)
    if found.count > len(rows):
        st.caption(f"Showing the newest {len(rows)} of {found.count}; the total and the download cover all of them.")
    checked_download(
        st,
        "tx_csv",
        f"these {found.count} as CSV",
        (ctx.access.user_id, ctx.family.id, ctx.family.version, wanted),
        partial(export.found_bytes, ctx.access, wanted),
        export.file_name(ctx.family.name, "csv", wanted.date_from, wanted.date_to),
        export.MEDIA_TYPES["csv"],
    )


def _label(t: Transaction, fmt: Fmt, today) -> str:
    return f"{fmt.day(t.occurred_on, today)} · {t.description} · {fmt.money(t.amount)} · {t.member}"


def _close_editor() -> None:
    st.session_state.pop(EDITING, None)
    st.session_state.pop(CONFLICT, None)
    st.session_state.pop(CONFIRM, None)
    st.session_state[PICK_GEN] = st.session_state.get(PICK_GEN, 0) + 1


def _edit_form(ctx, tx: Transaction, cats: list[Category]) -> TransactionChanges | None:
    """The edit form for ``tx`` as it was seen; returns the changes when saved."""
    usable = [c for c in cats if not c.archived or c.id == tx.category_id]
    ids = [c.id for c in usable]
    by_id = {c.id: c for c in usable}
    key = f"{tx.id}_{tx.row_version}"
    with st.form(f"edit_{key}", enter_to_submit=False):
        c1, c2 = st.columns(2)
        amount = c1.text_input("Amount", value=ctx.fmt.typed(abs(tx.amount)), key=f"ed_amt_{key}")
        occurred_on = c2.date_input("Date", value=tx.occurred_on, key=f"ed_date_{key}", format=ctx.fmt.date_input)
        description = st.text_input("Description", value=tx.description, key=f"ed_desc_{key}")
        category = st.selectbox(
            "Category",
            ids,
            index=ids.index(tx.category_id) if tx.category_id in ids else 0,
            format_func=lambda i: by_id[i].label,
            key=f"ed_cat_{key}",
        )
        refund = st.checkbox("Money back (refund)", value=tx.is_refund, key=f"ed_refund_{key}")
        saved = st.form_submit_button("Save changes", type="primary")
    if not saved:
        return None
    return TransactionChanges(parse_amount(amount, tx.currency), description, category, occurred_on, refund)


def _run(action, slot, *, mine: TransactionChanges | None = None, base: Transaction) -> tuple[bool, object]:
    """Run a write: (True, its result) and the editor closed, or (False, None) with the reason shown
    in ``slot``; a Conflict keeps all three sides for the conflict panel and reruns."""
    try:
        result = action()
    except Conflict as err:
        st.session_state[CONFLICT] = EditConflict.from_error(base.id, mine, err, base)
        st.rerun()
    except (BudgetError, *DB_DOWN) as err:
        show_error(err, slot)
        return False, None
    _close_editor()
    return True, result


def _save_edit(ctx, editing: Transaction, changes: TransactionChanges, slot) -> None:
    ok, _ = _run(
        lambda: transactions.edit_transaction(ctx.access, editing.id, editing.row_version, changes),
        slot,
        mine=changes,
        base=editing,
    )
    if ok:
        st.session_state[FLASH] = f"Saved your changes to {editing.description}"
        st.rerun()


def _delete(ctx, editing: Transaction, slot) -> None:
    ok, version = _run(
        lambda: transactions.delete_transaction(ctx.access, editing.id, editing.row_version), slot, base=editing
    )
    if ok:
        undo.offer(int(version), f"{editing.description} ({ctx.fmt.money(editing.amount)})")
        st.rerun()


def editor(ctx, rows: list[Transaction]) -> None:
    """Edit or delete a transaction, opened from the table or picked from the list; resolve a
    conflict if the last try hit one."""
    cats = categories.list_categories(ctx.access, include_archived=True)
    conflict: EditConflict | None = st.session_state.get(CONFLICT)
    if conflict is not None:
        conflict_panel(ctx, conflict, {c.id: c for c in cats})
        return
    picked = browser.picked_row()
    if picked is not None:
        _close_editor()
        try:
            st.session_state[EDITING] = next((t for t in rows if t.id == picked), None) or (
                transactions.get_transaction(ctx.access, picked)
            )
        except BudgetError as err:
            show_error(err)
    editing: Transaction | None = st.session_state.get(EDITING)
    if editing is None:
        # Once opened, the editor no longer depends on this picker: a change someone else makes
        # meanwhile reruns the page, and must neither close the form nor lose what was typed.
        by_id = {t.id: t for t in rows}
        pick = st.selectbox(
            "Edit or delete",
            list(by_id),
            index=None,
            placeholder="Choose a transaction, or press one in the list…",
            format_func=lambda i: _label(by_id[i], ctx.fmt, ctx.today),
            key=f"tx_pick_{st.session_state.get(PICK_GEN, 0)}",
        )
        if pick is None:
            return
        editing = by_id[pick]
        st.session_state[EDITING] = editing
    box = st.container(border=True, key="fb_editor")
    with box:
        st.markdown(f"**Editing** {md_escape(_label(editing, ctx.fmt, ctx.today))}")
        slot = st.container()
        pending = st.session_state.get(CONFIRM)
        if pending and pending[0] == editing.id:
            _confirm_edit(ctx, editing, pending[1], slot)
        try:
            changes = _edit_form(ctx, editing, cats)
        except BudgetError as err:  # an amount that cannot be read: the form keeps what was typed
            show_error(err, slot)
            changes = None
        if changes is not None:
            income = ctx.family.monthly_income
            if income and changes.amount > income and abs(editing.amount) != changes.amount:
                st.session_state[CONFIRM] = (editing.id, changes)
                st.rerun()
            _save_edit(ctx, editing, changes, slot)
        c1, c2 = st.columns(2)
        if c1.button("Delete this transaction", key=f"del_{editing.id}", icon=":material/delete:"):
            _delete(ctx, editing, slot)
        if c2.button("Close", key=f"close_{editing.id}"):
            _close_editor()
            st.rerun()


def _confirm_edit(ctx, editing: Transaction, changes: TransactionChanges, slot) -> None:
    fmt = ctx.fmt
    slot.markdown(
        f'<p data-testid="fb-confirm"><b>Is {html_escape(fmt.money(changes.amount))} right?</b> It is more than '
        f"the family's monthly income ({html_escape(fmt.money(ctx.family.monthly_income))}).</p>",
        unsafe_allow_html=True,
    )
    yes, no = slot.columns(2)
    if yes.button(f"Yes, save {fmt.money(changes.amount)}", type="primary", key=f"tx_confirm_yes_{editing.id}"):
        st.session_state.pop(CONFIRM, None)
        _save_edit(ctx, editing, changes, slot)
    if no.button("No, let me fix it", key=f"tx_confirm_no_{editing.id}"):
        st.session_state.pop(CONFIRM, None)
        st.rerun()


# --- conflicts ----------------------------------------------------------------------------------
def _cells(values: dict, differing: frozenset[str]) -> list[list[str]]:
    words = {"amount": "Amount", "description": "Description", "category": "Category", "occurred_on": "Date"}
    rows = []
    for field in conflicts.FIELDS:
        cell = values[field]
        if field in differing:
            cell = f'<span class="fb-diff" data-fb-diff="{field}">{cell}</span>'
        rows.append([words[field], cell])
    return rows


def _shown(ctx, amount: int, refund: bool, description: str, category: str, day) -> dict:
    fmt = ctx.fmt
    return {
        "amount": fmt.money_html(-amount if refund else amount),
        "description": html_escape(description),
        "category": html_escape(category),
        "occurred_on": html_escape(fmt.day(day, ctx.today)) if day else "",
    }


def _side(title: str, values: dict | None, note: str, differing: frozenset[str], test_id: str) -> None:
    st.markdown(f"**{html_escape(title)}**", unsafe_allow_html=True)
    if values is None:
        st.markdown(f'<p data-testid="{test_id}">{html_escape(note)}</p>', unsafe_allow_html=True)
        return
    table(["", ""], _cells(values, differing), numeric=(), test_id=test_id)
    if note:
        st.caption(md_escape(note))


def conflict_panel(ctx, c: EditConflict, cats: dict[int, Category]) -> None:
    """Both changes side by side, the fields that differ highlighted, and the choices that fit."""
    st.warning(inert(c.message), icon=":material/sync_problem:")
    differing = c.differing
    left, right = st.columns(2)
    with left:
        if c.mine is None:
            _side("Your change", None, "Delete this transaction", differing, "fb-mine")
        else:
            cat = cats.get(c.mine.category) if isinstance(c.mine.category, int) else None
            mine = _shown(
                ctx,
                c.mine.amount,
                c.mine.refund,
                c.mine.description,
                cat.label if cat else str(c.mine.category),
                c.mine.occurred_on,
            )
            note = f"You changed the {c.words(c.my_fields)}." if c.base is not None and c.my_fields else ""
            _side("Your change", mine, note, differing, "fb-mine")
    with right:
        if c.theirs is None:
            _side(f"{c.by}'s change", None, f"{c.by} deleted this transaction.", differing, "fb-theirs")
        else:
            t = c.theirs
            theirs = _shown(ctx, abs(t.amount), t.is_refund, t.description, t.category, t.occurred_on)
            note = f"{c.by} changed the {c.words(c.their_fields)}." if c.base is not None and c.their_fields else ""
            _side(f"{c.by}'s change (saved)", theirs, note, differing, "fb-theirs")
    slot = st.container()
    _choices(ctx, c, slot)


def _choices(ctx, c: EditConflict, slot) -> None:
    if c.mine is None:
        mine_label, theirs_label = "Delete it anyway", f"Keep {c.by}'s version"
    elif c.theirs is None:
        mine_label, theirs_label = "Put it back with my changes", "Leave it deleted"
    else:
        mine_label, theirs_label = "Keep mine", f"Take {c.by}'s"
    buttons = st.columns(3 if c.can_keep_both else 2)
    if c.can_keep_both and buttons[0].button(
        "Keep both changes",
        type="primary",
        key="keep_both",
        help=f"Your {c.words(c.my_fields)} and {c.by}'s {c.words(c.their_fields)}, as one change.",
    ):
        _resolve(ctx, lambda: conflicts.keep_both(ctx.access, c), c, "Kept both changes", slot)
    mine_at, theirs_at = (buttons[1], buttons[2]) if c.can_keep_both else (buttons[0], buttons[1])
    overlap = c.my_fields & c.their_fields if c.base is not None else frozenset()
    help_mine = (
        f"Your {c.words(overlap)} replaces {c.by}'s; what only {c.by} changed stays." if overlap and c.mine else None
    )
    if mine_at.button(mine_label, type="secondary" if c.can_keep_both else "primary", key="keep_mine", help=help_mine):
        _resolve(ctx, lambda: conflicts.keep_mine(ctx.access, c), c, "Kept your change", slot)
    if theirs_at.button(theirs_label, key="take_theirs"):
        _close_editor()
        st.session_state[FLASH] = f"Kept {c.by}'s version" if c.theirs is not None else "Left it deleted"
        st.rerun()


def _resolve(ctx, action, c: EditConflict, done: str, slot) -> None:
    st.session_state.pop(CONFLICT, None)
    try:
        action()
    except Conflict as err:  # a third change meanwhile: compare again against the newest
        st.session_state[CONFLICT] = EditConflict.from_error(c.tx_id, c.mine, err, c.theirs or c.base)
        st.rerun()
    except (BudgetError, *DB_DOWN) as err:
        st.session_state[CONFLICT] = c
        show_error(err, slot)
        return
    _close_editor()
    st.session_state[FLASH] = done
    st.rerun()
