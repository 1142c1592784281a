"""Signing up: a new person's account, their family with its plan and fixed expenses, at once.

Everything typed is checked before anything is written, so a refused sign-up stores nothing and
the form keeps what was typed. Amounts are minor units of the family's currency.

A stranger must not learn whether an address has an account, so sign-up answers the same either
way (:data:`SIGNED_UP`) and signs nobody in: when the address is new, the account and the family
are made and the person signs in with what they chose; when it is taken, nothing is written and
the address's owner is told by e-mail (when ``BUDGET_SMTP_URL`` is set). Both do the same password
hashing. Sign-ups are rate-limited per client and per address like sign-ins (``sessions.attempt``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from ..domain.locale import check_locale
from ..domain.money import check_currency
from ..domain.period import check_start_day
from . import sessions
from .access import Family
from .accounts import EmailTaken, User, check_display_name, check_email, check_password, create_user
from .families import (
    add_fixed_expense,
    check_family_name,
    check_fixed_expense,
    check_plan_amount,
    check_timezone,
    create_family,
    open_family,
)


@dataclass(frozen=True, slots=True)
class SignUp:
    """What the sign-up form asks: the person, and their family's plan."""

    name: str
    email: str
    password: str
    family_name: str
    currency: str
    timezone: str
    monthly_income: int
    savings_goal: int
    period_start_day: int
    fixed_expenses: tuple[tuple[str, int], ...] = ()
    locale: str | None = None  # how money and dates are written; None: from the currency


SIGNED_UP = (
    "Thank you. If {email} is new here, your account is ready: sign in with it and the password you "
    "chose. If it already has an account, nothing was changed and its owner has been told."
)
TAKEN_SUBJECT = "Someone tried to create an account with your address"
TAKEN_BODY = (
    "Someone (perhaps you) tried to create a new Family Budget account with this e-mail address, "
    "which already has one. Nothing was changed.\n\nIf it was you, sign in with your existing "
    "password instead{then}. If it was not you, you can ignore this message.\n"
)


def _signup_keys(email: str, client: str | None) -> list[tuple[str, int]]:
    from ..domain.storable import normal_email

    keys = [(f"signup-address:{normal_email(email)}", sessions.LIMITS["signup-address"])]
    if client:
        keys.append((f"signup:{client}", sessions.LIMITS["signup"]))
    return keys


def _tell_owner(email: str, then: str = "") -> None:
    from ..ops import notifications

    notifications.send_account_notice(email, TAKEN_SUBJECT, TAKEN_BODY.format(then=then))


def sign_up(engine: Engine, form: SignUp, *, client: str | None = None) -> str:
    """Create the account and the family (the person becomes its manager) and return the answer to
    show, :data:`SIGNED_UP` — the same when the address already has an account (then nothing is
    written and its owner is told). ValidationError, with nothing written, for anything that cannot
    be accepted; RateLimited after too many sign-ups from one client or for one address."""
    _create_account_and_family(engine, form, client=client)
    return SIGNED_UP.format(email=form.email.strip())


def _create_account_and_family(
    engine: Engine, form: SignUp, *, client: str | None = None
) -> tuple[User, Family] | None:
    """The account and family of a new address, or None (nothing written) when it is taken."""
    check_display_name(form.name)
    check_email(form.email)
    check_password(form.password, form.email)
    check_family_name(form.family_name)
    check_currency(form.currency)
    check_timezone(form.timezone)
    check_plan_amount(form.monthly_income, "monthly income", positive=True)
    check_plan_amount(form.savings_goal, "savings goal")
    check_start_day(form.period_start_day)
    if form.locale:
        check_locale(form.locale)
    for name, amount in form.fixed_expenses:
        check_fixed_expense(name, amount)
    sessions.attempt(engine, _signup_keys(form.email, client))
    try:
        user = create_user(engine, form.email, form.name, form.password)
    except EmailTaken:
        _tell_owner(form.email)
        return None
    family = create_family(
        engine,
        user.id,
        name=form.family_name,
        currency=form.currency,
        timezone=form.timezone,
        monthly_income=form.monthly_income,
        savings_goal=form.savings_goal,
        period_start_day=form.period_start_day,
        locale=form.locale,
    )
    if form.fixed_expenses:
        access = open_family(engine, user.id, family.id)
        for name, amount in form.fixed_expenses:
            add_fixed_expense(access, name, amount)
        family = open_family(engine, user.id, family.id).family
    return user, family


def join_as_new(engine: Engine, token: str, *, name: str, email: str, password: str, client: str | None = None) -> str:
    """Create an account and redeem the invitation ``token`` with it; return the answer to show,
    :data:`SIGNED_UP`, the same when the address already has an account (then no account is made,
    the invitation stays open and the owner is told to sign in and open the link again). The account
    details and the invitation are checked first, so a refused join creates no account."""
    from .invitations import peek_invitation
    from .sessions import redeem

    check_display_name(name)
    check_email(email)
    check_password(password, email)
    peek_invitation(engine, token)
    sessions.attempt(engine, _signup_keys(email, client))
    try:
        user = create_user(engine, email, name, password)
    except EmailTaken:
        _tell_owner(email, then=", then open the invitation link again and choose 'I have an account'")
    else:
        redeem(engine, user.id, token, client=client)
    return SIGNED_UP.format(email=email.strip())
