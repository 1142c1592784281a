"""Issue 17: nothing is rendered from other people's text. A member's name, a category, a typed
description and an imported bank description are each full of what Markdown, KaTeX and Streamlit
would render (links, images, HTML tags, $…$, colour and icon directives, bare URLs and e-mail
addresses); every page is opened with them on it, and no Markdown context (text, captions, alerts,
headings, widget labels) may hold any of those constructs as written."""

from __future__ import annotations

import pytest

from budget_core.services import accounts, categories, transactions
from budget_core.services.transactions import TransactionDraft

from .conftest import no_exception, open_page
from .test_insights_page import _walk

HOSTILE = (
    "[click](https://evil.example/a) ![i](https://evil.example/p.png) <b>pwn</b> <img src=x> "
    "$x^2$ :red[alert] :material/home: https://evil.example/b mail@evil.example"
)
# what must never appear as written in a Markdown context: each would render as something active
ACTIVE = (
    "](https:",
    "![",
    "<b>pwn",
    "<img src=x",
    "$x^2$",
    ":red[",
    ":material/home:",
    "https://evil",
    "@evil.example",
)
PAGES = ["today.py"] + [
    f"pages/{p}"
    for p in (
        "1_Transactions.py",
        "2_Activity.py",
        "3_Plan.py",
        "4_Family.py",
        "5_Import.py",
        "6_Insights.py",
        "7_Health.py",
        "8_Account.py",
    )
]
SHOWS_THE_TEXT = {"pages/1_Transactions.py", "pages/2_Activity.py", "pages/4_Family.py"}
MARKDOWN_KINDS = {"markdown", "caption", "alert", "title", "header", "subheader", "toast", "exception", "expandable"}


@pytest.fixture
def hostile_home(home):
    accounts.rename(home.engine, home.dad.id, "D [x](https://evil.example/a) <b>pwn</b> $x^2$")
    category = categories.add_category(home.access(), "![i](https://evil.example/p) :red[a]", parent="Dining")
    transactions.add_transaction(home.access(home.dad), TransactionDraft(1234, "Lunch " + HOSTILE, category.id))
    return home


def rendered(at) -> list[tuple[str, str]]:
    """(where, text) of every Markdown context on the page: element bodies and widget labels."""
    found = []
    for root in (at.main, at.sidebar):
        for element in _walk(root):
            kind = getattr(element, "type", "")
            value = getattr(element, "value", None)
            if kind in MARKDOWN_KINDS and isinstance(value, str):
                found.append((kind, value))
            label = getattr(element, "label", None)
            if isinstance(label, str):
                found.append((f"{kind} label", label))
    return found


@pytest.mark.parametrize("page", PAGES)
def test_no_page_renders_hostile_names_categories_or_descriptions(hostile_home, page):
    home = hostile_home
    at = open_page(page, user_id=home.mom.id, family_id=home.family.id)
    no_exception(at)
    texts = rendered(at)
    assert texts, "the page drew nothing to check"
    active = [(where, text) for where, text in texts if any(a in text for a in ACTIVE)]
    assert not active, active[:5]
    if page in SHOWS_THE_TEXT:  # the hostile text is on the page (inert), so the check above had work to do
        assert any("evil" in text for _, text in texts), f"{page} showed none of the hostile text"
