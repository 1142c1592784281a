"""Activity, Plan & categories, Family, and the signed-out gate."""

from __future__ import annotations

import re

from budget_app.format import inert
from budget_core.services import accounts, bills, categories, families, invitations, members, transactions
from budget_core.services.access import open_family
from budget_core.services.signup import SIGNED_UP
from budget_core.services.transactions import TransactionDraft

from .conftest import PASSWORD, by_label, markdown_text, no_exception, open_page


# --- Activity ---------------------------------------------------------------------------------
def test_activity_tells_what_happened_newest_first_and_escapes_typed_text(home):
    transactions.add_transaction(
        open_family(home.engine, home.dad.id, home.family.id), TransactionDraft(1500, "<b>Lunch</b> $5 *now*", "Dining")
    )
    at = open_page("pages/2_Activity.py", user_id=home.mom.id, family_id=home.family.id)
    no_exception(at)
    feed = next(m.value for m in at.markdown if 'data-testid="fb-feed"' in m.value)
    assert "<b>" not in feed and "*now*" not in feed  # nothing of the typed text is markup
    assert feed.index(inert("Dad spent $15.00 on <b>Lunch</b> $5 *now*")) < feed.index(inert("Dad joined"))
    assert "just now" in feed


def test_activity_loads_older_events_on_demand(home):
    for i in range(35):
        transactions.add_transaction(
            open_family(home.engine, home.dad.id, home.family.id), TransactionDraft(100 + i, f"Snack {i}", "Dining")
        )
    at = open_page("pages/2_Activity.py", user_id=home.mom.id, family_id=home.family.id)
    feed = next(m.value for m in at.markdown if 'data-testid="fb-feed"' in m.value)
    assert "Snack 34" in feed and "created the family" not in feed
    at = by_label(at.button, "Load older").click().run()
    feed = next(m.value for m in at.markdown if 'data-testid="fb-feed"' in m.value)
    assert "created the family Smiths" in feed


# --- Plan & categories -------------------------------------------------------------------------
def test_a_manager_changes_the_savings_goal(home):
    at = open_page("pages/3_Plan.py", user_id=home.mom.id, family_id=home.family.id)
    no_exception(at)
    by_label(at.main.text_input, "Savings goal per period").input("700")
    at = by_label(at.main.button, "Save plan").click().run()
    no_exception(at)
    assert open_family(home.engine, home.mom.id, home.family.id).family.savings_goal == 70000


def test_a_manager_adds_and_removes_a_bill(home):
    at = open_page("pages/3_Plan.py", user_id=home.mom.id, family_id=home.family.id)
    at.text_input(key="bill_name").input("Internet")
    at.text_input(key="bill_amount").input("45,90")
    at.number_input(key="bill_due").set_value(20)
    at.text_input(key="bill_words").input("VODAFONE KABEL")
    at = by_label(at.main.button, "Add bill").click().run()
    no_exception(at)
    listed = bills.list_bills(open_family(home.engine, home.mom.id, home.family.id))
    assert [(b.name, b.amount, b.due_day, b.words) for b in listed] == [
        ("Rent", 150000, None, ()),
        ("Internet", 4590, 20, ("VODAFONE KABEL",)),
    ]
    at.selectbox(key="bill_edit_pick").set_value(listed[0].id).run()
    at = by_label(at.main.button, "Remove bill").click().run()
    no_exception(at)
    assert [f.name for f in families.list_fixed_expenses(open_family(home.engine, home.mom.id, home.family.id))] == [
        "Internet"
    ]


def test_a_manager_adds_a_subcategory_renames_and_archives_it(home):
    at = open_page("pages/3_Plan.py", user_id=home.mom.id, family_id=home.family.id)
    dining = next(
        c
        for c in categories.list_categories(open_family(home.engine, home.mom.id, home.family.id))
        if c.name == "Dining"
    )
    at.text_input(key="cat_new_name").input("Coffee")
    at.selectbox(key="cat_new_parent").set_value(dining.id)
    at = by_label(at.main.button, "Add category").click().run()
    no_exception(at)
    coffee = next(
        c
        for c in categories.list_categories(open_family(home.engine, home.mom.id, home.family.id))
        if c.name == "Coffee"
    )
    assert (coffee.label, coffee.kind) == ("Dining › Coffee", "variable")
    at.selectbox(key="cat_pick").set_value(coffee.id).run()
    at.text_input(key=f"cat_rename_{coffee.id}").input("Cafés")
    at = at.button(key=f"cat_rename_btn_{coffee.id}").click().run()
    at.selectbox(key="cat_pick").set_value(coffee.id).run()
    at = at.button(key=f"cat_archive_{coffee.id}").click().run()
    no_exception(at)
    stored = categories.get_category(home.access(), coffee.id)
    assert (stored.name, stored.archived) == ("Cafés", True)


