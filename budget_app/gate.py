"""What a signed-out visitor sees: sign in, create a family, explore the demo, accept an invitation,
ask for a password reset and use a reset link.

Nothing of any family is shown here. Each form validates everything before writing, so a refused
entry writes nothing and keeps what was typed. Every way in offers "Keep me signed in on this
device" (on by default) and ends in ``sign_in_as``: the tab is signed in at once, and the browser
is asked to store the device cookie (``budget_app.device``).
"""

from __future__ import annotations

from datetime import date

import streamlit as st
from sqlalchemy import Engine

from budget_core.config import settings
from budget_core.demo import create_demo, demo_offered
from budget_core.domain.locale import default_locale
from budget_core.domain.money import check_currency
from budget_core.errors import ValidationError
from budget_core.ops import notifications
from budget_core.services import devices, invitations, passwords, sessions
from budget_core.services.signup import SignUp, join_as_new, sign_up

from . import device, links
from .errors import shown_errors
from .format import Fmt, inert, md_escape
from .inputs import currency_choices, fixed_expense_lines, plan_amount, timezone_names
from .plan_views import plan_preview

USER = "user_id"
FAMILY = "family_id"
SESSION = "session_id"  # the row of the tab's device session (server memory; the token is only in the cookie)
ENDED = "fb_session_ended"
FORGOT = "fb_forgot_password"
KEEP_HELP = "Stay signed in on this browser for 30 days after you last use it. Untick on a shared computer."
SIGNED_UP = "fb_signed_up"  # sign-up's answer, shown with the sign-in form


def sign_in_as(engine: Engine, user_id: int, family_id: int | None = None, *, keep: bool = True) -> None:
    """Start a device session for ``user_id`` in this tab and ask the browser to remember it."""
    begun = devices.begin(engine, user_id, keep=keep, user_agent=device.user_agent())
    st.session_state.pop(ENDED, None)
    st.session_state.pop(SIGNED_UP, None)
    st.session_state[USER] = user_id
    st.session_state[SESSION] = begun.session_id
    if family_id is not None:
        st.session_state[FAMILY] = family_id
    device.remember(begun.ticket)


def _keep(prefix: str) -> bool:
    return st.checkbox("Keep me signed in on this device", value=True, key=f"{prefix}_keep", help=KEEP_HELP)


def client_address() -> str:
    """The browser's address for per-client rate limits: the connection's real peer (loopback
    included), or with ``BUDGET_TRUSTED_PROXIES`` the client its trusted proxies name
    (``sessions.client_key``). From the public ``st.context``."""
    try:
        peer = st.context.ip_address
        forwarded = st.context.headers.get("X-Forwarded-For")
    except Exception:  # noqa: BLE001 - no browser connection (AppTest): counted as loopback
        peer = forwarded = None
    return sessions.client_key(peer, forwarded, settings().trusted_proxies)


def _browser_timezone() -> str:
    try:
        tz = st.context.timezone
    except Exception:  # noqa: BLE001 - no browser context (tests): fall back quietly
        tz = None
    return tz if tz in timezone_names() else "UTC"


def _header(subtitle: str) -> None:
    st.markdown("## Family Budget")
    st.markdown(f'<p class="fb-muted">{inert(subtitle)}</p>', unsafe_allow_html=True)


def _sign_in_form(engine: Engine, token: str | None) -> None:
    with st.form("sign_in", enter_to_submit=True):
        email = st.text_input("Email", key="signin_email", autocomplete="email")
        password = st.text_input("Password", type="password", key="signin_password", autocomplete="current-password")
        keep = _keep("signin")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        with shown_errors():
            user = sessions.verify_sign_in(engine, email, password, client=client_address())
            family_id = sessions.redeem(engine, user.id, token, client=client_address()) if token else None
            sign_in_as(engine, user.id, family_id, keep=keep)
            if token:
                st.query_params.clear()
            st.rerun()
    if token is None:
        _forgot_password(engine)


def _forgot_password(engine: Engine) -> None:
    """'Forgot your password?': a reset link by e-mail, or who can make one when there is no e-mail."""
    if not st.session_state.get(FORGOT):
        if st.button("Forgot your password?", key="forgot", type="tertiary"):
            st.session_state[FORGOT] = True
            st.rerun()
        return
    box = st.container(border=True)
    box.markdown("**Forgot your password?**")
    if not notifications.channel_configured("email"):
        box.markdown(inert(passwords.NO_MAIL))
        return
    with box.form("forgot_form", enter_to_submit=True):
        email = st.text_input("Your account's email", key="forgot_email", autocomplete="email")
        asked = st.form_submit_button("Send me a reset link")
    if asked:
        with shown_errors(box):
            answer = passwords.request_by_email(engine, email, base_url=links.base_url(), client=client_address())
            box.success(answer, icon=":material/mail:")


