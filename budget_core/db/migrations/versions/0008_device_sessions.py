"""Device sessions, password resets, account e-mail and the server's operator.

``user_sessions`` learns what a device session needs: whether the person asked to be kept signed
in (``keep``: 30 days after the last use instead of an hour), the browser it was started from (its
User-Agent, cut short, for the Account page's device list), and a one-time ticket (hash and expiry)
that the browser exchanges, through an HTTP route of the app, for its HttpOnly cookie. The cookie's
token replaces the session's ``token_hash`` at that exchange, so no token is ever stored in clear.

``password_resets`` holds single-use reset links (SHA-256 of a 192-bit token, one hour), asked for
by e-mail or made by a manager for a member of their family (``made_by``). ``account_mail`` is the
durable queue of e-mails about an account rather than a family (a reset link); the body, which
holds the link, is blanked once sent. Neither is family-scoped.

``users.is_operator`` marks the server's operator (the first account, or ``budget user operator``):
the only people who see the Health page's server-wide figures.

``account_reach(manager, target)`` is the one new function that crosses families, as SECURITY
DEFINER, returning one boolean and nothing of any family: whether every family ``target`` is a
current member of is one that ``manager`` currently manages. A manager may make a reset link only
for such a person, or a reset would hand them an account that opens families they do not manage.

Revision ID: 0008
"""

from alembic import op

revision = "0008"
down_revision = "0013"
branch_labels = None
depends_on = None

DDL = """
ALTER TABLE user_sessions
    ADD COLUMN keep              boolean NOT NULL DEFAULT false,
    ADD COLUMN user_agent        text,
    ADD COLUMN ticket_hash       bytea UNIQUE,
    ADD COLUMN ticket_expires_at timestamptz;

ALTER TABLE users ADD COLUMN is_operator boolean NOT NULL DEFAULT false;
UPDATE users SET is_operator = true WHERE id = (SELECT min(id) FROM users);

CREATE TABLE password_resets (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash bytea NOT NULL UNIQUE,
    made_by    bigint REFERENCES users(id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX password_resets_user_idx ON password_resets (user_id) WHERE used_at IS NULL;

CREATE TABLE account_mail (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            text NOT NULL,
    recipient       text NOT NULL,
    subject         text NOT NULL,
    body            text NOT NULL,
    status          text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz
);
CREATE INDEX account_mail_due_idx ON account_mail (next_attempt_at) WHERE status = 'queued';

CREATE FUNCTION account_reach(manager bigint, target bigint) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT NOT EXISTS (
              SELECT 1 FROM members t
              WHERE t.user_id = target AND t.removed_at IS NULL
                AND NOT EXISTS (SELECT 1 FROM members m
                                WHERE m.family_id = t.family_id AND m.user_id = manager
                                  AND m.role = 'manager' AND m.removed_at IS NULL)) $$;

GRANT SELECT, INSERT, UPDATE, DELETE ON password_resets, account_mail TO budget_app;
GRANT EXECUTE ON FUNCTION account_reach(bigint, bigint) TO budget_app;
"""


def upgrade() -> None:
    op.execute(DDL)


def downgrade() -> None:
    op.execute("""
DROP FUNCTION account_reach(bigint, bigint);
DROP TABLE account_mail, password_resets;
ALTER TABLE users DROP COLUMN is_operator;
ALTER TABLE user_sessions DROP COLUMN ticket_expires_at, DROP COLUMN ticket_hash, DROP COLUMN user_agent,
    DROP COLUMN keep;
""")
