"""The frame every page starts with: ``ctx = frame("Transactions")``.

It sets the page up, holds the process's one engine, finds who is signed in — the tab's device
session, or the device cookie the tab opened with (a reload, a new tab, a deep link, a server
restart, another server process) — draws the sign-in gate for signed-out visitors (and stops the
script there), and for a signed-in member draws the sidebar: family switch, a role-aware page list,
the quick-entry form, the change poller and sign-out. Each run checks the device session, so a
sign-out elsewhere, a password change or an expiry ends this tab at its next run, with the reason.
It returns a :class:`Context` that pages pass to ``budget_core`` calls. Every page can run alone (a
deep link on a fresh server runs ``pages/X.py`` without ``today.py``), so nothing here relies on
another page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import streamlit as st
from sqlalchemy import Engine

from budget_core.config import settings
from budget_core.db.engine import get_engine, get_owner_engine
from budget_core.errors import BudgetError
from budget_core.ops import notifications, schedule_poster
from budget_core.services import categories, devices, families, transactions
from budget_core.services.access import Family, FamilyAccess
from budget_core.services.accounts import User
from budget_core.services.families import Membership

from . import browser, device, focus, gate, offline, poller, quick_entry, style, undo, versions, wake
from .errors import DB_DOWN, OFFLINE, OFFLINE_SAVED, show_error, shown_errors
from .format import Fmt, inert, md_escape
from .keys import FLASH, OFFLINE_KIT, REFRESH, WOKEN

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Context:
    """Who is looking at which family; what every page needs.

    ``access`` is the family handle opened for this page run (membership checked): every
    ``budget_core`` call about the family takes it.
    """

    access: FamilyAccess
    user: User
    memberships: tuple[Membership, ...]
    session_id: int = 0  # the tab's device session (Account page: "this device")
    is_operator: bool = False  # runs the server: sees the Health page's server-wide figures
    locale: str = "en_US"  # how the family writes money and dates (its setting, or derived)

    @property
    def engine(self) -> Engine:
        return self.access.engine

    @property
    def family(self) -> Family:
        return self.access.family

    @property
    def role(self) -> str:
        return self.access.role

    @property
    def member_name(self) -> str:
        return self.access.member_name

    @property
    def is_manager(self) -> bool:
        return self.access.is_manager

    @property
    def currency(self) -> str:
        return self.access.currency

    @property
    def today(self) -> date:
        """Today in the family's time zone."""
        return self.access.today()

    @property
    def fmt(self) -> Fmt:
        """The family's way of writing money, dates and times."""
        return Fmt(self.currency, self.locale, self.family.timezone)


def browser_language() -> str | None:
    """The browser's language ('de-DE'), or None without a browser (AppTest)."""
    try:
        return st.context.locale
    except Exception:  # noqa: BLE001 - no browser connection (AppTest)
        return None


@st.cache_resource(show_spinner="Starting the family's database…")
def _engine_for(database_url: str | None) -> Engine:
    """The process's engine (keyed by the configured URL so tests with their own database get theirs)."""
    return get_engine()


def _engine() -> Engine:
    engine = _engine_for(settings().database_url)
    _background_for(settings().database_url)
    return engine


@st.cache_resource(show_spinner=False)
def _background_for(database_url: str | None) -> None:
    """Start the process's notification dispatcher (system work across families: the owner's engine)
    and let the change watcher wake the sessions of a family that changed."""
    notifications.get_dispatcher(get_owner_engine())
    versions.wake_sessions_on_change()
    schedule_poster.start_poster(get_engine())  # scheduled entries, posted through each family's door


def _offline_page(err: BaseException) -> None:
    st.markdown("## Family Budget")
    show_error(err)
    if st.button("Try again", type="primary"):
        st.rerun()
    st.stop()


PAGES = (
    ("today.py", "Today", ":material/today:", "member"),
    ("pages/1_Transactions.py", "Transactions", ":material/receipt_long:", "member"),
    ("pages/2_Activity.py", "Activity", ":material/history:", "member"),
    ("pages/3_Plan.py", "Plan & categories", ":material/tune:", "member"),
    ("pages/4_Family.py", "Family", ":material/group:", "manager"),
    ("pages/5_Import.py", "Import", ":material/upload_file:", "member"),
    ("pages/6_Insights.py", "Insights", ":material/insights:", "member"),
    ("pages/7_Health.py", "Health", ":material/monitor_heart:", "manager"),
    ("pages/8_Account.py", "Your account", ":material/account_circle:", "member"),
)


def _page_links(role: str, is_operator: bool) -> None:
    for path, label, icon, needs in PAGES:
        if needs == "manager" and role != "manager" and not (is_operator and label == "Health"):
            continue
        if not (ROOT / path).exists():
            continue
        st.page_link(path, label=label, icon=icon)


def _choose_family(memberships: list[Membership]) -> Membership:
    ids = [m.family_id for m in memberships]
    wanted = st.session_state.get(gate.FAMILY)
    if wanted not in ids:
        wanted = ids[0]
        st.session_state[gate.FAMILY] = wanted
    if len(memberships) > 1:
        names = {m.family_id: m.family_name for m in memberships}
        chosen = st.sidebar.selectbox(
            "Family", ids, index=ids.index(wanted), format_func=names.get, key="family_switch"
        )
        if chosen != wanted:
            st.session_state[gate.FAMILY] = chosen
            wanted = chosen
    return memberships[ids.index(wanted)]


