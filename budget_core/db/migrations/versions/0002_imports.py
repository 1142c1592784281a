"""Bank imports: import ids on transactions, the ledger of imported rows, bank profiles, rules.

``imported_rows`` remembers every bank row a family has imported, whether it was added as a
transaction or linked to one typed by hand. Re-imports are recognised against it, so a deleted
imported transaction does not come back with the next overlapping file, and a linked row stays
listed for review until someone confirms it.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

DDL = """
ALTER TABLE transactions ADD COLUMN import_id text;
CREATE UNIQUE INDEX transactions_import_key ON transactions (family_id, import_id) WHERE import_id IS NOT NULL;

CREATE TABLE imported_rows (
    family_id      bigint NOT NULL REFERENCES families(id) ON DELETE CASCADE,
    import_id      text NOT NULL,
    account        text NOT NULL,
    content_key    text NOT NULL,
    occurred_on    date NOT NULL,
    amount         bigint NOT NULL,  -- minor units as the bank wrote it: negative = money out
    description    text NOT NULL,
    file_name      text NOT NULL,
    outcome        text NOT NULL CHECK (outcome IN ('added', 'linked')),
    transaction_id bigint,           -- for 'linked': the transaction typed by hand it was matched to
    imported_by    bigint,
    imported_at    timestamptz NOT NULL DEFAULT now(),
    reviewed_at    timestamptz,
    PRIMARY KEY (family_id, import_id)
);
-- OFX rows whose bank id changed are recognised by content within their account (CSV ids are content)
CREATE INDEX imported_rows_content_idx ON imported_rows (family_id, account, content_key)
    WHERE import_id LIKE 'ofx:%';
-- a transaction typed by hand is linked to at most one bank row
CREATE UNIQUE INDEX imported_rows_linked_key ON imported_rows (family_id, transaction_id)
    WHERE transaction_id IS NOT NULL;

CREATE TABLE bank_profiles (
    family_id  bigint NOT NULL REFERENCES families(id) ON DELETE CASCADE,
    id         bigint GENERATED ALWAYS AS IDENTITY,
    name       text NOT NULL,
    mapping    jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (family_id, id)
);
CREATE UNIQUE INDEX bank_profiles_name_key ON bank_profiles (family_id, lower(name));

CREATE TABLE category_rules (
    family_id   bigint NOT NULL REFERENCES families(id) ON DELETE CASCADE,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    position    integer NOT NULL,
    pattern     text NOT NULL CHECK (length(pattern) BETWEEN 1 AND 200),
    is_regex    boolean NOT NULL DEFAULT false,
    category_id bigint NOT NULL,
    user_id     bigint,
    created_by  bigint,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (family_id, id),
    FOREIGN KEY (family_id, category_id) REFERENCES categories (family_id, id),
    FOREIGN KEY (family_id, user_id) REFERENCES members (family_id, user_id)
);
CREATE INDEX category_rules_position_idx ON category_rules (family_id, position);
"""


def upgrade() -> None:
    op.execute(DDL)


def downgrade() -> None:
    op.execute(
        "DROP TABLE category_rules, bank_profiles, imported_rows; "
        "DROP INDEX transactions_import_key; ALTER TABLE transactions DROP COLUMN import_id"
    )
