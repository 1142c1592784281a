"""The sidebar quick-entry form: amount, description, category, date, refund; Enter submits.

``quick_expense_form`` draws the form and returns a ``TransactionDraft`` when it was submitted
(or ``None``); the frame decides what to do with it. The draft's ``client_id`` is made when a
form generation is first drawn and kept until :func:`mark_saved`, so a double click or a resubmit
after a lost connection replays the same entry instead of adding a second one. Widget keys carry
the generation: a successful save starts a new generation, which clears the form, while a
refused entry keeps what was typed.
"""

from __future__ import annotations

import uuid
from datetime import date

import streamlit as st

from budget_core.domain.money import parse_amount
from budget_core.errors import ValidationError
from budget_core.services.categories import Category
from budget_core.services.transactions import TransactionDraft

from .format import KIND_LABELS

GEN = "qe_generation"
CLIENT_ID = "qe_client_id"


def _generation() -> int:
    if GEN not in st.session_state:
        st.session_state[GEN] = 0
    if CLIENT_ID not in st.session_state:
        st.session_state[CLIENT_ID] = str(uuid.uuid4())
    return st.session_state[GEN]


def widget_key(name: str) -> str:
    """The key of a quick-entry widget in the current generation (tests use it too)."""
    return f"qe_{name}_{_generation()}"


def mark_saved() -> None:
    """The draft was stored: start a fresh, empty form with a new client_id."""
    st.session_state[GEN] = _generation() + 1
    st.session_state[CLIENT_ID] = str(uuid.uuid4())


def _category_label(cat: Category) -> str:
    return cat.label if cat.kind == "variable" else f"{cat.label} · {KIND_LABELS[cat.kind].lower()}"


def quick_expense_form(
    categories: list[Category], last_category_id: int | None, currency: str, today: date
) -> TransactionDraft | None:
    """Draw the quick-entry form; return the typed draft when submitted, else ``None``.

    Raises ValidationError when the amount cannot be read (the form keeps what was typed).
    """
    _generation()
    ids = [c.id for c in categories]
    by_id = {c.id: c for c in categories}
    index = ids.index(last_category_id) if last_category_id in ids else 0
    with st.form("quick_entry", clear_on_submit=False, enter_to_submit=True, border=True):
        st.markdown("**Add an expense**")
        amount_text = st.text_input(
            "Amount", key=widget_key("amount"), placeholder="0.00", help=f"In {currency}; 15, 15.5 and 15,50 all work."
        )
        description = st.text_input("Description", key=widget_key("description"), placeholder="What was it?")
        category_id = st.selectbox(
            "Category",
            ids,
            index=index if ids else None,
            key=widget_key("category"),
            format_func=lambda i: _category_label(by_id[i]),
        )
        occurred_on = st.date_input("Date", value=today, key=widget_key("date"), format="YYYY-MM-DD")
        refund = st.checkbox("Money back (refund)", key=widget_key("refund"))
        submitted = st.form_submit_button("Save", type="primary", width="stretch")
    if not submitted:
        return None
    amount = parse_amount(amount_text, currency)
    if category_id is None:
        raise ValidationError("Choose a category; a manager can add categories on the Plan page.")
    text = " ".join((description or "").split()) or by_id[category_id].name
    return TransactionDraft(
        amount=amount,
        description=text,
        category=category_id,
        occurred_on=occurred_on or today,
        client_id=uuid.UUID(st.session_state[CLIENT_ID]),
        refund=bool(refund),
    )


_FOCUS_JS = """
<script>
const doc = window.parent.document;
if (window.parent.innerWidth > 640) {
  const tryFocus = (left) => {
    const box = doc.querySelector('[data-testid="stSidebar"] input[aria-label="Amount"]');
    const now = doc.activeElement;  // never take the cursor from a box outside the sidebar
    const free = !now || now === doc.body || now.closest('[data-testid="stSidebar"]') !== null;
    if (box && free) { box.focus(); }
    else if (!box && left > 0) { setTimeout(() => tryFocus(left - 1), 100); }
  };
  tryFocus(20);
}
</script>
"""


def focus_amount() -> None:
    """Put the cursor in the amount box (on a laptop-sized screen; a phone keeps its keyboard shut).

    Called only on a session's first run and after a save, and it only takes the cursor when no
    other box has it: the script runs a moment after the page, when the person may already be
    typing elsewhere (an Enter meant for that box would otherwise submit an empty expense).
    """
    # A different document each time, or the browser keeps the old frame and the script does not run again.
    st.iframe(f"<!-- form {_generation()} -->" + _FOCUS_JS, height=1)