def _sign_out(message: str | None = None) -> None:
    """End the tab's device session, forget everything of it, and have the browser drop the cookie."""
    session_id = st.session_state.get(gate.SESSION)
    if session_id is not None:
        try:
            devices.end(_engine(), session_id=session_id)
        except DB_DOWN:
            pass  # the cookie's route ends it too, and it expires anyway; the tab forgets it now
    wake.unregister()
    for key in list(st.session_state.keys()):
        if key not in device.KEEP_ON_SIGN_OUT:
            del st.session_state[key]
    if message:
        st.session_state[gate.ENDED] = message
    device.forget()


def sign_out(message: str) -> None:
    """Sign this tab out (its session already ended or not) and show the sign-in screen with ``message``."""
    _sign_out(message)
    st.rerun()


def _signed_in(engine: Engine) -> devices.Session | None:
    """The tab's live device session: the one it holds, else the one its cookie names; None when
    signed out (with the reason shown on the sign-in screen when a session ended)."""
    session_id = st.session_state.get(gate.SESSION)
    token = None if session_id is not None else device.cookie_token()
    if session_id is None and token is None:
        return None
    # only the person's own actions keep a session alive: a run caused by another member's change
    # (a wake, or the poller catching up) checks the session without touching it
    own_action = not st.session_state.pop(WOKEN, False)
    try:
        session = devices.check(engine, session_id=session_id, token=token, touch=own_action)
    except devices.SignedOut as ended:  # signed out elsewhere, expired, password changed or reset
        if token is not None:
            device.used(token)
        _sign_out(ended.message)
        return None
    if token is not None:
        device.used(token)
        st.session_state[gate.SESSION] = session.session_id
        st.session_state[gate.USER] = session.user.id
    return session


def _no_family(engine: Engine, user: User) -> None:
    st.markdown("## Family Budget")
    st.info(
        f"{inert(user.display_name)}, you are not in any family right now. Ask a manager for an invitation link, "
        "or sign out and create a new family."
    )
    if st.button("Sign out"):
        _sign_out("You are signed out.")
        st.rerun()
    device.sync()
    st.stop()


ENTRY_FRAGMENT = "fb_entry"
PAGE_ENTRY_FRAGMENT = "fb_today_side"  # Today's fragment holding the phone's entry form (place "main")


def _quick_entry(ctx: Context) -> None:
    """Draw the sidebar form (a fragment: saving reruns it and the page's figures, not the page)."""
    cats = categories.list_categories(ctx.access)
    last = transactions.last_category_id(ctx.access)
    st.session_state[OFFLINE_KIT] = (ctx, cats, last)  # what the forms need if the database goes away
    _entry_fragment(ctx)


@st.fragment(key=ENTRY_FRAGMENT)
def _entry_fragment(ctx: Context) -> None:
    entry_form(ctx, "sidebar")
    flash = st.session_state.pop(FLASH, None)
    if flash:
        icon = ":material/schedule:" if flash == OFFLINE_SAVED else ":material/check_circle:"
        st.toast(md_escape(flash), icon=icon)
    if st.session_state.get(quick_entry.SAVED):
        quick_entry.focus_amount()


def entry_form(ctx: Context, place: str) -> None:
    """The quick-entry form at ``place`` ('sidebar', or 'main' on Today for phones)."""
    _kit_ctx, cats, last = st.session_state[OFFLINE_KIT]
    quick_entry.quick_expense_form(
        cats,
        last,
        ctx.fmt,
        ctx.today,
        on_save=lambda where: _save(ctx, cats, where),
        on_confirm=lambda: _save(ctx, cats, None),
        monthly_income=ctx.family.monthly_income,
        place=place,
    )


def _redraw(place: str | None, form_too: bool = False) -> None:
    """After a submit: rerun only what changed — the page's headline figures (``REFRESH``), and the
    form that was used when it has something new to show (a refusal, a question) — never the whole
    page. The rest of Today (notes, tiles, charts, the plan table) follows a moment later
    (``wake.follow_up``)."""
    figures = list(st.session_state.get(REFRESH, []))
    sidebar = form_too and place == "sidebar"
    page_form = [PAGE_ENTRY_FRAGMENT] if form_too and place == "main" else []
    st.rerun(([ENTRY_FRAGMENT] if sidebar or not figures else []) + figures + page_form)


