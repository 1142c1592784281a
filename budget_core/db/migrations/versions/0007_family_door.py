"""One door into a family, in the database too; one writer of transactions.

``family_enter(fam, usr, min_role, bump)`` is how a transaction enters a family: it names the
person (``app.user_id``), refuses a transaction already scoped to *another* family, checks that
``usr`` is a current member with at least ``min_role`` (``NULL``: any member), scopes the
transaction to ``fam`` (``app.family_id``) and returns the family with the member's role and name.
With ``bump`` it first takes the family's version lock (``UPDATE … version + 1``), so the
membership it checks is the one that holds when the write commits. One statement instead of the
three (scope, bump, member) it replaces.

``budget_inputs(fam, usr, wanted)`` no longer scopes itself to whatever family it is given: it
enters through ``family_enter``, so a person who is not a member, or a transaction scoped to
another family, gets an error instead of that family's figures.

``ledger_insert(fam, …arrays)`` holds the only ``INSERT INTO transactions`` of the code base; typed
entries (through ``ledger_add``), imports, unlinked bank rows and delivered outbox entries all go
through it. ``ledger_add`` is the whole typed entry — enter the family, replay check by
``client_id``, category checks, insert, the member's last category, the event — as one statement,
so an add costs one round trip plus the NOTIFY after commit.

Errors use SQLSTATEs of class ``FB`` (``FB400`` invalid, ``FB402`` role too low, ``FB403`` not a
member, ``FB404`` not found, ``FB409`` the same ``client_id`` committed meanwhile: call again) whose
message is the person's; ``budget_core/db/errors.py`` turns them into typed errors.

No function here is ``SECURITY DEFINER``: each runs as the caller (``budget_app``) under row-level
security. The ``SECURITY DEFINER`` functions of migration 0004 are the only ones that cross
families, each for a reason documented there.

Revision ID: 0007
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

FUNCTIONS = r"""
CREATE FUNCTION family_enter(fam bigint, usr bigint, min_role text, bump boolean)
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
    PERFORM set_config('app.user_id', usr::text, true);
    PERFORM set_config('app.family_id', fam::text, true);
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

DROP FUNCTION budget_inputs(bigint, date);
CREATE FUNCTION budget_inputs(fam bigint, usr bigint, wanted date)
RETURNS TABLE (version bigint, currency text, timezone text, monthly_income bigint, savings_goal bigint,
               period_start_day smallint, on_day date, fixed_planned bigint,
               occurred_on date, kind text, total bigint)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = public
AS $$
BEGIN
    PERFORM 1 FROM family_enter(fam, usr, NULL, false);
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

-- The only INSERT INTO transactions: rows in as parallel arrays (one element for a typed entry, blocks
-- of thousands for an import). Runs inside a transaction already scoped to ``fam`` (row-level security
-- refuses the rows otherwise). Returns each new row's id with its client_id, to match them up.
CREATE FUNCTION ledger_insert(fam bigint, users bigint[], cats bigint[], kinds text[], amounts bigint[],
                              descriptions text[], days date[], client_ids uuid[], import_ids text[])
RETURNS TABLE (id bigint, client_id uuid)
LANGUAGE sql VOLATILE SECURITY INVOKER SET search_path = public
AS $$
    INSERT INTO transactions AS tr (family_id, user_id, category_id, kind, amount, description, occurred_on,
                                    client_id, import_id)
    SELECT fam, u, c, k, a, d, o, ci, i
    FROM unnest(users, cats, kinds, amounts, descriptions, days, client_ids, import_ids) AS t(u, c, k, a, d, o, ci, i)
    RETURNING tr.id, tr.client_id
$$;

-- A typed entry, whole: enter the family (membership), category checks, replay by client_id (nothing
-- written), else the version lock (membership again), the row, the member's last category, the event. ``amt`` is positive
-- minor units, stored negative when ``is_refund``; ``day`` is already checked against the family's today.
-- With ``notify_inside`` the NOTIFY is sent before commit (measured slower with many writers).
CREATE FUNCTION ledger_add(fam bigint, usr bigint, cat bigint, amt bigint, is_refund boolean, descr text,
                           day date, cid uuid, day_given boolean, notify_inside boolean)
RETURNS TABLE (family_version bigint, replay boolean, id bigint, family_id bigint, user_id bigint, member text,
               category_id bigint, category text, kind text, amount bigint, currency text, description text,
               occurred_on date, created_at timestamptz, updated_at timestamptz, client_id uuid,
               row_version integer)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = public
AS $$
DECLARE
    fam_row record;
    c record;
    signed bigint;
    stored record;
    new_id bigint;
    new_version bigint;  -- NULL for a replay
    replayed boolean := false;
