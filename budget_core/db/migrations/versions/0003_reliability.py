"""Reliability: the durable notification queue and per-minute service metrics.

Revision ID: 0003
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

DDL = """
CREATE TABLE notifications (
    family_id       bigint NOT NULL REFERENCES families(id) ON DELETE CASCADE,
    id              bigint GENERATED ALWAYS AS IDENTITY,
    channel         text NOT NULL CHECK (channel IN ('email', 'push')),
    kind            text NOT NULL,
    recipient       text,
    subject         text NOT NULL,
    body            text NOT NULL,
    status          text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    PRIMARY KEY (family_id, id)
);
CREATE INDEX notifications_due_idx ON notifications (next_attempt_at) WHERE status = 'queued';

CREATE TABLE metric_minutes (
    name    text NOT NULL,
    minute  bigint NOT NULL,
    count   bigint NOT NULL,
    errors  bigint NOT NULL,
    buckets bigint[] NOT NULL,
    PRIMARY KEY (name, minute)
);
"""


def upgrade() -> None:
    op.execute(DDL)


def downgrade() -> None:
    op.execute("DROP TABLE metric_minutes, notifications")
