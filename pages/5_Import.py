"""Import: upload a bank file, check the preview, correct categories, confirm; review links; rules.

Everything is decided in ``budget_core.importers``: this page only draws the preview it gets and
passes the person's corrections back. One confirmed file is one transaction and one event. The
file is read off the script thread (``budget_app.jobs``), in a child process under CPU and memory
limits, with a Cancel button while it runs.
"""

import streamlit as st

from budget_app import jobs
from budget_app.errors import page_errors, shown_errors
from budget_app.format import inert
from budget_app.frame import frame
from budget_app.import_views import corrections, past_imports, preview_rows
from budget_app.keys import FLASH
from budget_app.today_notes import needs_category
from budget_core.importers.csv_cells import DATE_FORMATS
from budget_core.importers.links import confirm_links, links_to_review, unlink
from budget_core.importers.profiles import list_profiles
from budget_core.importers.rules import RuleDraft, add_rule, delete_rule, list_rules, move_rule
from budget_core.importers.service import ImportOptions, Isolation, import_file, preview_import
from budget_core.services import categories, members

ctx = frame("Import")


def read_preview(access, name, data, options, *, cancel):
    """Off the script thread: the file is read in a child process under limits (killed on Cancel)."""
    return preview_import(access, name, data, options, isolation=Isolation(cancel))


def write_import(access, name, data, options, *, cancel):
    return import_file(access, name, data, options, isolation=Isolation(cancel))


