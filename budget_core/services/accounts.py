"""Accounts: users with argon2id password hashes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from ..domain.storable import check_storable, normal_email
from ..errors import NotFound, PermissionDenied, ValidationError
from ..ops.reliability import measure

# OWASP's argon2id parameters: 19 MiB, 2 iterations, 1 lane.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
MIN_PASSWORD = 8
DEMO_PASSWORD = "demo-family-2026"  # the demo family's, printed in the README: nobody else may choose it
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SIGN_IN_FAILED = "That email and password do not match an account. Check both and try again."


@dataclass(frozen=True, slots=True)
class User:
    id: int
    email: str
    display_name: str


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    """The shipped list (``data/common_passwords.txt``, about 11,600 entries; see its NOTICE), lower-cased."""
    words = resources.files("budget_core").joinpath("data/common_passwords.txt").read_text()
    return frozenset(w.strip().lower() for w in words.splitlines() if w.strip())


def check_email(email: str) -> str:
    """The address as typed (trimmed), or ValidationError; its key is :func:`normal_email`."""
    normal = (email or "").strip()
    if not EMAIL.match(normal) or len(normal) > 254:
        raise ValidationError(f"'{email}' is not an email address; it should look like name@example.com.")
    return check_storable(normal, "email address")


def check_display_name(name: str) -> str:
    normal = " ".join((name or "").split())
    if not normal:
        raise ValidationError("Enter a name the family will see, for example 'Mom'.")
    if len(normal) > 60:
        raise ValidationError("Keep the name under 60 characters.")
    return check_storable(normal, "name")


def check_password(password: str, email: str | None = None) -> str:
    """``password`` unchanged if a person may choose it for the account ``email``: at least
    ``MIN_PASSWORD`` characters once the spaces around it are trimmed, not one character repeated,
    not the address or its name part, not the demo family's password, not on the common list."""
    if not isinstance(password, str):
        raise ValidationError(f"Choose a password of at least {MIN_PASSWORD} characters.")
    trimmed = password.strip()
    if len(trimmed) < MIN_PASSWORD:
        raise ValidationError(
            f"Choose a password of at least {MIN_PASSWORD} characters (spaces at either end do not count)."
        )
    if len(password) > 1024:
        raise ValidationError("Choose a password shorter than 1,024 characters.")
    folded = trimmed.casefold()
    if len(set(folded)) == 1:
        raise ValidationError("A password of one character repeated is guessed at once; choose another.")
    if email:
        address = normal_email(email)
        if folded in (address, address.split("@")[0]):
            raise ValidationError("Your password cannot be your e-mail address or the part before the @.")
    if folded == DEMO_PASSWORD:
        raise ValidationError("That is the demo family's published password; choose your own.")
    if folded in _common_passwords() or password.lower() in _common_passwords():
        raise ValidationError("That password is on the list of the most common ones; choose another.")
    check_storable(password, "password")
    return password


class EmailTaken(ValidationError):
    """An account already uses this address (under :func:`normal_email`). The CLI and the operator
    may say so; sign-up answers a stranger the same whether or not it is taken (``services.signup``)."""


def create_user(engine: Engine, email: str, display_name: str, password: str | None) -> User:
    """Create an account. ``password=None`` makes one that cannot sign in until a password is set.
    The server's first account is its operator (``set_operator`` changes that). Raises EmailTaken
    when an account already has this address in its normal form."""
    email = check_email(email)
    display_name = check_display_name(display_name)
    hashed = HASHER.hash(check_password(password, email)) if password is not None else None
    return insert_user(engine, email, display_name, hashed)


def insert_user(engine: Engine, email: str, display_name: str, password_hash: str | None) -> User:
    """The account row itself (``email`` and ``display_name`` already checked, the password already
    hashed): the one place that stores an address with its key. The demo family uses it directly for
    its published password."""
    try:
        with engine.begin() as conn:
            row = conn.execute(
                text(
                    "INSERT INTO users (email, email_normal, display_name, password_hash, is_operator) "
                    "VALUES (:e, :k, :n, :h, NOT EXISTS (SELECT 1 FROM users WHERE is_operator)) "
                    "RETURNING id, email, display_name"
                ),
                {"e": email, "k": normal_email(email), "n": display_name, "h": password_hash},
            ).one()
    except IntegrityError:
        raise EmailTaken(f"There is already an account for {email}; sign in instead.") from None
    return User(*row)


