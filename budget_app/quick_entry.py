"""The quick-entry form: amount, description, category, date, refund; Enter saves from any box.

It is drawn in the sidebar on every page and, on Today, once more in the page itself for phones
(``place="main"``; the stylesheet shows that one only on narrow screens). ``quick_expense_form``
draws the form and calls ``on_save(place)`` when it is submitted; :func:`read_draft` turns what
was typed into a ``TransactionDraft`` (the frame saves it). The draft's ``client_id`` is made when
the form is first drawn and kept until :func:`mark_saved`, so a double click or a resubmit after a
lost connection replays the same entry instead of adding a second one.

The browser empties the form the moment it is submitted (``clear_on_submit``), so a save needs no
redraw of the form at all. A refused entry gets what was typed back: :func:`refuse` starts a new
generation of widget keys (the keys carry it) filled with the typed values.

An amount above the family's monthly income is not saved at once: :func:`ask_to_confirm` keeps
the draft and the form asks "Is $9,999.00 right?" with a button to save it and one to fix it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date

import streamlit as st

from budget_core.domain.money import parse_amount
from budget_core.errors import ValidationError
from budget_core.services.categories import Category
from budget_core.services.transactions import TransactionDraft

from .format import KIND_LABELS, Fmt, html_escape

GEN = "qe_generation"
CLIENT_ID = "qe_client_id"
ERROR = "qe_error"  # (place, message): why the last submit was refused, shown above that form
CONFIRM = "qe_confirm"  # (place, draft): an amount above the monthly income, waiting for a yes
SAVED = "qe_just_saved"  # the last run saved an entry: figures read the new version


def _generation() -> int:
    if GEN not in st.session_state:
        st.session_state[GEN] = 0
    if CLIENT_ID not in st.session_state:
        st.session_state[CLIENT_ID] = str(uuid.uuid4())
    return st.session_state[GEN]


def widget_key(name: str, place: str = "sidebar") -> str:
    """The key of a quick-entry widget in the current generation (tests use it too)."""
    return f"qe_{name}_{_generation()}" if place == "sidebar" else f"qe_{place}_{name}_{_generation()}"


FIELDS = ("amount", "description", "category", "date", "refund")


TYPED = "qe_typed"  # (place, generation, {field: value}): a form drawn again with what was typed


def mark_saved() -> bool:
    """The draft was stored (the browser has emptied the form already): the next one gets a new
    client_id. True when the form must be drawn again — it was showing typed text given back, which
    is what emptying it on submit would bring back."""
    st.session_state[CLIENT_ID] = str(uuid.uuid4())
    st.session_state.pop(ERROR, None)
    st.session_state.pop(CONFIRM, None)
    st.session_state[SAVED] = True
    if st.session_state.pop(TYPED, None) is None:
        return False
    st.session_state[GEN] = _generation() + 1
    return True


def _keep_typed(place: str) -> None:
    """Draw the form at ``place`` again with what was typed (a new generation of keys, with the typed
    values as its defaults): the browser emptied it on submit, and a refused entry must not be lost."""
    typed = {name: st.session_state.get(widget_key(name, place)) for name in FIELDS}
    st.session_state[GEN] = _generation() + 1
    st.session_state[TYPED] = (place, st.session_state[GEN], typed)


def _category_label(cat: Category) -> str:
    return cat.label if cat.kind == "variable" else f"{cat.label} · {KIND_LABELS[cat.kind].lower()}"


def read_draft(place: str, categories: list[Category], currency: str, today: date) -> TransactionDraft:
    """What was typed into the form at ``place``, as a draft; ValidationError if it cannot be read."""
    state = st.session_state
    amount = parse_amount(state.get(widget_key("amount", place)) or "", currency)
    category_id = state.get(widget_key("category", place))
    by_id = {c.id: c for c in categories}
    if category_id is None or category_id not in by_id:
        raise ValidationError("Choose a category; a manager can add categories on the Plan page.")
    text = " ".join((state.get(widget_key("description", place)) or "").split()) or by_id[category_id].name
    return TransactionDraft(
        amount=amount,
        description=text,
        category=category_id,
        occurred_on=state.get(widget_key("date", place)) or today,
        client_id=uuid.UUID(state[CLIENT_ID]),
        refund=bool(state.get(widget_key("refund", place))),
    )


def needs_confirmation(draft: TransactionDraft, monthly_income: int) -> bool:
    """An amount above the family's monthly income is probably a typo: ask before saving it."""
    return monthly_income > 0 and draft.amount > monthly_income


