"""How a transaction's category reads in a list: a split shows its parts, a bill payment its bill."""

from __future__ import annotations

from budget_core.domain.money import format_money
from budget_core.services.transactions import Transaction


def category_text(t: Transaction, locale: str | None = None) -> str:
    """'Groceries $60.00 · Household $24.20' for a split (money in ``locale``'s way), 'Housing · bill Rent'
    for a bill payment, else the category (plain text; escape before showing)."""
    if t.parts:
        return " · ".join(f"{p.category} {format_money(abs(p.amount), t.currency, locale)}" for p in t.parts)
    if t.bill:
        return f"{t.category} · bill {t.bill}"
    return t.category
