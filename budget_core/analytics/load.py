"""Postgres → Polars: one family's transactions as a frame (COPY), read through the family handle.

:func:`load_transactions` reads one family's transactions with ``COPY … TO STDOUT (FORMAT csv)``
straight into ``pl.read_csv`` with a fixed schema (measured against ``pandas.read_sql`` and
``pl.read_database`` in ``bench/analytics.py``). Money is ``amount_minor`` (Int64, minor units);
``amount`` is a float in major units for display only.

All date ranges are local dates in the family's time zone, inclusive at both ends. The reader is
a member: every load takes the family handle and enters the family through the database's door.
"""

from __future__ import annotations

import io
from datetime import date, datetime

import polars as pl
import psycopg

from ..db.door import door_errors
from ..domain.money import decimals
from ..errors import ValidationError
from ..services.access import FamilyAccess

KIND = pl.Enum(["fixed", "variable", "savings", "income"])

TRANSACTION_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "id": pl.Int64,
    "occurred_on": pl.Date,
    "kind": KIND,
    "category": pl.Categorical,  # the category booked (a subcategory's own name)
    "parent_category": pl.Categorical,  # null for a top-level category
    "member": pl.Categorical,
    "description": pl.String,
    "amount_minor": pl.Int64,  # minor units; expenses and income positive, refunds negative
    "currency": pl.Categorical,
}
"""The columns read from Postgres; :func:`load_transactions` adds ``amount`` (Float64, display only)."""

_FROM = """
    FROM transactions t
    LEFT JOIN transaction_parts sp ON sp.family_id = t.family_id AND sp.transaction_id = t.id
    JOIN families f ON f.id = t.family_id
    JOIN categories c ON c.family_id = t.family_id AND c.id = coalesce(sp.category_id, t.category_id)
    LEFT JOIN categories p ON p.family_id = c.family_id AND p.id = c.parent_id
    JOIN members m ON m.family_id = t.family_id AND m.user_id = t.user_id
    WHERE t.family_id = %(family_id)s AND t.occurred_on BETWEEN %(date_from)s AND %(date_to)s"""

SELECT_SQL = (
    "SELECT t.id, t.occurred_on, coalesce(sp.kind, t.kind) AS kind, c.name AS category, "
    "p.name AS parent_category, m.display_name AS member, t.description, "
    "coalesce(sp.amount, t.amount) AS amount_minor, f.currency" + _FROM
)
"""The query behind :func:`load_transactions` (``%(name)s`` parameters from :func:`query_params`)."""


def checked_family_id(family_id: object) -> int:
    """``family_id`` if it is an int (not a bool); else ValidationError."""
    if isinstance(family_id, bool) or not isinstance(family_id, int):
        raise ValidationError(f"'{family_id}' is not a family id.")
    return family_id


def checked_range(date_from: object, date_to: object) -> tuple[date, date]:
    """The range as two dates (``None``: unbounded), both inclusive; ValidationError for anything else."""
    for name, value in (("date_from", date_from), ("date_to", date_to)):
        if value is not None and (isinstance(value, datetime) or not isinstance(value, date)):
            raise ValidationError(f"{name} must be a calendar date such as 2026-11-25, got {value!r}.")
    start = date_from if isinstance(date_from, date) else date(1970, 1, 1)
    end = date_to if isinstance(date_to, date) else date(9999, 12, 31)
    if start > end:
        raise ValidationError(f"The range starts ({start}) after it ends ({end}); swap the dates.")
    return start, end


def query_params(family_id: int, date_from: date | None = None, date_to: date | None = None) -> dict:
    """The checked parameters of :data:`SELECT_SQL`: ``family_id``, ``date_from``, ``date_to`` (inclusive)."""
    start, end = checked_range(date_from, date_to)
    return {"family_id": checked_family_id(family_id), "date_from": start, "date_to": end}


