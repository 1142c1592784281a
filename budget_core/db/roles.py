"""The database roles: the owner (runs migrations, owns every table) and ``budget_app``.

The app connects as ``budget_app``: it owns nothing, is no superuser and has no BYPASSRLS, so
the row-level security policies apply to it. Only superusers and BYPASSRLS roles skip them: FORCE
ROW LEVEL SECURITY applies them to the tables' owner too, so the owner's engine sees every family
only as such a role (``scope.unfiltered`` makes system work fail loudly otherwise).
``GRANTS`` is applied by migration 0004 and again after a restore (dumps carry no privileges).
"""

APP_ROLE = "budget_app"

CREATE_APP_ROLE = f"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
        CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
    END IF;
END $$;
"""

GRANTS = f"""
GRANT USAGE ON SCHEMA public TO {APP_ROLE};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE};
REVOKE ALL ON alembic_version FROM {APP_ROLE};
GRANT SELECT ON alembic_version TO {APP_ROLE};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE};
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {APP_ROLE};
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE};
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE};
"""
