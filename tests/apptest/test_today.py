"""Today (app.py): the allowance and the figures around it, and the sidebar quick entry."""

from __future__ import annotations

from budget_core.services import budgets, transactions

from .conftest import by_label, markdown_text, no_exception, open_page


def test_signed_out_visitor_sees_sign_in_and_nothing_of_any_family(home):
    at = open_page("app.py")
    no_exception(at)
    assert [t.label for t in at.tabs] == ["Sign in", "Create your family"]
    assert "Smiths" not in markdown_text(at)
    assert not at.sidebar.text_input


def test_today_shows_the_allowance_of_the_family(home):
    at = open_page("app.py", user_id=home.mom.id, family_id=home.family.id)
    no_exception(at)
    b = budgets.daily_budget(home.engine, home.family.id).budget
    text = markdown_text(at)
    assert "You can spend today" in text
    assert f"{b.allowance_today // 100:,}" in text.replace("&#36;", "$")
