"""``budget_inputs(family, on)``: the daily budget's one read, as one statement.

The function scopes its own statement to the family (``set_config('app.family_id', …, true)``,
so row-level security applies as for any other read) and returns the plan, the family's version
and the totals by day and kind of the 32 days up to ``on`` (default: today in the family's time
zone): an index-only range scan of ``transactions (family_id, occurred_on) INCLUDE (kind,
amount)`` whose cost does not grow with history. One statement means one round trip, and run in
autocommit it needs no BEGIN/ROLLBACK either (``services/budgets.py``).

Revision ID: 0006
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

FUNCTION = """
CREATE FUNCTION budget_inputs(fam bigint, wanted date)
RETURNS TABLE (version bigint, currency text, timezone text, monthly_income bigint, savings_goal bigint,
               period_start_day smallint, on_day date, fixed_planned bigint,
               occurred_on date, kind text, total bigint)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = public
AS $$
BEGIN
    PERFORM set_config('app.family_id', fam::text, true);
    RETURN QUERY
    WITH f AS MATERIALIZED (
        SELECT fa.id, fa.version, trim(fa.currency)::text AS currency, fa.timezone, fa.monthly_income,
               fa.savings_goal, fa.period_start_day,
               coalesce(wanted, (now() AT TIME ZONE fa.timezone)::date) AS on_day,
               (SELECT coalesce(sum(x.amount), 0) FROM fixed_expenses x WHERE x.family_id = fa.id)::bigint AS fixed
        FROM families fa WHERE fa.id = fam
    )
    SELECT f.version, f.currency, f.timezone, f.monthly_income, f.savings_goal, f.period_start_day, f.on_day,
           f.fixed, t.occurred_on, t.kind, t.total
    FROM f LEFT JOIN LATERAL (
        SELECT tr.occurred_on, tr.kind, sum(tr.amount)::bigint AS total FROM transactions tr
        WHERE tr.family_id = f.id AND tr.occurred_on > f.on_day - 32 AND tr.occurred_on <= f.on_day
        GROUP BY tr.occurred_on, tr.kind
    ) t ON true;
END $$;
GRANT EXECUTE ON FUNCTION budget_inputs(bigint, date) TO budget_app;
"""


def upgrade() -> None:
    op.execute(FUNCTION)


def downgrade() -> None:
    op.execute("DROP FUNCTION budget_inputs(bigint, date)")
