"""Import page pieces: a preview a person can judge (and correct), past imports with undo.

The preview shows each row's date in the app's format, its amount as the app shows it (an expense
positive, a refund and income marked), the category it gets and why, the bill it pays and, for a
linked row, the typed expense it is linked to (who, what, when). On a phone the table turns into one
card per row. Everything is decided in ``budget_core.importers``; corrections go back as options.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from budget_core.domain.merchants import merchant_pattern
from budget_core.importers.history import list_imports, undo_import
from budget_core.importers.planning import PlannedRow
from budget_core.importers.rules import RuleDraft

from .errors import shown_errors
from .format import Fmt, html_escape
from .keys import done

STATUS = {"new": "new", "linked": "linked", "duplicate": "already imported"}


def shown_amount(p: PlannedRow, fmt: Fmt) -> str:
    """The amount as the app shows it: an expense positive, a refund and income marked."""
    if p.kind == "income":
        return f"+{fmt.money(p.amount)} income"
    if p.is_refund:
        return f"{fmt.money(-p.amount)} refund"
    return fmt.money(p.amount)


def _category_cell(p: PlannedRow, fmt: Fmt) -> str:
    decide = " fb-decide" if p.needs_category else ""
    why = f'<span class="fb-why{decide}">{html_escape(p.why)}</span>' if p.why else ""
    extra = ""
    if p.bill:
        extra = f'<span class="fb-sub">pays the bill {html_escape(p.bill)}</span>'
    if p.linked_to is not None:
        extra = f'<span class="fb-sub">linked to {html_escape(p.linked_to.describe(fmt.locale))} — kept, not added twice</span>'
    if p.ask:
        extra += f'<span class="fb-sub">⚠ {html_escape(p.ask)}</span>'
    return f"{html_escape(p.category)}{why}{extra}"


def preview_rows(rows: list[PlannedRow], fmt: Fmt, today) -> None:
    """The rows a preview would import, as a table (a card per row on a phone)."""
    body = "".join(
        "<tr>"
        f'<td data-label="">{html_escape(fmt.day(p.row.occurred_on, today))}'
        f'<span class="fb-sub">{STATUS[p.status]}</span></td>'
        f"<td>{html_escape(p.row.description)}</td>"
        f'<td class="num">{html_escape(shown_amount(p, fmt))}</td>'
        f"<td>{_category_cell(p, fmt)}</td>"
        "</tr>"
        for p in rows
    )
    st.markdown(
        '<table class="fb-rows" data-testid="fb-import-rows"><thead><tr><th>Date</th><th>Description</th>'
        f"<th>Amount</th><th>Category · why</th></tr></thead><tbody>{body}</tbody></table>",
        unsafe_allow_html=True,
    )


def corrections(preview, cat_id: dict[str, int], shown: list[PlannedRow], fmt: Fmt, today) -> tuple[dict, list, set]:
    """The person's choices on a preview: categories for undecided rows (and any other), rules to
    remember, rows maybe imported before to leave out. Returns (categories, new rules, skip)."""
    chosen: dict[str, int] = {}
    new_rules: list[RuleDraft] = []
    skip: set[str] = set()
    undecided = [p for p in shown if p.needs_category]
    if undecided:
        st.markdown(f"**Needs a category · {len(undecided)}** — until you choose, they count as everyday spending.")
        for p in undecided[:30]:
            c1, c2 = st.columns([3, 2], vertical_alignment="bottom")
            pick = c1.selectbox(
                f"{fmt.day(p.row.occurred_on, today)} · {p.row.description} · {shown_amount(p, fmt)}",
                list(cat_id),
                index=None,
                placeholder="Choose a category…",
                key=f"decide_row_{p.row.import_id}",
            )
            if pick is not None:
                chosen[p.row.import_id] = cat_id[pick]
                merchant = merchant_pattern(p.row.description)
                if c2.checkbox(f"Always put '{merchant}' into {pick}", key=f"rule_{p.row.import_id}"):
                    new_rules.append(RuleDraft(merchant, cat_id[pick]))
    doubtful = [p for p in shown if p.ask]
    for p in doubtful:
        if st.checkbox(
            f"Leave out {fmt.day(p.row.occurred_on, today)} · {p.row.description} ({p.ask})",
            key=f"skip_{p.row.import_id}",
        ):
            skip.add(p.row.import_id)
    others = [p for p in shown if not p.needs_category and p.status == "new"]
    if others:
        with st.expander("Change other categories"):
            frame_in = pl.DataFrame(
                {
                    "import_id": [p.row.import_id for p in others],
                    "Description": [p.row.description for p in others],
                    "Category": [p.category for p in others],
                }
            )
            edited = st.data_editor(
                frame_in,
                hide_index=True,
                width="stretch",
                disabled=["Description"],
                column_config={
                    "import_id": None,
                    "Category": st.column_config.SelectboxColumn(
                        "Category",
                        options=list(dict.fromkeys([*cat_id, *frame_in["Category"].to_list()])),
                        required=True,
                    ),
                },
                key="import_other_editor",
            )
            for before, after in zip(frame_in.iter_rows(named=True), edited.iter_rows(named=True)):
                if after["Category"] != before["Category"] and after["Category"] in cat_id:
                    chosen[before["import_id"]] = cat_id[after["Category"]]
                    merchant = merchant_pattern(before["Description"])
                    if st.checkbox(
                        f"Always put '{merchant}' into {after['Category']}?", key=f"rule_{before['import_id']}"
                    ):
                        new_rules.append(RuleDraft(merchant, cat_id[after["Category"]]))
    return chosen, new_rules, skip


def past_imports(ctx) -> None:
    """Past imports with *Undo this import*."""
    with shown_errors():
        past = list_imports(ctx.access, limit=20)
        if not past:
            st.caption("Nothing imported yet.")
            return
        for p in past:
            left, right = st.columns([4, 1.3], vertical_alignment="center")
            undone = f" · undone by {p.undone_by}" if p.undone else ""
            left.markdown(
                f"<b>{html_escape(p.file_name)}</b> · {html_escape(ctx.fmt.ago(p.imported_at))} by "
                f"{html_escape(p.imported_by)}<br><span class='fb-muted'>{p.added} added, {p.linked} linked"
                f"{html_escape(undone)}</span>",
                unsafe_allow_html=True,
            )
            if not p.undone and right.button(
                "Undo this import",
                key=f"undo_{p.id}",
                help="Removes what this import added and the links it made; the file can be imported again.",
            ):
                with shown_errors():
                    result = undo_import(ctx.access, p.id)
                    done(f"Undid {result.file_name}: {result.removed} transactions removed")
