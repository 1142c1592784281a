"""Today (today.py): the allowance and the figures around it, and the sidebar quick entry."""

from __future__ import annotations

from budget_core.services import budgets

from .conftest import by_label, markdown_text, no_exception, open_page


def test_signed_out_visitor_sees_sign_in_and_nothing_of_any_family(home):
    at = open_page("today.py")
    no_exception(at)
    assert [t.label for t in at.tabs] == ["Sign in", "Create your family"]
    assert "Smiths" not in markdown_text(at)
    assert not at.sidebar.text_input


def test_today_shows_the_allowance_of_the_family(home):
    at = open_page("today.py", user_id=home.mom.id, family_id=home.family.id)
    no_exception(at)
    b = budgets.daily_budget(home.access()).budget
    text = markdown_text(at)
    assert "Left today" in text
    assert f"{b.left_today // 100:,}" in text.replace("&#36;", "$")


def _what_if(at) -> str:
    return next(m.value for m in at.main.markdown if 'data-testid="fb-what-if"' in m.value).replace("&#36;", "$")


def test_what_if_shows_tomorrows_allowance_for_an_exact_typed_amount_and_refuses_text(home):
    from budget_app.format import inert, money

    at = open_page("today.py", user_id=home.mom.id, family_id=home.family.id)
    b = budgets.daily_budget(home.access()).budget
    assert money(b.allowance_tomorrow_if(0), "USD") in _what_if(at)  # nothing typed: as things stand

    at = by_label(at.main.text_input, "If we spend this much more today (USD)").input("19,99").run()
    no_exception(at)
    assert money(b.allowance_tomorrow_if(1999), "USD") in _what_if(at)  # 1999 cents exactly, no float on the way

    at = by_label(at.main.text_input, "If we spend this much more today (USD)").input("lots").run()
    no_exception(at)
    assert any(inert("'lots' is not an amount") in c.value for c in at.caption)
    assert not any('data-testid="fb-what-if"' in m.value for m in at.main.markdown)