def test_a_member_sees_the_plan_read_only(home):
    at = open_page("pages/3_Plan.py", user_id=home.dad.id, family_id=home.family.id)
    no_exception(at)
    assert any("Only managers" in i.value for i in at.info)
    assert not [b for b in at.main.button if b.label in ("Save plan", "Add fixed expense", "Add category")]
    plan = next(m.value for m in at.markdown if 'data-testid="fb-plan"' in m.value)
    assert "&#36;5,200.00" in plan and "&#36;1,500.00" in plan
    assert "Page link" not in markdown_text(at)


# --- Family --------------------------------------------------------------------------------------
def test_a_manager_creates_an_invitation_and_sees_the_link_then_revokes_it(home):
    at = open_page("pages/4_Family.py", user_id=home.mom.id, family_id=home.family.id)
    no_exception(at)
    at.selectbox(key="invite_role").set_value("manager")
    at.number_input(key="invite_hours").set_value(5)
    at = by_label(at.main.button, "Create invitation link").click().run()
    link = at.code[0].value
    assert "/?invite=" in link
    token = link.split("invite=")[1]
    assert invitations.peek_invitation(home.engine, token)[2] == "manager"
    newest = invitations.list_invitations(open_family(home.engine, home.mom.id, home.family.id))[0]
    at = at.button(key=f"revoke_{newest.id}").click().run()
    no_exception(at)
    assert invitations.list_invitations(open_family(home.engine, home.mom.id, home.family.id))[0].revoked_at is not None


def test_a_manager_changes_a_role_and_removes_a_member(home):
    at = open_page("pages/4_Family.py", user_id=home.mom.id, family_id=home.family.id)
    at.selectbox(key="member_pick").set_value(home.dad.id).run()
    at = at.button(key=f"role_{home.dad.id}").click().run()
    assert {
        m.display_name: m.role for m in members.list_members(open_family(home.engine, home.mom.id, home.family.id))
    } == {"Mom": "manager", "Dad": "manager"}
    at.selectbox(key="member_pick").set_value(home.dad.id).run()
    at.checkbox(key=f"confirm_rm_{home.dad.id}").check().run()
    at = at.button(key=f"remove_{home.dad.id}").click().run()
    no_exception(at)
    assert [m.display_name for m in members.list_members(open_family(home.engine, home.mom.id, home.family.id))] == [
        "Mom"
    ]


def test_a_member_sees_the_family_but_cannot_manage_it(home):
    at = open_page("pages/4_Family.py", user_id=home.dad.id, family_id=home.family.id)
    no_exception(at)
    assert any("Only managers" in i.value for i in at.info)
    assert not at.main.selectbox


# --- The gate ------------------------------------------------------------------------------------
def test_signing_in_with_the_right_password_opens_today(home):
    at = open_page("today.py")
    at.text_input(key="signin_email").input("mom@example.com")
    at.text_input(key="signin_password").input(PASSWORD)
    at = by_label(at.button, "Sign in").click().run()
    no_exception(at)
    assert at.session_state["user_id"] == home.mom.id
    assert "Left today" in markdown_text(at)


def test_a_wrong_password_is_refused_with_a_clear_message(home):
    at = open_page("today.py")
    at.text_input(key="signin_email").input("mom@example.com")
    at.text_input(key="signin_password").input("wrong password!")
    at = by_label(at.button, "Sign in").click().run()
    assert any("do not match" in e.value for e in at.error)
    assert "user_id" not in at.session_state


def test_creating_a_family_signs_up_and_sets_the_plan(engine):
    at = open_page("today.py")
    at.text_input(key="signup_name").input("Alex")
    at.text_input(key="signup_email").input("alex@example.com")
    at.text_input(key="signup_password").input("a long secret 42")
    at.text_input(key="signup_family").input("The Lees")
    at.selectbox(key="signup_currency").set_value("EUR")
    at.number_input(key="signup_start_day").set_value(25)
    at.text_input(key="signup_income").input("4.200,00")
    at.text_input(key="signup_savings").input("500")
    at.selectbox(key="signup_timezone").set_value("Europe/Berlin")
    at.text_area(key="signup_fixed").input("Rent 1200\nInternet: 39,99")
    at = by_label(at.button, "Create our family").click().run()
    no_exception(at)
    # the answer is the same whether the address was new or taken, and nobody is signed in by it
    assert [s.value for s in at.success] == [inert(SIGNED_UP.format(email="alex@example.com"))]
    assert "user_id" not in at.session_state
    assert at.text_input(key="signin_email").value == "alex@example.com"
    at.text_input(key="signin_password").input("a long secret 42")
    at = by_label(at.button, "Sign in").click().run()
    no_exception(at)
    user = accounts.find_user(engine, "alex@example.com")
    family = open_family(engine, user.id, at.session_state["family_id"]).family
    assert (
        family.name,
        family.currency,
        family.monthly_income,
        family.savings_goal,
        family.period_start_day,
        family.timezone,
    ) == ("The Lees", "EUR", 420000, 50000, 25, "Europe/Berlin")
    assert [(f.name, f.amount) for f in families.list_fixed_expenses(open_family(engine, user.id, family.id))] == [
        ("Rent", 120000),
        ("Internet", 3999),
    ]
    assert "Left today" in markdown_text(at)


