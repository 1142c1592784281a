"""The family's locale: how its money, dates and times are written.

``families.locale`` holds a CLDR identifier such as ``de_DE``; ``NULL`` means "not chosen yet",
and the app derives one from the family's currency and the browser's language
(``budget_core.domain.locale.default_locale``). ``family_enter`` returns it with the rest of the
family, so every page run that opens the family knows it without another query.

Revision ID: 0010
"""

from alembic import op

revision = "0010"
down_revision = "0014"
branch_labels = None
depends_on = None

FAMILY_ENTER = r"""
CREATE FUNCTION family_enter(fam bigint, usr bigint, min_role text, bump boolean)
RETURNS TABLE (id bigint, version bigint, name text, currency text, timezone text, monthly_income bigint,
               savings_goal bigint, period_start_day smallint, big_expense_threshold bigint,
               role text, display_name text, locale text)
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
    EXECUTE format('SET LOCAL app.user_id = %L', usr::text);  -- SET LOCAL: what Citus passes on (0013)
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
           f.period_start_day, f.big_expense_threshold, member.role::text, member.display_name, f.locale
    FROM families f WHERE f.id = fam;
END $$;
GRANT EXECUTE ON FUNCTION family_enter(bigint, bigint, text, boolean) TO budget_app;
"""


def upgrade() -> None:
    op.execute("ALTER TABLE families ADD COLUMN locale text CHECK (locale ~ '^[a-z]{2,3}(_[A-Za-z0-9]+)+$')")
    op.execute("DROP FUNCTION family_enter(bigint, bigint, text, boolean)")
    op.execute(FAMILY_ENTER)


def downgrade() -> None:
    from importlib import import_module

    before = import_module("budget_core.db.migrations.versions.0013_citus_ready").FAMILY_ENTER
    op.execute("DROP FUNCTION family_enter(bigint, bigint, text, boolean)")
    op.execute(before)
    op.execute("GRANT EXECUTE ON FUNCTION family_enter(bigint, bigint, text, boolean) TO budget_app")
    op.execute("ALTER TABLE families DROP COLUMN locale")