BEGIN
    PERFORM 1 FROM family_enter(fam, usr, NULL, false);  -- scope and membership, before anything is read
    SELECT x.kind, x.archived_at IS NOT NULL AS archived,
           CASE WHEN p.name IS NULL THEN x.name ELSE p.name || ' › ' || x.name END AS label
    INTO c FROM categories x LEFT JOIN categories p ON p.family_id = x.family_id AND p.id = x.parent_id
    WHERE x.family_id = fam AND x.id = cat;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'This family has no category %.', cat USING ERRCODE = 'FB404';
    END IF;
    IF c.archived THEN
        RAISE EXCEPTION 'The category ''%'' is archived; choose another one.', c.label USING ERRCODE = 'FB400';
    END IF;
    IF is_refund AND c.kind = 'income' THEN
        RAISE EXCEPTION 'A refund goes against an expense category, not an income one.' USING ERRCODE = 'FB400';
    END IF;
    signed := CASE WHEN is_refund THEN -amt ELSE amt END;
    SELECT t.id, t.amount, t.description, t.category_id, t.occurred_on, t.user_id INTO stored
    FROM transactions t WHERE t.family_id = fam AND t.client_id = cid;
    IF FOUND THEN
        -- an undated entry means "the day it was first saved": a retry after midnight is the same entry
        IF (stored.amount, stored.description, stored.category_id, stored.user_id)
               IS DISTINCT FROM (signed, descr, cat, usr)
           OR (day_given AND stored.occurred_on <> day) THEN
            RAISE EXCEPTION 'This entry was already saved with different details; reload the form to enter a new one.'
                USING ERRCODE = 'FB400';
        END IF;
        new_id := stored.id;
        replayed := true;
    ELSE
        SELECT * INTO fam_row FROM family_enter(fam, usr, NULL, true);
        new_version := fam_row.version;
        -- the same client_id committed by a concurrent call while this one waited for the version lock
        PERFORM 1 FROM transactions t WHERE t.family_id = fam AND t.client_id = cid;
        IF FOUND THEN
            RAISE EXCEPTION 'saved meanwhile; ask again' USING ERRCODE = 'FB409';
        END IF;
        SELECT l.id INTO new_id
        FROM ledger_insert(fam, ARRAY[usr], ARRAY[cat], ARRAY[c.kind], ARRAY[signed], ARRAY[descr], ARRAY[day],
                           ARRAY[cid], ARRAY[NULL::text]) l;
        UPDATE members m SET last_category_id = cat WHERE m.family_id = fam AND m.user_id = usr;
        INSERT INTO events (family_id, version, actor_id, kind, payload)
        VALUES (fam, fam_row.version, usr, 'transaction.added',
                jsonb_build_object('actor', fam_row.display_name, 'id', new_id, 'amount', signed,
                                   'currency', fam_row.currency, 'description', descr, 'category', c.label,
                                   'kind', c.kind, 'occurred_on', to_char(day, 'YYYY-MM-DD')));
        IF notify_inside THEN  -- else the caller notifies after commit (see services/_uow.py)
            PERFORM pg_notify('family_changes', fam::text || ':' || new_version::text);
        END IF;
    END IF;
    RETURN QUERY
    SELECT new_version, replayed,
           t.id, t.family_id, t.user_id, m.display_name, t.category_id,
           CASE WHEN p.name IS NULL THEN x.name ELSE p.name || ' › ' || x.name END, t.kind, t.amount,
           trim(f.currency)::text, t.description, t.occurred_on, t.created_at, t.updated_at, t.client_id,
           t.row_version
    FROM transactions t JOIN families f ON f.id = t.family_id
    JOIN members m ON m.family_id = t.family_id AND m.user_id = t.user_id
    JOIN categories x ON x.family_id = t.family_id AND x.id = t.category_id
    LEFT JOIN categories p ON p.family_id = x.family_id AND p.id = x.parent_id
    WHERE t.family_id = fam AND t.id = new_id;
END $$;

GRANT EXECUTE ON FUNCTION family_enter(bigint, bigint, text, boolean) TO budget_app;
GRANT EXECUTE ON FUNCTION budget_inputs(bigint, bigint, date) TO budget_app;
GRANT EXECUTE ON FUNCTION ledger_insert(bigint, bigint[], bigint[], text[], bigint[], text[], date[], uuid[], text[])
    TO budget_app;
GRANT EXECUTE ON FUNCTION ledger_add(bigint, bigint, bigint, bigint, boolean, text, date, uuid, boolean, boolean) TO budget_app;
"""

DROP_FUNCTIONS = """
DROP FUNCTION ledger_add(bigint, bigint, bigint, bigint, boolean, text, date, uuid, boolean, boolean);
DROP FUNCTION ledger_insert(bigint, bigint[], bigint[], text[], bigint[], text[], date[], uuid[], text[]);
DROP FUNCTION budget_inputs(bigint, bigint, date);
DROP FUNCTION family_enter(bigint, bigint, text, boolean);
"""


def upgrade() -> None:
    op.execute(FUNCTIONS)


def downgrade() -> None:
    from importlib import import_module

    op.execute(DROP_FUNCTIONS)
    op.execute(import_module("budget_core.db.migrations.versions.0006_budget_inputs").FUNCTION)