def reset_screen(engine: Engine, token: str, signed_in_as: str | None = None) -> None:
    """A password reset link was opened: choose a new password, then be signed in with it."""
    _, middle, _ = st.columns([1, 2.2, 1])
    with middle:
        _header("Choose a new password")
        person = None
        with shown_errors():
            person = passwords.peek(engine, token)
        if person is None:
            if st.button("Go to the sign-in page", key="reset_done"):
                st.query_params.clear()
                st.rerun()
            return
        st.markdown(
            f"For the account `{person.email.replace(chr(96), chr(39))}`. Every device signed in to it will be signed out."
        )
        if signed_in_as and signed_in_as != person.email:
            st.caption(f"You are signed in as {inert(signed_in_as)} here; this link signs you in as the account above.")
        with st.form("reset_form", enter_to_submit=True):
            new = st.text_input(
                "New password",
                type="password",
                key="reset_password",
                autocomplete="new-password",
                help="At least 8 characters, not a common one.",
            )
            keep = _keep("reset")
            chosen = st.form_submit_button("Save the new password and sign in", type="primary")
        if chosen:
            with shown_errors():
                user = passwords.reset(engine, token, new, client=client_address())
                current = st.session_state.get(SESSION)
                if current is not None:
                    devices.end(engine, session_id=current, reason="sign-out")
                for key in (USER, SESSION, FAMILY, FORGOT):
                    st.session_state.pop(key, None)
                sign_in_as(engine, user.id, keep=keep)
                st.query_params.clear()
                st.rerun()
        if st.button("Cancel", key="reset_cancel"):
            st.query_params.clear()
            st.rerun()


def _account_fields(prefix: str) -> tuple[str, str, str]:
    name = st.text_input("Your name", key=f"{prefix}_name", placeholder="How the family calls you, e.g. Mom")
    email = st.text_input("Email", key=f"{prefix}_email", autocomplete="email")
    password = st.text_input(
        "Password",
        type="password",
        key=f"{prefix}_password",
        autocomplete="new-password",
        help="At least 8 characters, not a common one, not your e-mail address.",
    )
    return name, email, password


def _browser_language() -> str | None:
    try:
        return st.context.locale
    except Exception:  # noqa: BLE001 - no browser context (tests): the currency decides alone
        return None


def _create_family_form(engine: Engine) -> None:
    """Sign-up: the person and their family's plan. Not a form, so what the plan means is shown
    as it is typed (every amount read by the same parser as the quick-entry box)."""
    zones = timezone_names()
    with st.container(key="fb_signup"):
        st.markdown("**You**")
        name, email, password = _account_fields("signup")
        st.markdown("**Your family's plan**")
        family_name = st.text_input("Family name", key="signup_family", placeholder="The Smiths")
        c1, c2 = st.columns(2)
        currency = c1.selectbox("Currency", currency_choices(), key="signup_currency")
        start_day = c2.number_input(
            "Period starts on day",
            1,
            31,
            1,
            key="signup_start_day",
            help="The day your month's budget restarts, usually payday.",
        )
        income = c1.text_input("Monthly income", key="signup_income", placeholder="5200")
        savings = c2.text_input("Savings goal per period", key="signup_savings", placeholder="600")
        timezone = st.selectbox("Time zone", zones, index=zones.index(_browser_timezone()), key="signup_timezone")
        fixed = st.text_area(
            "Fixed expenses, one per line",
            key="signup_fixed",
            placeholder="Rent 1500\nDaycare 1 200",
            help="Bills you pay every period: a name, then the amount. You can change them later on the Plan page.",
        )
        locale = default_locale(currency, _browser_language())
        _signup_preview(currency, locale, timezone, income, savings, fixed, int(start_day))
        submitted = st.button("Create our family", type="primary", key="signup_create")
    if not submitted:
        return
    with shown_errors():
        currency = check_currency(currency)
        form = SignUp(
            name,
            email,
            password,
            family_name,
            currency,
            timezone,
            monthly_income=plan_amount(income, currency, "monthly income"),
            savings_goal=plan_amount(savings, currency, "savings goal"),
            period_start_day=int(start_day),
            fixed_expenses=tuple(fixed_expense_lines(fixed, currency)),
            locale=locale,
        )
        _answered(sign_up(engine, form, client=client_address()), email)


