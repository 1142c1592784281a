"""Sign-in sessions and the failure log behind sign-in and invitation rate limits.

Neither table is family-scoped: a session belongs to a person, a failure to an account name or
a client address. Session tokens are stored as SHA-256 hashes.

Revision ID: 0005
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

DDL = """
CREATE TABLE user_sessions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash   bytea NOT NULL UNIQUE,
    user_id      bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    ended_at     timestamptz,
    ended_reason text
);
CREATE INDEX user_sessions_user_idx ON user_sessions (user_id) WHERE ended_at IS NULL;

CREATE TABLE auth_failures (
    key text NOT NULL,
    at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX auth_failures_key_idx ON auth_failures (key, at);

GRANT SELECT, INSERT, UPDATE, DELETE ON user_sessions, auth_failures TO budget_app;
"""


def upgrade() -> None:
    op.execute(DDL)


def downgrade() -> None:
    op.execute("DROP TABLE auth_failures, user_sessions")