def ask_to_confirm(place: str, draft: TransactionDraft) -> None:
    _keep_typed(place)
    st.session_state[CONFIRM] = (place, draft)
    st.session_state.pop(ERROR, None)


def refuse(place: str, message: str) -> None:
    """Say why the entry at ``place`` was not saved, and give the form its text back."""
    _keep_typed(place)
    st.session_state[ERROR] = (place, message)
    st.session_state.pop(CONFIRM, None)


def quick_expense_form(
    categories: list[Category],
    last_category_id: int | None,
    fmt: Fmt,
    today: date,
    *,
    on_save: Callable[[str], None],
    on_confirm: Callable[[], None],
    monthly_income: int = 0,
    place: str = "sidebar",
) -> None:
    """Draw the quick-entry form at ``place``; submitting it (Enter in any box, or Save) calls
    ``on_save(place)`` before the run, which saves the draft (see the frame)."""
    _generation()
    ids = [c.id for c in categories]
    by_id = {c.id: c for c in categories}
    index = ids.index(last_category_id) if last_category_id in ids else 0
    refused = st.session_state.get(ERROR)
    if refused and refused[0] == place:
        st.error(refused[1], icon=":material/error:")
    pending = st.session_state.get(CONFIRM)
    if pending and pending[0] == place:
        _confirm_prompt(pending[1], fmt, monthly_income, on_confirm, place)
    form = f"quick_entry_{place}" if place != "sidebar" else "quick_entry"
    held = st.session_state.get(TYPED)
    typed = held[2] if held and held[0] == place and held[1] == _generation() else {}
    if typed.get("category") in ids:
        index = ids.index(typed["category"])
    with st.form(form, clear_on_submit=True, enter_to_submit=True, border=True):
        st.markdown("**Add an expense**")
        st.text_input(
            "Amount",
            value=typed.get("amount") or "",
            key=widget_key("amount", place),
            placeholder=fmt.typed(0),
            help=f"In {fmt.currency}; 15, 15.5, 15,50 and 1 200 all work.",
        )
        st.text_input(
            "Description",
            value=typed.get("description") or "",
            key=widget_key("description", place),
            placeholder="What was it?",
        )
        compact = place != "sidebar"  # on a phone: category and date side by side, so Save stays in view
        left, right = st.columns([1.4, 1], wrap=False) if compact else (st.container(), st.container())
        left.selectbox(
            "Category",
            ids,
            index=index if ids else None,
            key=widget_key("category", place),
            format_func=lambda i: _category_label(by_id[i]),
        )
        right.date_input("Date", value=typed.get("date") or today, key=widget_key("date", place), format=fmt.date_input)
        check, save = st.columns([1.4, 1], vertical_alignment="center", wrap=False) if compact else (st, st)
        check.checkbox("Money back (refund)", value=bool(typed.get("refund")), key=widget_key("refund", place))
        save.form_submit_button("Save", type="primary", width="stretch", on_click=on_save, args=(place,))


def _confirm_prompt(draft: TransactionDraft, fmt: Fmt, monthly_income: int, on_confirm, place: str) -> None:
    box = st.container(border=True, key=f"fb_confirm_{place}")
    box.markdown(
        f'<p data-testid="fb-confirm"><b>Is {html_escape(fmt.money(draft.amount))} right?</b> '
        f"It is more than the family's monthly income ({html_escape(fmt.money(monthly_income))}).</p>",
        unsafe_allow_html=True,
    )
    yes, no = box.columns(2)
    yes.button(
        f"Yes, save {fmt.money(draft.amount)}", type="primary", key=f"qe_confirm_yes_{place}", on_click=on_confirm
    )
    no.button("No, let me fix it", key=f"qe_confirm_no_{place}", on_click=lambda: st.session_state.pop(CONFIRM, None))


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