with page_errors():
    SHOWN_ROWS = 1000

    st.markdown("## Import a bank file")
    st.caption(
        "CSV, OFX or QFX as your bank exports it. Rows you imported before — in this layout or another — are "
        "recognised and skipped; a row matching an expense someone typed by hand is linked to it instead of added "
        "twice, and a payment of a planned bill counts as fixed spending. Every import can be undone."
    )
    cats = [c for c in categories.list_categories(ctx.access) if not c.archived]
    cat_id = {c.label: c.id for c in cats}
    upload_key = f"import_upload_{st.session_state.get('import_round', 0)}"
    uploaded = st.file_uploader("Bank file", type=["csv", "ofx", "qfx", "txt"], key=upload_key)
    with st.expander("Reading options"):
        date_format = st.selectbox(
            "Date format", ["detect"] + list(DATE_FORMATS), help="Only needed when every day in the file is 12 or less."
        )
        profile = st.text_input("Bank profile", help="Saved per family; a file with the same columns uses it again.")
        account = st.text_input("Account name", help="Keep it the same for every file of one bank account (CSV).")
    options = None
    with shown_errors():  # a profile or account name that cannot be used is said here, before any reading
        options = ImportOptions(
            profile=profile or None,
            account=account or None,
            date_format=None if date_format == "detect" else date_format,
        )

    if uploaded is None or options is None:
        jobs.forget("import_preview")
        jobs.forget("import_write")
    else:
        data = uploaded.getvalue()
        preview_key = (uploaded.file_id, options.profile, options.account, options.date_format)
        writing = jobs.current("import_write")
        if writing is not None and writing.done:
            jobs.forget("import_write")
            with shown_errors():
                done = writing.result()
                jobs.forget("import_preview")
                st.session_state["import_round"] = st.session_state.get("import_round", 0) + 1
                st.session_state[FLASH] = done.summary()
                st.rerun()
        if jobs.current("import_write") is not None:
            jobs.wait("import_write", "Importing the file")
            st.stop()
        if jobs.cancelled("import_preview", preview_key):
            st.info("Cancelled: the file was not read and nothing was imported.", icon=":material/cancel:")
            if st.button("Read it again", key="import_again"):
                jobs.again("import_preview")
                st.rerun()
            st.stop()
        job = jobs.current("import_preview", preview_key) or jobs.start(
            "import_preview", preview_key, read_preview, ctx.access, uploaded.name, data, options
        )
        if not job.done:
            jobs.wait("import_preview", "Reading the file")
        else:
            with shown_errors():
                preview = job.result()
                parts = [f"**{preview.added}** new"]
                if preview.bills_paid:
                    parts.append(f"**{preview.bills_paid}** paying bills")
                if preview.needs_category:
                    parts.append(f"**{preview.needs_category}** need a category")
                if preview.maybe_duplicates:
                    parts.append(f"**{preview.maybe_duplicates}** maybe imported before")
                parts += [
                    f"**{preview.duplicates}** already imported",
                    f"**{preview.linked}** linked to expenses typed by hand",
                ]
                st.markdown(" · ".join(parts))
                if preview.mapping is not None:
                    st.caption(inert(f"Bank profile '{preview.profile}': {preview.mapping.describe()}"))
                shown = [p for p in preview.rows if p.status != "duplicate"][:SHOWN_ROWS]
                preview_rows(shown, ctx.fmt, ctx.today)
                if len(shown) < preview.added + preview.linked:
                    st.caption(f"Showing the first {SHOWN_ROWS:,} rows; rules and suggestions categorise the rest.")
                chosen_categories, new_rules, skip = corrections(preview, cat_id, shown, ctx.fmt, ctx.today)
                if st.button(
                    f"Import: add {preview.added - len(skip)}, link {preview.linked}",
                    type="primary",
                    disabled=not (preview.added or preview.linked),
                ):
                    chosen = ImportOptions(
                        profile=options.profile,
                        account=options.account,
                        date_format=options.date_format,
                        categories=chosen_categories,
                        new_rules=tuple(new_rules),
                        skip=frozenset(skip),
                    )
                    jobs.start("import_write", preview_key, write_import, ctx.access, uploaded.name, data, chosen)
                    st.rerun()

    st.markdown("#### Past imports")
    past_imports(ctx)

    needs_category(ctx, ctx.today, limit=20, title="Imported this period, needs a category")

    st.markdown("#### Linked to expenses typed by hand")
    with shown_errors():
        links = links_to_review(ctx.access)
        if not links:
            st.caption("Nothing to review.")
        for link in links:
            left, right = st.columns([5, 1])
            left.markdown(
                inert(
                    f"{ctx.fmt.day(link.occurred_on, ctx.today)} · {link.description} · {ctx.fmt.money(link.bank_amount)}"
                    f" = {link.member}'s '{link.transaction_description}' on {ctx.fmt.day(link.transaction_on, ctx.today)}"
                )
            )
            if right.button("Not the same", key=f"unlink_{link.import_id}", help="Add the bank row on its own"):
                unlink(ctx.access, link.import_id)
                st.rerun()
        if links and st.button("Confirm all links"):
            confirm_links(ctx.access, [x.import_id for x in links])
            st.rerun()

    st.markdown("#### Rules")
    with shown_errors():
        rules = list_rules(ctx.access)
        if not rules:
            st.caption("No rules yet: correct a category in a preview and say 'always'.")
        for rule in rules:
            text_col, up, down, drop = (
                st.columns([8, 1, 1, 1]) if ctx.is_manager else (st.container(), None, None, None)
            )
            text_col.markdown(inert(f"{rule.position}. {rule.describe()}"))
            if ctx.is_manager:
                if up.button("↑", key=f"up_{rule.id}", disabled=rule.position == 1):
                    move_rule(ctx.access, rule.id, rule.position - 1)
                    st.rerun()
                if down.button("↓", key=f"down_{rule.id}", disabled=rule.position == len(rules)):
                    move_rule(ctx.access, rule.id, rule.position + 1)
                    st.rerun()
                if drop.button("✕", key=f"del_{rule.id}"):
                    delete_rule(ctx.access, rule.id)
                    st.rerun()
        with st.form("add_rule", clear_on_submit=True):
            people = {m.display_name: m.user_id for m in members.list_members(ctx.access)}
            pattern_col, cat_col, member_col = st.columns(3)
            pattern = pattern_col.text_input("Description contains")
            category = cat_col.selectbox("Category", list(cat_id))
            member = member_col.selectbox("Member", ["whoever imports"] + list(people))
            is_regex = st.checkbox("It is a regular expression")
            if st.form_submit_button("Add rule"):
                add_rule(ctx.access, RuleDraft(pattern, cat_id[category], is_regex, people.get(member)))
                st.rerun()
        profiles = list_profiles(ctx.access)
        if profiles:
            st.caption("Bank profiles: " + inert("; ".join(f"{p.name} ({p.mapping.describe()})" for p in profiles)))