# a split transaction is one row per part (its id repeated), each with the part's category, kind and amount
_ROWS_SQL = (
    "SELECT t.id, t.occurred_on, coalesce(sp.kind, t.kind), coalesce(sp.category_id, t.category_id), t.user_id, "
    "t.description, coalesce(sp.amount, t.amount) FROM transactions t "
    "LEFT JOIN transaction_parts sp ON sp.family_id = t.family_id AND sp.transaction_id = t.id "
    "WHERE t.family_id = %(family_id)s AND t.occurred_on BETWEEN %(date_from)s AND %(date_to)s"
)
_ROWS_SCHEMA: dict[str, pl.DataType | type[pl.DataType]] = {
    "id": pl.Int64,
    "occurred_on": pl.Date,
    "kind": KIND,
    "category_id": pl.Int64,
    "user_id": pl.Int64,
    "description": pl.String,
    "amount_minor": pl.Int64,
}
_CATEGORIES_SQL = (
    "SELECT c.id, c.name, p.name FROM categories c LEFT JOIN categories p "
    "ON p.family_id = c.family_id AND p.id = c.parent_id WHERE c.family_id = %(family_id)s"
)
_MEMBERS_SQL = "SELECT user_id, display_name FROM members WHERE family_id = %(family_id)s"
_CURRENCY_SQL = "SELECT trim(currency) FROM families WHERE id = %(family_id)s"
ENTER_SQL = "SELECT 1 FROM family_enter(%s, %s, NULL, false)"  # membership checked, transaction scoped


def copy_csv(conn: psycopg.Connection, select: str) -> bytes:
    """``COPY (select) TO STDOUT (FORMAT csv)`` on a psycopg connection, as one bytes object."""
    with conn.cursor() as cur, cur.copy(f"COPY ({select}) TO STDOUT (FORMAT csv)") as copy:
        # psycopg hands over one message per row; bytes() per chunk beats joining the memoryviews
        return b"".join(bytes(chunk) for chunk in copy)


def load_transactions(access: FamilyAccess, date_from: date | None = None, date_to: date | None = None) -> pl.DataFrame:
    """The family's transactions dated ``date_from`` through ``date_to`` (both inclusive; ``None``:
    unbounded), ordered by date then id, with the columns of :data:`TRANSACTION_SCHEMA` plus
    ``amount`` (Float64 in major units, display only — sum ``amount_minor``). The same rows as
    :data:`SELECT_SQL`.

    The transactions table alone goes through ``COPY (SELECT …) TO STDOUT (FORMAT csv)`` into
    ``pl.read_csv`` with a fixed schema; the family's few categories and members come in small
    queries and are joined in Polars as categoricals (measured faster than joining on the server
    and sending every name with every row; see ``bench/analytics.py``). COPY takes no server-side
    parameters, so the values are type-checked by :func:`query_params` and rendered as SQL
    literals by psycopg's own client-side adaptation (``ClientCursor.mogrify``). One snapshot:
    everything is read in one repeatable-read transaction, entered through the family's door
    (``family_enter``: the database re-checks the membership and scopes row-level security).
    """
    params = query_params(access.family_id, date_from, date_to)
    raw = access.engine.raw_connection()
    try:
        conn = raw.driver_connection
        assert isinstance(conn, psycopg.Connection)
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")  # first in the implicit BEGIN
        with door_errors():
            conn.execute(ENTER_SQL, (access.family_id, access.user_id))
        currency = conn.execute(_CURRENCY_SQL, params).fetchone()
        categories = conn.execute(_CATEGORIES_SQL, params).fetchall()
        members = conn.execute(_MEMBERS_SQL, params).fetchall()
        data = copy_csv(conn, psycopg.ClientCursor(conn).mogrify(_ROWS_SQL, params))
        conn.commit()
    finally:
        raw.close()
    if currency is None or not data:
        frame = pl.DataFrame(schema=TRANSACTION_SCHEMA)
        return frame.with_columns(pl.lit(None, dtype=pl.Float64).alias("amount"))
    places = decimals(currency[0])
    cats = pl.DataFrame(
        categories,
        orient="row",
        schema={"category_id": pl.Int64, "category": pl.Categorical, "parent_category": pl.Categorical},
    )
    people = pl.DataFrame(members, orient="row", schema={"user_id": pl.Int64, "member": pl.Categorical})
    rows = pl.read_csv(io.BytesIO(data), has_header=False, schema=_ROWS_SCHEMA)
    return (
        rows.join(cats, on="category_id", how="left")
        .join(people, on="user_id", how="left")
        .with_columns(pl.lit(currency[0], dtype=pl.Categorical).alias("currency"))
        .select(TRANSACTION_SCHEMA.keys())
        .sort("occurred_on", "id")
        .with_columns((pl.col("amount_minor") / 10**places).round(places).alias("amount"))
    )