def set_password(engine: Engine, user_id: int, password: str) -> None:
    hashed = HASHER.hash(check_password(password, get_user(engine, user_id).email))
    with engine.begin() as conn:
        done = conn.execute(
            text("UPDATE users SET password_hash = :h, password_changed_at = now() WHERE id = :u"),
            {"h": hashed, "u": user_id},
        ).rowcount
    if not done:
        raise NotFound("That account does not exist.")


_DUMMY_HASH = HASHER.hash("not a real password, only for equal timing")


@measure("accounts.sign_in")
def authenticate(engine: Engine, email: str, password: str) -> User:
    """Return the user whose email and password match, or raise PermissionDenied.

    The message and the work done are the same whether the email exists or not.
    """
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT id, email, display_name, password_hash FROM users WHERE email_normal = :e"),
            {"e": normal_email(email or "")},
        ).first()
    stored = row.password_hash if row is not None and row.password_hash else _DUMMY_HASH
    try:
        HASHER.verify(stored, password or "")
    except (VerificationError, InvalidHashError):
        raise PermissionDenied(SIGN_IN_FAILED) from None
    if row is None or not row.password_hash:
        raise PermissionDenied(SIGN_IN_FAILED)
    if HASHER.check_needs_rehash(stored):
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE users SET password_hash = :h WHERE id = :u"), {"h": HASHER.hash(password), "u": row.id}
            )
    return User(row.id, row.email, row.display_name)


def find_user(engine: Engine, email: str) -> User | None:
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT id, email, display_name FROM users WHERE email_normal = :e"),
            {"e": normal_email(email or "")},
        ).first()
    return User(*row) if row else None


def get_user(engine: Engine, user_id: int) -> User:
    with engine.connect() as conn:
        row = conn.execute(text("SELECT id, email, display_name FROM users WHERE id = :u"), {"u": user_id}).first()
    if row is None:
        raise NotFound("That account does not exist.")
    return User(*row)


def user_by_email(engine: Engine, email: str) -> User:
    """The user with this email, or NotFound with a message naming it (CLI ``--by``)."""
    user = find_user(engine, email)
    if user is None:
        raise NotFound(f"No account uses {email}; create one with 'budget user add {email} --name NAME'.")
    return user


def is_operator(engine: Engine, user_id: int) -> bool:
    """Whether this person runs the server (sees the Health page's server-wide figures)."""
    with engine.connect() as conn:
        return bool(conn.execute(text("SELECT is_operator FROM users WHERE id = :u"), {"u": user_id}).scalar())


def set_operator(engine: Engine, email: str, operator: bool = True) -> User:
    """Make the account with ``email`` one of the server's operators (or, with ``operator=False``, not)."""
    person = user_by_email(engine, email)
    with engine.begin() as conn:
        conn.execute(text("UPDATE users SET is_operator = :o WHERE id = :u"), {"o": operator, "u": person.id})
    return person


def rename(engine: Engine, user_id: int, display_name: str) -> User:
    """Change the name a person's families see: on the account and in every family they are in
    (each family hears of it as one change, ``member.renamed``, in its activity feed)."""
    from ._uow import family_write
    from .access import open_family
    from .families import my_families

    name = check_display_name(display_name)
    with engine.begin() as conn:
        row = conn.execute(
            text("UPDATE users SET display_name = :n WHERE id = :u RETURNING id, email, display_name"),
            {"n": name, "u": user_id},
        ).first()
    if row is None:
        raise NotFound("That account does not exist.")
    for membership in my_families(engine, user_id):
        if membership.display_name == name:
            continue
        with family_write(open_family(engine, user_id, membership.family_id), action="change your name") as w:
            w.conn.execute(
                text("UPDATE members SET display_name = :n WHERE family_id = :f AND user_id = :u"),
                {"n": name, "f": membership.family_id, "u": user_id},
            )
            w.emit("member.renamed", {"actor": name, "old": membership.display_name, "member": name})
    return User(*row)
