"""Transactions: search and filter the family's entries (by words or amount), see their total,
download exactly those, and open one from the list to edit or delete it, safely."""

import streamlit as st

from budget_app.errors import page_errors, shown_errors
from budget_app.frame import frame
from budget_app.tx_views import editor, filters, transactions_table
from budget_core.services import transactions

ctx = frame("Transactions")

with page_errors():
    st.markdown("## Transactions")
    with shown_errors():
        wanted = filters(ctx)
        rows = transactions.list_transactions(ctx.access, wanted)
        editor(ctx, rows)
        transactions_table(ctx, rows, wanted)
