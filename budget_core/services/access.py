"""The one door into a family: ``open_family(engine, user_id, family_id) -> FamilyAccess``.

Every family-scoped use case, read or write, takes a :class:`FamilyAccess` instead of the
(engine, person, family) triple. Opening one checks, in one statement, that the person is a
current member and reads their role and the family's plan; the value is immutable and only
``open_family`` makes one. It is the proof a page run or a CLI command carries: the UI opens it
once per page run, so a removed member is refused at the next run at the latest. The database
re-checks membership on every statement that enters the family through it (``read`` and
``family_write`` call ``family_enter``, migration 0007), so a handle kept past a removal reads and
writes nothing; the cached Today figures are the one read that trusts the handle alone (they are
keyed by the family's version, which the removal bumped).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import Connection, Engine

from ..db.door import enter
from ..domain.locale import family_locale
from ..domain.period import local_today
from ..errors import PermissionDenied, ValidationError

ROLE_RANK = {"member": 1, "manager": 2}
_SEAL = object()


@dataclass(frozen=True, slots=True)
class Family:
    id: int
    name: str
    currency: str
    timezone: str
    monthly_income: int
    savings_goal: int
    period_start_day: int
    version: int
    big_expense_threshold: int | None = None
    locale_setting: str | None = None  # chosen by a manager; None: derived (see ``locale``)

    @classmethod
    def from_row(cls, row) -> Family:
        return cls(
            row["id"],
            row["name"],
            row["currency"],
            row["timezone"],
            row["monthly_income"],
            row["savings_goal"],
            row["period_start_day"],
            row["version"],
            row["big_expense_threshold"],
            row.get("locale"),
        )

    def locale(self, browser_language: str | None = None) -> str:
        """How the family's money and dates are written: its setting, else derived from its currency
        and the browser's language (``domain.locale.default_locale``)."""
        return family_locale(self.locale_setting, self.currency, browser_language)


@dataclass(frozen=True, slots=True)
class FamilyAccess:
    """Member ``user_id`` of ``family`` with ``role`` (as checked when opened), and the engine to reach it."""

    engine: Engine = field(repr=False)
    user_id: int
    role: str
    member_name: str
    family: Family
    _seal: object = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self._seal is not _SEAL:
            raise TypeError("FamilyAccess is made by open_family(), which checks the membership.")

    @property
    def family_id(self) -> int:
        return self.family.id

    @property
    def is_manager(self) -> bool:
        return self.role == "manager"

    @property
    def currency(self) -> str:
        return self.family.currency

    def today(self, now: datetime | None = None) -> date:
        """Today in the family's time zone."""
        return local_today(self.family.timezone, now or datetime.now(UTC))

    def require(self, role: str, action: str) -> None:
        """Refuse early, with the person's words, what the role opened with does not allow (the
        database checks again when the change is written)."""
        if ROLE_RANK[self.role] < ROLE_RANK[role]:
            raise PermissionDenied(f"Only a manager of this family can {action}.")

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection whose transaction is scoped to the family, membership re-checked by the database."""
        with self.engine.connect() as conn:
            enter(conn, self.family.id, self.user_id)
            yield conn


def not_a_member(family_id: int) -> PermissionDenied:
    # The same words whether the family exists or not: ids reveal nothing.
    return PermissionDenied(f"You are not a member of family {family_id}; ask one of its managers for an invitation.")


def check_family_id(family_id: object) -> int:
    if not isinstance(family_id, int) or isinstance(family_id, bool):
        raise ValidationError(f"'{family_id}' is not a family id.")
    if not -(2**63) <= family_id < 2**63:  # no such row can exist (bigint ids)
        raise not_a_member(family_id)
    return family_id


def open_family(engine: Engine, user_id: int, family_id: int) -> FamilyAccess:
    """The door: PermissionDenied unless ``user_id`` is a current member of ``family_id``.

    The same words whether the family exists or not, so ids reveal nothing.
    """
    check_family_id(family_id)
    with engine.connect() as conn:
        row = enter(conn, family_id, user_id)
    return FamilyAccess(engine, user_id, row["role"], row["display_name"], Family.from_row(row), _SEAL)