def _answered(answer: str, email: str) -> None:
    """Sign-up's answer, the same whether the address was new or taken: show it above the sign-in
    form, the address filled in (nobody is signed in by signing up: that would tell which it was)."""
    st.session_state[SIGNED_UP] = answer
    st.session_state[SIGNED_UP + "_email"] = email.strip()  # filled into the sign-in form on the next run
    st.query_params.clear()
    st.rerun()


def _signup_preview(
    currency: str, locale: str, timezone: str, income: str, savings: str, fixed: str, start_day: int
) -> None:
    """What the typed plan was read as (before anything is saved); a line that cannot be read says why."""
    if not (income or "").strip() and not (fixed or "").strip():
        return
    fmt = Fmt(currency, locale, timezone)
    try:
        lines = fixed_expense_lines(fixed, currency)
        typed_income = plan_amount(income, currency, "monthly income")
        typed_savings = plan_amount(savings, currency, "savings goal")
    except ValidationError as err:
        st.caption(md_escape(err.message))
        return
    names = ", ".join(f"{n} {fmt.money(a)}" for n, a in lines)
    plan_preview(fmt, typed_income, sum(a for _, a in lines), typed_savings, start_day, date.today(), names)


def _join_as_new_form(engine: Engine, token: str) -> None:
    with st.form("join_new", enter_to_submit=False):
        name, email, password = _account_fields("join")
        submitted = st.form_submit_button("Create my account and join", type="primary")
    if submitted:
        with shown_errors():
            _answered(
                join_as_new(engine, token, name=name, email=email, password=password, client=client_address()), email
            )


def _demo_button(engine: Engine) -> None:
    if not demo_offered(engine):
        return
    st.divider()
    st.markdown("Just looking? Open a sample family with two months of made-up spending.")
    if st.button("Explore the demo family", key="demo"):
        with shown_errors(), st.spinner("Setting up the demo family…"):
            family_id, user_id = create_demo(engine)
            sign_in_as(engine, user_id, family_id, keep=True)
            st.rerun()


def signed_out(engine: Engine, token: str | None) -> None:
    """Draw the gate for a signed-out visitor (the caller stops the script afterwards)."""
    _, middle, _ = st.columns([1, 2.2, 1])
    with middle:
        _gate(engine, token)
        device.sync()  # a cookie to clear after a sign-out, or one whose session has ended


def _gate(engine: Engine, token: str | None) -> None:
    ended = st.session_state.get(ENDED)  # kept until the next sign-in: the page reruns meanwhile
    if ended:
        st.info(inert(ended), icon=":material/logout:")
    answer = st.session_state.get(SIGNED_UP)
    if SIGNED_UP + "_email" in st.session_state:  # before the form's widget exists in this run
        st.session_state["signin_email"] = st.session_state.pop(SIGNED_UP + "_email")
    if answer and not token:
        _header("Sign in to your family.")
        st.success(inert(answer), icon=":material/mark_email_read:")
        _sign_in_form(engine, None)
        return
    if token:
        family_name = role = None
        with shown_errors():
            _, family_name, role = invitations.peek_invitation(engine, token)
        if family_name:
            _header(f"You're invited to join {family_name} as a {role}.")
            new, existing = st.tabs(["I'm new here", "I have an account"])
            with new:
                _join_as_new_form(engine, token)
            with existing:
                _sign_in_form(engine, token)
            return
        _header("How much can we still spend today?")
    else:
        _header("How much can we still spend today? Sign in, or set up your family in a minute.")
    sign_in, create = st.tabs(["Sign in", "Create your family"])
    with sign_in:
        _sign_in_form(engine, None)
    with create:
        _create_family_form(engine)
    _demo_button(engine)


def invitation_banner(engine: Engine, user_id: int, token: str) -> None:
    """A signed-in person opened an invitation link: offer to join that family too."""
    with shown_errors():
        _, family_name, role = invitations.peek_invitation(engine, token)
        box = st.container(border=True)
        box.markdown(f"You're invited to join **{inert(family_name)}** as a {role}.")
        c1, c2 = box.columns(2)
        if c1.button("Join", type="primary", key="join_invited"):
            st.session_state[FAMILY] = sessions.redeem(engine, user_id, token, client=client_address())
            st.query_params.clear()
            st.rerun()
        if c2.button("Not now", key="ignore_invite"):
            st.query_params.clear()
            st.rerun()
        return
    if st.button("Dismiss", key="dismiss_invite"):
        st.query_params.clear()
        st.rerun()
