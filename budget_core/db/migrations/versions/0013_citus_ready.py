"""Ready for Citus: an invitation's token is found through a reference table, not a cross-family index.

Distributed by ``family_id`` (``budget_core/db/distribution.py``), a unique index must include the
distribution column, so ``invitations (token_hash)`` cannot stay unique on its own — yet a token
is looked up before its family is known. The lookup now goes through ``invitation_tokens``
(token hash → family, invitation), a reference table (copied to every worker), and
``invitations`` is unique by ``(family_id, token_hash)``. ``invitation_lookup`` reads the family
from the reference table first, then that one family's invitation: a query routed to one worker.
``invitation_tokens`` carries ``family_id`` and so gets row-level security like every family table
(the app inserts a family's tokens in that family's scope; only ``invitation_lookup`` reads across).

``family_enter`` scopes the transaction with ``SET LOCAL`` instead of ``set_config(…, true)`` — the
same on PostgreSQL — because Citus passes ``SET LOCAL`` on to the workers (with
``citus.propagate_set_commands = 'local'``) and ``set_config`` it does not (``db/scope.py`` too).

Revision ID: 0013
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE TABLE invitation_tokens (
    token_hash    bytea PRIMARY KEY,
    family_id     bigint NOT NULL,
    invitation_id bigint NOT NULL
);
INSERT INTO invitation_tokens (token_hash, family_id, invitation_id)
    SELECT token_hash, family_id, id FROM invitations;
DROP INDEX invitations_token_key;
CREATE UNIQUE INDEX invitations_token_key ON invitations (family_id, token_hash);

ALTER TABLE invitation_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE invitation_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY family_isolation ON invitation_tokens USING (family_id = app_family())
    WITH CHECK (family_id = app_family());
GRANT SELECT, INSERT, UPDATE, DELETE ON invitation_tokens TO budget_app;

CREATE OR REPLACE FUNCTION invitation_lookup(hash bytea)
    RETURNS TABLE (family_id bigint, family_name text, role text, open boolean)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public
AS $$
DECLARE
    tok record;
BEGIN
    SELECT t.family_id, t.invitation_id INTO tok FROM invitation_tokens t WHERE t.token_hash = hash;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    RETURN QUERY
    SELECT i.family_id, f.name, i.role, (i.used_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now())
    FROM invitations i JOIN families f ON f.id = i.family_id
    WHERE i.family_id = tok.family_id AND i.id = tok.invitation_id;
END $$;
"""

FAMILY_ENTER = r"""
CREATE OR REPLACE FUNCTION family_enter(fam bigint, usr bigint, min_role text, bump boolean)
RETURNS TABLE (id bigint, version bigint, name text, currency text, timezone text, monthly_income bigint,
               savings_goal bigint, period_start_day smallint, big_expense_threshold bigint,
               role text, display_name text)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = public
AS $$
DECLARE
    scoped bigint := NULLIF(current_setting('app.family_id', true), '')::bigint;
    member record;
BEGIN
    IF fam IS NULL OR usr IS NULL THEN
        RAISE EXCEPTION 'Sign in and choose a family first.' USING ERRCODE = 'FB403';
    END IF;
    IF scoped IS NOT NULL AND scoped <> fam THEN
        RAISE EXCEPTION 'This transaction belongs to another family.' USING ERRCODE = 'FB403';
    END IF;
    EXECUTE format('SET LOCAL app.user_id = %L', usr::text);
    EXECUTE format('SET LOCAL app.family_id = %L', fam::text);
    IF bump THEN
        -- the version lock first: a removal or role change that commits meanwhile is seen below
        UPDATE families f SET version = f.version + 1 WHERE f.id = fam;
    END IF;
    SELECT m.role, m.display_name INTO member FROM members m
    WHERE m.family_id = fam AND m.user_id = usr AND m.removed_at IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'You are not a member of family %; ask one of its managers for an invitation.', fam
            USING ERRCODE = 'FB403';
    END IF;
    IF min_role = 'manager' AND member.role <> 'manager' THEN
        RAISE EXCEPTION 'manager' USING ERRCODE = 'FB402';  -- the caller words it ("Only a manager … can …")
    END IF;
    RETURN QUERY
    SELECT f.id, f.version, f.name, trim(f.currency)::text, f.timezone, f.monthly_income, f.savings_goal,
           f.period_start_day, f.big_expense_threshold, member.role::text, member.display_name
    FROM families f WHERE f.id = fam;
END $$;
"""

DOWNGRADE = """
DROP FUNCTION invitation_lookup(bytea);
CREATE FUNCTION invitation_lookup(hash bytea)
    RETURNS TABLE (family_id bigint, family_name text, role text, open boolean)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT i.family_id, f.name, i.role,
                 (i.used_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now())
          FROM invitations i JOIN families f ON f.id = i.family_id WHERE i.token_hash = hash $$;
GRANT EXECUTE ON FUNCTION invitation_lookup(bytea) TO budget_app;
DROP INDEX invitations_token_key;
CREATE UNIQUE INDEX invitations_token_key ON invitations (token_hash);
DROP TABLE invitation_tokens;
"""


def upgrade() -> None:
    op.execute(UPGRADE)
    op.execute(FAMILY_ENTER)


def downgrade() -> None:
    op.execute(
        FAMILY_ENTER.replace(
            "EXECUTE format('SET LOCAL app.user_id = %L', usr::text);",
            "PERFORM set_config('app.user_id', usr::text, true);",
        ).replace(
            "EXECUTE format('SET LOCAL app.family_id = %L', fam::text);",
            "PERFORM set_config('app.family_id', fam::text, true);",
        )
    )
    op.execute(DOWNGRADE)
