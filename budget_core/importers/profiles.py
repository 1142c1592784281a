"""Bank profiles: a family's saved CSV layouts — listing them, choosing the ones a file is read
with, and naming and saving the layout a file was read with.

A profile is a :class:`CsvMapping` under a name the family chose (or one made from the file
name). Reading with the same profile keeps a bank account's import ids stable across downloads.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, text

from ..errors import ValidationError
from ..services.access import FamilyAccess
from . import CsvMapping, Statement


@dataclass(frozen=True, slots=True)
class BankProfile:
    id: int
    name: str
    mapping: CsvMapping


def load_profiles(conn: Connection, family_id: int) -> list[BankProfile]:
    rows = conn.execute(
        text("SELECT id, name, mapping FROM bank_profiles WHERE family_id = :f ORDER BY name"), {"f": family_id}
    ).all()
    return [BankProfile(i, n, CsvMapping.from_json(m)) for i, n, m in rows]


def list_profiles(access: FamilyAccess) -> list[BankProfile]:
    with access.read() as conn:
        return load_profiles(conn, access.family_id)


def layouts_to_read_with(
    profiles: Sequence[BankProfile], profile: str | None, account: str | None
) -> tuple[tuple[CsvMapping, ...], str | None]:
    """The saved CSV layouts to try on a file, and the account to name its rows with.

    Every saved layout by default; with ``profile`` naming a saved one, only that one, keeping its
    account even when the bank changed its layout. ``account`` (given) wins; ``None`` lets the CSV
    reader derive one from the layout.
    """
    mappings = tuple(p.mapping for p in profiles)
    if profile:
        named = next((p for p in profiles if p.name.casefold() == " ".join(profile.split()).casefold()), None)
        if named is not None:
            mappings, account = (named.mapping,), account or named.mapping.account
        else:
            account = account or "profile-" + " ".join(profile.split()).casefold()
    return mappings, account


def profile_name(statement: Statement, profiles: list[BankProfile], profile: str | None) -> str | None:
    """The name to save the file's CSV layout under: ``profile`` (the one asked for), else the saved
    profile with the same header, else a new name from the file name; ``None`` for OFX."""
    if statement.mapping is None:
        return None
    if profile:
        return " ".join(profile.split())
    matched = next(
        (
            p
            for p in profiles
            if p.mapping.header == statement.mapping.header and p.mapping.delimiter == statement.mapping.delimiter
        ),
        None,
    )
    if matched:
        return matched.name
    base = default_profile_name(statement.file_name)
    taken = {p.name.casefold() for p in profiles}
    name, n = base, 1
    while name.casefold() in taken:
        n += 1
        name = f"{base} {n}"
    return name


def save_profile(
    conn: Connection, family_id: int, statement: Statement, profile: str | None
) -> tuple[str | None, bool]:
    """Save the CSV mapping as the family's bank profile; True when something was written.

    Profiles are read again under the family's write lock: a concurrent import may have saved one.
    """
    profiles = load_profiles(conn, family_id)
    name = profile_name(statement, profiles, profile)
    if name is None:
        return None, False
    if len(name) > 60:
        raise ValidationError("Keep the bank profile's name under 60 characters.")
    if statement.mapping is None:  # an OFX file: nothing to remember about its layout
        return None, False
    mapping = statement.mapping.as_json()
    existing = next((p for p in profiles if p.name.casefold() == name.casefold()), None)
    if existing is None:
        conn.execute(
            text("INSERT INTO bank_profiles (family_id, name, mapping) VALUES (:f, :n, CAST(:m AS jsonb))"),
            {"f": family_id, "n": name, "m": _json(mapping)},
        )
        return name, True
    if existing.mapping.as_json() != mapping:
        conn.execute(
            text(
                "UPDATE bank_profiles SET mapping = CAST(:m AS jsonb), updated_at = now() "
                "WHERE family_id = :f AND id = :i"
            ),
            {"f": family_id, "i": existing.id, "m": _json(mapping)},
        )
        return existing.name, True
    return existing.name, False


def _json(data: dict) -> str:
    import json

    return json.dumps(data, separators=(",", ":"))


def default_profile_name(file_name: str) -> str:
    """'Checking_2026-11 (1).csv' -> 'checking': the name without dates, numbers and copies."""
    stem = Path(file_name).stem.casefold()
    words = re.sub(r"[^a-z]+", " ", stem).split()
    return " ".join(words) or "csv"
