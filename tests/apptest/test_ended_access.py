"""Issue 17: access that ended reads nothing. A member removed, or whose password was changed, while
the Insights page is open gets no download from it: the export is made only in a run whose frame
checked the session and the membership, and a file prepared earlier is not offered again."""

from __future__ import annotations

from budget_core.services import devices, members, sessions, transactions
from budget_core.services.access import open_family
from budget_core.services.transactions import TransactionDraft

from .conftest import PASSWORD, by_label, no_exception, open_page
from .test_insights_page import _walk

SECRET = "Written after the removal"


def downloads(at) -> list[str]:
    return [b.proto.label for b in _walk(at.main) if getattr(b, "type", "") == "download_button"]


def everything_shown(at) -> str:
    return "\n".join(str(getattr(e, "value", "")) + str(getattr(e, "label", "")) for e in _walk(at.main))


def insights_as_dad(home):
    transactions.add_transaction(
        open_family(home.engine, home.mom.id, home.family.id), TransactionDraft(8800, "Weekly shop", "Groceries")
    )
    at = open_page("pages/6_Insights.py", user_id=home.dad.id, family_id=home.family.id)
    no_exception(at)
    return at


def test_a_removed_member_clicking_prepare_gets_no_file_and_no_rows(home):
    at = insights_as_dad(home)
    prepare = by_label(at.button, "Prepare CSV")
    members.remove_member(home.access(), home.dad.id)
    transactions.add_transaction(home.access(), TransactionDraft(4200, SECRET, "Groceries"))
    at = prepare.click().run()
    no_exception(at)
    assert downloads(at) == [] and "Prepare CSV" not in [b.label for b in at.button]
    assert SECRET not in everything_shown(at) and "Weekly shop" not in everything_shown(at)


def test_a_file_prepared_before_the_removal_is_not_offered_after_it(home):
    at = insights_as_dad(home)
    at = by_label(at.button, "Prepare CSV").click().run()
    assert [label.split(" (")[0] for label in downloads(at)] == ["Download CSV"]
    members.remove_member(home.access(), home.dad.id)
    at.run()
    no_exception(at)
    assert downloads(at) == []


def test_after_a_password_change_the_open_page_downloads_nothing(home):
    at = insights_as_dad(home)
    prepare = by_label(at.button, "Prepare Parquet")
    phone = devices.begin(home.engine, home.dad.id, keep=True).session_id
    sessions.change_password(  # on his phone (the Account page's call): every other session ends
        home.engine, home.dad.id, PASSWORD, "dad's brand new passphrase", keep_session=phone
    )
    at = prepare.click().run()
    no_exception(at)
    assert downloads(at) == [] and "Prepare Parquet" not in [b.label for b in at.button]
    assert "Weekly shop" not in everything_shown(at)
