"""Signing up: a new person's account, their family with its plan and fixed expenses, at once.

Everything typed is checked before anything is written, so a refused sign-up stores nothing and
the form keeps what was typed. Amounts are minor units of the family's currency.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from ..domain.locale import check_locale
from ..domain.money import check_currency
from ..domain.period import check_start_day
from .access import Family
from .accounts import User, check_display_name, check_email, check_password, create_user
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


def sign_up(engine: Engine, form: SignUp) -> tuple[User, Family]:
    """Create the account and the family (the person becomes its manager); ValidationError, with
    nothing written, for anything that cannot be accepted."""
    check_display_name(form.name)
    check_email(form.email)
    check_password(form.password)
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
    user = create_user(engine, form.email, form.name, form.password)
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


def join_as_new(
    engine: Engine, token: str, *, name: str, email: str, password: str, client: str | None = None
) -> tuple[User, int]:
    """Create an account and redeem the invitation ``token`` with it: (user, family id). The account
    details and the invitation are checked first, so a refused join creates no account."""
    from .invitations import peek_invitation
    from .sessions import redeem

    check_display_name(name)
    check_email(email)
    check_password(password)
    peek_invitation(engine, token)
    user = create_user(engine, email, name, password)
    return user, redeem(engine, user.id, token, client=client)
