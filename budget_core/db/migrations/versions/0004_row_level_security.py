"""Row-level security: the database as the second wall between families.

Creates the ``budget_app`` role (see ``budget_core/db/roles.py``), grants it what the app needs,
and protects every table with a ``family_id`` column: a row is visible and writable only when its
family is the one set for the current transaction (``app.family_id``, set with SET LOCAL by
``budget_core/db/scope.py``). An empty or missing setting matches nothing. ``families`` and
``members`` also show a person their own memberships (``app.user_id``), which is what the family
switch needs. Lookups that must cross families before one is known (an invitation by its token,
the watcher's versions) go through SECURITY DEFINER functions that return only what they must.

Revision ID: 0004
"""

from alembic import op

from budget_core.db.roles import CREATE_APP_ROLE, GRANTS

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

FUNCTIONS = """
CREATE FUNCTION app_family() RETURNS bigint LANGUAGE sql STABLE
    AS $$ SELECT NULLIF(current_setting('app.family_id', true), '')::bigint $$;
CREATE FUNCTION app_user() RETURNS bigint LANGUAGE sql STABLE
    AS $$ SELECT NULLIF(current_setting('app.user_id', true), '')::bigint $$;

-- the watcher: versions only, of the families asked for
CREATE FUNCTION family_versions(ids bigint[]) RETURNS TABLE (id bigint, version bigint)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT f.id, f.version FROM families f WHERE f.id = ANY(ids) $$;

-- an invitation by the hash of its token: its family, that family's name, the role, whether open
CREATE FUNCTION invitation_lookup(hash bytea)
    RETURNS TABLE (family_id bigint, family_name text, role text, open boolean)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT i.family_id, f.name, i.role,
                 (i.used_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now())
          FROM invitations i JOIN families f ON f.id = i.family_id WHERE i.token_hash = hash $$;

-- health: how many notifications wait, across families, without showing any of them
CREATE FUNCTION notification_queue_depth() RETURNS TABLE (channel text, status text, n bigint)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT channel, status, count(*) FROM notifications WHERE status <> 'sent' GROUP BY 1, 2 $$;
"""

POLICIES = """
ALTER TABLE families ENABLE ROW LEVEL SECURITY;
ALTER TABLE families FORCE ROW LEVEL SECURITY;
CREATE POLICY family_read ON families FOR SELECT
    USING (id = app_family() OR id IN (SELECT m.family_id FROM members m
                                       WHERE m.user_id = app_user() AND m.removed_at IS NULL));
CREATE POLICY family_create ON families FOR INSERT WITH CHECK (id = app_family());
CREATE POLICY family_change ON families FOR UPDATE USING (id = app_family()) WITH CHECK (id = app_family());
CREATE POLICY family_delete ON families FOR DELETE USING (id = app_family());

DO $$
DECLARE t text;
BEGIN
    FOR t IN SELECT c.table_name FROM information_schema.columns c
             JOIN information_schema.tables tb ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name
             WHERE c.table_schema = 'public' AND c.column_name = 'family_id' AND tb.table_type = 'BASE TABLE'
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        IF t = 'members' THEN
            EXECUTE 'CREATE POLICY family_isolation ON members USING (family_id = app_family() OR user_id = app_user()) '
                    'WITH CHECK (family_id = app_family())';
        ELSE
            EXECUTE format('CREATE POLICY family_isolation ON %I USING (family_id = app_family()) '
                           'WITH CHECK (family_id = app_family())', t);
        END IF;
    END LOOP;
END $$;
"""


def upgrade() -> None:
    op.execute(CREATE_APP_ROLE)
    op.execute(FUNCTIONS)
    op.execute(POLICIES)
    op.execute(GRANTS)


def downgrade() -> None:
    op.execute("""
DO $$
DECLARE t text;
BEGIN
    FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND rowsecurity LOOP
        EXECUTE format('ALTER TABLE %I DISABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I NO FORCE ROW LEVEL SECURITY', t);
    END LOOP;
    FOR t IN SELECT format('%I ON %I', policyname, tablename) FROM pg_policies WHERE schemaname = 'public' LOOP
        EXECUTE 'DROP POLICY ' || t;
    END LOOP;
END $$;
DROP FUNCTION notification_queue_depth(), invitation_lookup(bytea), family_versions(bigint[]), app_user(), app_family();
""")