def test_a_refused_sign_up_writes_nothing_and_keeps_the_form(engine):
    at = open_page("today.py")
    at.text_input(key="signup_name").input("Alex")
    at.text_input(key="signup_email").input("alex@example.com")
    at.text_input(key="signup_password").input("a long secret 42")
    at.text_input(key="signup_family").input("The Lees")
    at.text_input(key="signup_income").input("lots")
    at = by_label(at.button, "Create our family").click().run()
    assert any("is not an amount" in e.value for e in at.error)
    assert accounts.find_user(engine, "alex@example.com") is None
    assert at.text_input(key="signup_family").value == "The Lees"


def test_a_new_person_joins_through_an_invitation_link(home):
    token = invitations.create_invitation(open_family(home.engine, home.mom.id, home.family.id)).token
    at = open_page("today.py")
    at.query_params["invite"] = token
    at.run()
    assert "invited to join Smiths as a member" in markdown_text(at)
    at.text_input(key="join_name").input("Grandma")
    at.text_input(key="join_email").input("grandma@example.com")
    at.text_input(key="join_password").input("knitting needles 7")
    at = by_label(at.button, "Create my account and join").click().run()
    no_exception(at)
    assert "Grandma" in [
        m.display_name for m in members.list_members(open_family(home.engine, home.mom.id, home.family.id))
    ]
    assert [s.value for s in at.success] == [inert(SIGNED_UP.format(email="grandma@example.com"))]
    at.text_input(key="signin_password").input("knitting needles 7")
    at = by_label(at.button, "Sign in").click().run()
    assert at.session_state["family_id"] == home.family.id


def test_a_member_of_two_families_switches_between_them(home):
    token = invitations.create_invitation(open_family(home.engine, home.eve.id, home.other.id)).token
    invitations.redeem_invitation(home.engine, home.mom.id, token)
    at = open_page("today.py", user_id=home.mom.id, family_id=home.family.id)
    at.sidebar.selectbox(key="family_switch").set_value(home.other.id).run()
    no_exception(at)
    assert at.session_state["family_id"] == home.other.id
    assert "€" in next(m.value for m in at.markdown if 'data-testid="fb-allowance"' in m.value)


def test_signing_out_forgets_the_person_and_shows_the_gate(home):
    at = open_page("today.py", user_id=home.mom.id, family_id=home.family.id)
    at = at.sidebar.button(key="sign_out").click().run()
    no_exception(at)
    assert "user_id" not in at.session_state
    assert [t.label for t in at.tabs] == ["Sign in", "Create your family"]


def test_a_signed_in_person_opening_an_invitation_joins_that_family_too(home):
    token = invitations.create_invitation(open_family(home.engine, home.eve.id, home.other.id), role="manager").token
    at = open_page(user_id=home.mom.id, family_id=home.family.id, invite=token)
    assert "You're invited to join **Others** as a manager." in markdown_text(at)
    at = by_label(at.button, "Join").click().run()
    no_exception(at)
    assert at.session_state["family_id"] == home.other.id
    assert {m.family_name: m.role for m in families.my_families(home.engine, home.mom.id)} == {
        "Smiths": "manager",
        "Others": "manager",
    }


def test_the_health_page_shows_managers_each_part_and_how_degraded_each_feature_is(home, tmp_path, monkeypatch):
    from budget_core import config

    monkeypatch.setenv("BUDGET_DATA_DIR", str(tmp_path))
    config.reset_settings()
    at = open_page("pages/7_Health.py", user_id=home.mom.id, family_id=home.family.id)
    no_exception(at)
    text = markdown_text(at)
    assert "**Today's figures are up to date**" in text and "working" in text
    parts = at.dataframe[0].value
    assert "Database" in list(parts["Part"]) and any("round trip" in v for v in parts["State"])


def test_members_do_not_see_the_health_page(home):
    at = open_page("pages/7_Health.py", user_id=home.dad.id, family_id=home.family.id)
    no_exception(at)
    assert any("Only the family's managers" in i.value for i in at.info)
    assert not at.dataframe


def test_an_unexpected_failure_shows_a_reference_and_logs_it_without_personal_data(home, tmp_path, monkeypatch):
    from budget_core import config
    from budget_core.services import budgets

    monkeypatch.setenv("BUDGET_DATA_DIR", str(tmp_path))
    config.reset_settings()

    def bug(*args, **kwargs):  # a programming error deep in a page, carrying personal data in its message
        raise RuntimeError("Mom spent $12.34 at mom@example.com")

    monkeypatch.setattr(budgets, "daily_budget", bug)
    at = open_page("today.py", user_id=home.mom.id, family_id=home.family.id)
    assert not at.exception  # no traceback reaches the browser
    shown = " ".join(e.value for e in at.error)
    ref = re.search(r"reference (E-[0-9A-F]{6})", shown).group(1)
    logged = (tmp_path / "logs" / "errors.log").read_text()
    assert f"ref={ref} type=RuntimeError" in logged
    assert "mom@example.com" not in logged and "12.34" not in logged