def _save(ctx: Context, cats, place: str | None) -> None:
    """The form's callback, run before the fragments rerun: save what was typed at ``place`` (None:
    the draft waiting for a "yes" to an amount above the monthly income)."""
    draft = None
    try:
        if place is None:
            place, draft = st.session_state.pop(quick_entry.CONFIRM)
        else:
            draft = quick_entry.read_draft(place, cats, ctx.currency, ctx.today)
            if quick_entry.needs_confirmation(draft, ctx.family.monthly_income):
                quick_entry.ask_to_confirm(place, draft)
                _redraw(place, form_too=True)
        saved = transactions.add_transaction(ctx.access, draft)
    except DB_DOWN:
        if draft is None:
            quick_entry.refuse(place or "sidebar", OFFLINE)
            st.rerun()
        offline.keep_for_later(ctx.access, draft)
        quick_entry.mark_saved()
        st.session_state[FLASH] = OFFLINE_SAVED
        st.rerun()
    except BudgetError as err:
        quick_entry.refuse(place or "sidebar", err.message)
        _redraw(place, form_too=True)
    form_too = quick_entry.mark_saved()
    what = "Refund" if saved.is_refund else "Saved"
    st.session_state[FLASH] = f"{what}: {ctx.fmt.money(abs(saved.amount))} · {saved.description}"
    _redraw(place, form_too)


def _degraded(err: BaseException) -> None:
    """The database went away during a signed-in session: keep the sidebar entry working (into
    the outbox), show what is pending, say plainly that the figures cannot be refreshed."""
    ctx, cats, last = st.session_state[OFFLINE_KIT]
    st.session_state[REFRESH] = []  # no figures on this page to redraw after a save
    with st.sidebar:
        st.markdown(f"**{inert(ctx.family.name)}**")
        st.warning(
            "Offline: new entries are kept on this device and saved when the database is back.",
            icon=":material/cloud_off:",
        )
        _entry_fragment(ctx)
        offline.outbox_panel(ctx.access, categories=cats)
    flash = st.session_state.pop(FLASH, None)
    if flash:
        st.toast(inert(flash), icon=":material/schedule:")
    st.markdown("## Family Budget")
    show_error(err)
    if st.button("Try again", type="primary", key="retry_offline"):
        st.rerun()
    _back_online(ctx.engine)
    st.stop()


@st.fragment(run_every=timedelta(seconds=2))
def _back_online(engine: Engine) -> None:
    """While offline, look for the database every 2 s and redraw everything once it is back."""
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except DB_DOWN:
        return
    st.rerun(scope="app")


def frame(title: str) -> Context:
    """Draw the shared frame of a page titled ``title`` and return who is looking at which family.

    Signed-out visitors get the gate and the script stops; so does a lost database connection.
    """
    st.set_page_config(
        page_title=f"{title} · Family Budget",
        page_icon=":material/savings:",
        layout="wide",
        initial_sidebar_state="auto",
    )
    style.apply()
    token = st.query_params.get("invite")
    reset = st.query_params.get("reset")
    try:
        engine = _engine()
        session = _signed_in(engine)
        if reset:
            gate.reset_screen(engine, reset, signed_in_as=session.user.email if session else None)
            device.sync()
            st.stop()
        if session is None:
            gate.signed_out(engine, token)
            st.stop()
        user = session.user
        if token:
            gate.invitation_banner(engine, user.id, token)
        memberships = families.my_families(engine, user.id)
        if not memberships:
            _no_family(engine, user)
        membership = _choose_family(memberships)
        access = families.open(engine, user.id, membership.family_id)
        family = access.family
        versions.watch(family.id)
        poller.page_run(access, family.version)
    except DB_DOWN as err:
        if st.session_state.get(OFFLINE_KIT):
            _degraded(err)
        _offline_page(err)
    except BudgetError as err:
        _offline_page(err)
    ctx = Context(
        access,
        user,
        tuple(memberships),
        session.session_id,
        session.is_operator,
        access.family.locale(browser_language()),
    )
    st.session_state[REFRESH] = []  # the page names the fragments that show figures (redrawn after a save)
    with st.sidebar:
        st.markdown(
            f"**{inert(family.name)}**  \n<span class='fb-muted'>{inert(ctx.member_name)} · {ctx.role}</span>",
            unsafe_allow_html=True,
        )
        _page_links(ctx.role, ctx.is_operator)
        with shown_errors():
            _quick_entry(ctx)
        offline.outbox_panel(access, categories=st.session_state.get(OFFLINE_KIT, (None, ()))[1])
        if not st.session_state.get("fb_focused"):
            st.session_state["fb_focused"] = True
            quick_entry.focus_amount()
        st.session_state.pop(quick_entry.SAVED, None)
        focus.returns()  # a tab coming back into view reruns the page, which catches up at once
        if device.sync(access.engine, session.session_id) is False:
            st.session_state[device.NOT_REMEMBERED] = True
        if st.session_state.get(device.NOT_REMEMBERED):
            st.caption(
                "This browser could not be set to remember you: a reload will ask you to sign in again.",
                help="The sign-in took longer than two minutes to reach the browser, or the connection dropped.",
            )
        browser.connect()  # "Offline — reconnecting…", the phone's drawer, rows opened from tables
        poller.change_poller(access)
        if st.button("Sign out", key="sign_out", icon=":material/logout:"):
            _sign_out("You are signed out.")
            st.rerun()
    flash = st.session_state.pop(FLASH, None)
    if flash:
        st.toast(inert(flash), icon=":material/check_circle:")
    poller.show_queued_toasts()
    undo.bar(ctx)
    return ctx
