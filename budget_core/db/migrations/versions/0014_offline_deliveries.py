"""Entries typed offline and delivered by the app shell: each device session counts them until its Today says so.

``user_sessions.offline_sent`` is the number of entries the device's app shell delivered through
``POST /api/v1/families/{id}/transactions`` (first deliveries, not replays) that its Today has not
yet announced ("3 entries sent"); Today takes and zeroes it in one statement.
"""

from alembic import op

revision = "0014"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE user_sessions ADD COLUMN offline_sent integer NOT NULL DEFAULT 0")


def downgrade() -> None:
    op.execute("ALTER TABLE user_sessions DROP COLUMN offline_sent")
