"""Export a family's transactions as CSV or Parquet: one row per transaction, exact money.

Columns, in order: ``id, occurred_on, kind, category, parent_category, member, description,
amount, amount_minor, currency``.

- ``amount_minor`` is the integer in minor units (what the app stores and sums).
- ``amount`` is exact in major units with the currency's decimals: in CSV the decimal text
  (``15.00``, ``-3.50``, ``1500`` for JPY); in Parquet a ``Decimal(18, places)`` column, so
  ``pl.read_parquet(...)["amount"].sum()`` is exact too. Never a float.
- ``category`` is the category booked; for a subcategory ``parent_category`` names its parent
  (empty for a top-level category).
- CSV is UTF-8 with a header; text cells that a spreadsheet would run as a formula (starting
  with ``= + - @``, a tab or a carriage return) are prefixed with ``'``. The numeric columns
  ``amount`` and ``amount_minor`` are left as they are — a refund stays ``-3.50`` — since they are
  produced here from integers and cannot carry a formula.

Dates are local dates, both ends inclusive. Callers must have checked that the person may see
the family; ``budget export`` and the Insights page's download both call this module.
"""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import polars as pl

from ..domain.money import decimals
from ..errors import ValidationError
from ..ops.files import PRIVATE, check_target, new_file
from ..services.access import FamilyAccess
from .load import load_transactions

FORMATS = ("csv", "parquet")
COLUMNS = (
    "id",
    "occurred_on",
    "kind",
    "category",
    "parent_category",
    "member",
    "description",
    "amount",
    "amount_minor",
    "currency",
)
TEXT_COLUMNS = ("kind", "category", "parent_category", "member", "description", "currency")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MEDIA_TYPES = {"csv": "text/csv", "parquet": "application/vnd.apache.parquet"}


def _check_format(fmt: str) -> str:
    normal = (fmt or "").strip().lower()
    if normal not in FORMATS:
        raise ValidationError(f"Export as csv or parquet, not '{fmt}'.")
    return normal


def decimal_text(minor: pl.Expr, places: int) -> pl.Expr:
    """Minor units to exact decimal text with ``places`` decimals: 1500 -> '15.00', -5 -> '-0.05'."""
    if places == 0:
        return minor.cast(pl.String)
    sign = pl.when(minor < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    whole = (minor.abs() // 10**places).cast(pl.String)
    frac = (minor.abs() % 10**places).cast(pl.String).str.zfill(places)
    return pl.concat_str([sign, whole, pl.lit("."), frac])


def neutralise(column: str) -> pl.Expr:
    """Prefix ``'`` to a text cell a spreadsheet would treat as a formula."""
    col = pl.col(column).cast(pl.String)
    risky = pl.any_horizontal([col.str.starts_with(c) for c in FORMULA_START])
    return pl.when(risky).then(pl.lit("'") + col).otherwise(col).alias(column)


def export_frame(
    access: FamilyAccess, fmt: str = "csv", date_from: date | None = None, date_to: date | None = None
) -> pl.DataFrame:
    """The rows of the export, typed for ``fmt`` (see the module docstring)."""
    fmt = _check_format(fmt)
    tx = load_transactions(access, date_from, date_to)
    currency = access.currency
    places = decimals(currency)
    amount = decimal_text(pl.col("amount_minor"), places)
    if fmt == "parquet":  # text to decimal is exact; no float on the way
        amount = amount.cast(pl.Decimal(18, places))
    frame = tx.with_columns(amount.alias("amount"), pl.col(TEXT_COLUMNS).cast(pl.String)).select(COLUMNS)
    if fmt == "csv":
        frame = frame.with_columns(neutralise(c) for c in TEXT_COLUMNS)
    return frame


def _write(frame: pl.DataFrame, target, fmt: str) -> None:
    if fmt == "csv":
        frame.write_csv(target, date_format="%Y-%m-%d")
    else:
        frame.write_parquet(target, compression="zstd", statistics=True)


def export_transactions(
    access: FamilyAccess,
    path: str | Path,
    fmt: str = "csv",
    date_from: date | None = None,
    date_to: date | None = None,
    *,
    force: bool = False,
    mode: int = PRIVATE,
) -> int:
    """Write the family's transactions dated ``date_from`` through ``date_to`` (inclusive; ``None``:
    unbounded) to ``path`` as ``fmt`` ('csv' or 'parquet'); return the number of rows written.

    The file gets ``mode`` (0600: private), an existing ``path`` is refused unless ``force``, and it is
    written beside ``path`` first and moved into place, so a reader never sees half a file.
    """
    fmt = _check_format(fmt)
    check_target(path, force=force)  # refused before the family's rows are read
    frame = export_frame(access, fmt, date_from, date_to)
    with new_file(path, force=force, mode=mode) as partial:
        _write(frame, partial, fmt)
    return frame.height


def export_bytes(
    access: FamilyAccess, fmt: str = "csv", date_from: date | None = None, date_to: date | None = None
) -> bytes:
    """The same file as :func:`export_transactions`, in memory (for a download button)."""
    fmt = _check_format(fmt)
    buffer = io.BytesIO()
    _write(export_frame(access, fmt, date_from, date_to), buffer, fmt)
    return buffer.getvalue()


def file_name(family_name: str, fmt: str, date_from: date | None = None, date_to: date | None = None) -> str:
    """A download name such as 'smiths-transactions-2026-11-01-to-2026-11-25.csv'."""
    slug = "-".join("".join(ch if ch.isalnum() else " " for ch in family_name.lower()).split()) or "family"
    span = f"-{date_from}-to-{date_to}" if date_from and date_to else ""
    return f"{slug}-transactions{span}.{_check_format(fmt)}"


def found_bytes(access: FamilyAccess, flt) -> bytes:
    """Exactly the rows a Transactions search found (``flt``, a ``TransactionFilter``), as the same CSV
    as :func:`export_bytes`: every matching row, not only those shown."""
    from ..services.transactions import list_transactions

    rows = list_transactions(access, flt, everything=True)
    places = decimals(access.currency)
    parts = [t.category.split(" › ", 1) for t in rows]
    frame = pl.DataFrame(
        {
            "id": [t.id for t in rows],
            "occurred_on": [t.occurred_on for t in rows],
            "kind": [t.kind for t in rows],
            "category": [p[-1] for p in parts],
            "parent_category": [p[0] if len(p) == 2 else None for p in parts],
            "member": [t.member for t in rows],
            "description": [t.description for t in rows],
            "amount_minor": [t.amount for t in rows],
            "currency": [t.currency for t in rows],
        },
        schema_overrides={"occurred_on": pl.Date, "amount_minor": pl.Int64, "id": pl.Int64},
    )
    frame = frame.with_columns(decimal_text(pl.col("amount_minor"), places).alias("amount")).select(COLUMNS)
    frame = frame.with_columns(neutralise(c) for c in TEXT_COLUMNS)
    buffer = io.BytesIO()
    _write(frame, buffer, "csv")
    return buffer.getvalue()
