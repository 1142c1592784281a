"""The ledger: users, families, members, plan, categories, transactions, events, invitations.

Every family-scoped table leads its primary key with family_id (the future distribution column).

Revision ID: 0001
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

DDL = """
CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text NOT NULL,
    display_name  text NOT NULL,
    password_hash text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    password_changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE families (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name             text NOT NULL,
    currency         char(3) NOT NULL,
    timezone         text NOT NULL,
    monthly_income   bigint NOT NULL CHECK (monthly_income >= 0),
    savings_goal     bigint NOT NULL CHECK (savings_goal >= 0),
    period_start_day smallint NOT NULL CHECK (period_start_day BETWEEN 1 AND 31),
    big_expense_threshold bigint,
    version          bigint NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE members (
    family_id    bigint NOT NULL REFERENCES families(id) ON DELETE CASCADE,
    user_id      bigint NOT NULL REFERENCES users(id),
    role         text NOT NULL CHECK (role IN ('manager', 'member')),
    display_name text NOT NULL,
    joined_at    timestamptz NOT NULL DEFAULT now(),
    removed_at   timestamptz,
    last_category_id bigint,
    PRIMARY KEY (family_id, user_id)
);
CREATE INDEX members_user_idx ON members (user_id) WHERE removed_at IS NULL;

CREATE TABLE fixed_expenses (
    family_id  bigint NOT NULL REFERENCES families(id) ON DELETE CASCADE,
    id         bigint GENERATED ALWAYS AS IDENTITY,
    name       text NOT NULL,
    amount     bigint NOT NULL CHECK (amount > 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (family_id, id)
);

CREATE TABLE categories (
    family_id   bigint NOT NULL REFERENCES families(id) ON DELETE CASCADE,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    name        text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('fixed', 'variable', 'savings', 'income')),
    parent_id   bigint,
    archived_at timestamptz,
    PRIMARY KEY (family_id, id),
    FOREIGN KEY (family_id, parent_id) REFERENCES categories (family_id, id)
);
CREATE UNIQUE INDEX categories_name_key ON categories (family_id, coalesce(parent_id, 0), lower(name))
    WHERE archived_at IS NULL;

CREATE TABLE transactions (
    family_id    bigint NOT NULL REFERENCES families(id) ON DELETE CASCADE,
    id           bigint GENERATED ALWAYS AS IDENTITY,
    user_id      bigint NOT NULL,
    category_id  bigint NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('fixed', 'variable', 'savings', 'income')),
    amount       bigint NOT NULL CHECK (amount <> 0 AND abs(amount) <= 1000000000000),
    description  text NOT NULL,
    occurred_on  date NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    client_id    uuid NOT NULL,
    row_version  integer NOT NULL DEFAULT 1,
    PRIMARY KEY (family_id, id),
    FOREIGN KEY (family_id, category_id) REFERENCES categories (family_id, id),
    FOREIGN KEY (family_id, user_id) REFERENCES members (family_id, user_id)
);
-- the daily budget reads one period's totals by day and kind: an index-only range scan
CREATE INDEX transactions_family_date_idx ON transactions (family_id, occurred_on) INCLUDE (kind, amount);
CREATE INDEX transactions_family_category_date_idx ON transactions (family_id, category_id, occurred_on);
CREATE UNIQUE INDEX transactions_client_key ON transactions (family_id, client_id);

CREATE TABLE events (
    family_id bigint NOT NULL REFERENCES families(id) ON DELETE CASCADE,
    version   bigint NOT NULL,
    actor_id  bigint,
    kind      text NOT NULL,
    payload   jsonb NOT NULL DEFAULT '{}'::jsonb,
    at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (family_id, version)
);

CREATE TABLE invitations (
    family_id   bigint NOT NULL REFERENCES families(id) ON DELETE CASCADE,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    token_hash  bytea NOT NULL,
    role        text NOT NULL CHECK (role IN ('manager', 'member')),
    created_by  bigint NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    used_by     bigint,
    revoked_at  timestamptz,
    PRIMARY KEY (family_id, id)
);
CREATE UNIQUE INDEX invitations_token_key ON invitations (token_hash);
"""


def upgrade() -> None:
    op.execute(DDL)


def downgrade() -> None:
    op.execute("DROP TABLE invitations, events, transactions, categories, fixed_expenses, members, families, users")
