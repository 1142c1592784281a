"""SQLAlchemy Core views of the tables created by the migrations (``migrations/versions``).

The migrations own the schema; these objects only let services build queries.
"""

from __future__ import annotations

from sqlalchemy import (BigInteger, Column, Date, DateTime, Integer, LargeBinary, MetaData, SmallInteger,
                        String, Table, Text, Uuid)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

users = Table(
    "users", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("email", Text, nullable=False),
    Column("display_name", Text, nullable=False),
    Column("password_hash", Text),
    Column("created_at", DateTime(timezone=True)),
    Column("password_changed_at", DateTime(timezone=True)),
)

families = Table(
    "families", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("name", Text, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("timezone", Text, nullable=False),
    Column("monthly_income", BigInteger, nullable=False),
    Column("savings_goal", BigInteger, nullable=False),
    Column("period_start_day", SmallInteger, nullable=False),
    Column("big_expense_threshold", BigInteger),
    Column("version", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True)),
)

members = Table(
    "members", metadata,
    Column("family_id", BigInteger, primary_key=True),
    Column("user_id", BigInteger, primary_key=True),
    Column("role", Text, nullable=False),
    Column("display_name", Text, nullable=False),
    Column("joined_at", DateTime(timezone=True)),
    Column("removed_at", DateTime(timezone=True)),
    Column("last_category_id", BigInteger),
)

fixed_expenses = Table(
    "fixed_expenses", metadata,
    Column("family_id", BigInteger, primary_key=True),
    Column("id", BigInteger, primary_key=True),
    Column("name", Text, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True)),
)

categories = Table(
    "categories", metadata,
    Column("family_id", BigInteger, primary_key=True),
    Column("id", BigInteger, primary_key=True),
    Column("name", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("parent_id", BigInteger),
    Column("archived_at", DateTime(timezone=True)),
)

transactions = Table(
    "transactions", metadata,
    Column("family_id", BigInteger, primary_key=True),
    Column("id", BigInteger, primary_key=True),
    Column("user_id", BigInteger, nullable=False),
    Column("category_id", BigInteger, nullable=False),
    Column("kind", Text, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("description", Text, nullable=False),
    Column("occurred_on", Date, nullable=False),
    Column("created_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True)),
    Column("client_id", Uuid, nullable=False),
    Column("row_version", Integer, nullable=False),
)

events = Table(
    "events", metadata,
    Column("family_id", BigInteger, primary_key=True),
    Column("version", BigInteger, primary_key=True),
    Column("actor_id", BigInteger),
    Column("kind", Text, nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("at", DateTime(timezone=True)),
)

invitations = Table(
    "invitations", metadata,
    Column("family_id", BigInteger, primary_key=True),
    Column("id", BigInteger, primary_key=True),
    Column("token_hash", LargeBinary, nullable=False),
    Column("role", Text, nullable=False),
    Column("created_by", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True)),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
    Column("used_by", BigInteger),
    Column("revoked_at", DateTime(timezone=True)),
)
