"""The budget a family runs: schedules, split purchases, carry-over, category targets.

**Schedules** post a transaction on each occurrence date. ``schedule_occurrences`` holds one row per
(schedule, date) — posted (with its transaction) or skipped — and its primary key is the occurrence
key: the poster inserts the occurrence and its transaction in one transaction, ``ON CONFLICT DO
NOTHING``, so an occurrence is posted exactly once whatever the number of processes, restarts or
retries. ``schedules.next_on`` is the first occurrence not yet posted or skipped (a hint for finding
what is due; the key is what guarantees once). ``schedules_due(until)`` — the one new function that
crosses families, ``SECURITY DEFINER`` like those of migration 0004 — returns only which families
have a schedule due by their own today and which current member to post as, nothing of their money.

**Splits**: ``transaction_parts`` holds the parts (category, its kind, amount) of a split transaction,
which keeps its total in ``transactions.amount`` and its number of parts in ``transactions.parts``; a
deferred constraint trigger refuses a commit whose parts do not add up to the total. The daily
budget counts a split transaction by its parts: ``budget_inputs`` reads unsplit transactions and
parts, each through an index-only range scan (``transactions`` now includes ``parts`` in its index).

**Carry-over**: ``families.carry_over_since`` (NULL: off) is the day it was switched on;
``budget_inputs`` then also returns the totals by period and kind from the period before that day up
to the period before the one asked about, and the pure ``allowance.carried_in`` makes the running
balance of them — computed from the ledger on every uncached read, never stored.

**Targets**: ``category_targets`` (an amount per period for an everyday category).
``targets_crossed(fam, cats, days, deltas)`` says which targets a change took over the line; the
typed entry (``ledger_add``) reports it in its event, the other writers call it themselves.

Revision ID: 0012
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

DDL = r"""
ALTER TABLE families ADD COLUMN carry_over_since date;

CREATE TABLE schedules (
    family_id   bigint NOT NULL REFERENCES families(id) ON DELETE CASCADE,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    description text NOT NULL,
    amount      bigint NOT NULL CHECK (amount > 0 AND amount <= 1000000000000),
    refund      boolean NOT NULL DEFAULT false,
    category_id bigint NOT NULL,
    user_id     bigint NOT NULL,
    every       text NOT NULL CHECK (every IN ('week', 'month', 'year')),
    step        smallint NOT NULL DEFAULT 1 CHECK (step BETWEEN 1 AND 99),
    day         smallint NOT NULL CHECK (day BETWEEN 1 AND 31),  -- week: ISO weekday 1-7; else day of month
    month       smallint CHECK (month BETWEEN 1 AND 12),         -- year: the month
    starts_on   date NOT NULL,
    ends_on     date,
    max_count   integer CHECK (max_count > 0),
    bill_id     bigint,
    next_on     date,  -- the first occurrence neither posted nor skipped; NULL when none is left
    created_by  bigint,
    created_at  timestamptz NOT NULL DEFAULT now(),
    row_version integer NOT NULL DEFAULT 1,
    PRIMARY KEY (family_id, id),
    FOREIGN KEY (family_id, category_id) REFERENCES categories (family_id, id),
    FOREIGN KEY (family_id, user_id) REFERENCES members (family_id, user_id),
    FOREIGN KEY (family_id, bill_id) REFERENCES fixed_expenses (family_id, id) ON DELETE CASCADE,
    CHECK (every <> 'week' OR day <= 7),
    CHECK (ends_on IS NULL OR ends_on >= starts_on)
);
CREATE INDEX schedules_next_idx ON schedules (next_on) WHERE next_on IS NOT NULL;

CREATE TABLE schedule_occurrences (
    family_id      bigint NOT NULL REFERENCES families(id) ON DELETE CASCADE,
    schedule_id    bigint NOT NULL,
    on_day         date NOT NULL,
    outcome        text NOT NULL CHECK (outcome IN ('posted', 'skipped')),
    transaction_id bigint,
    at             timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (family_id, schedule_id, on_day),  -- the occurrence key: posted at most once
    FOREIGN KEY (family_id, schedule_id) REFERENCES schedules (family_id, id) ON DELETE CASCADE
);

ALTER TABLE transactions ADD COLUMN parts smallint NOT NULL DEFAULT 0 CHECK (parts >= 0 AND parts <= 20);
DROP INDEX transactions_family_date_idx;
CREATE INDEX transactions_family_date_idx ON transactions (family_id, occurred_on) INCLUDE (kind, amount, parts);

CREATE TABLE transaction_parts (
    family_id      bigint NOT NULL,
    transaction_id bigint NOT NULL,
    part           smallint NOT NULL,
    category_id    bigint NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('fixed', 'variable', 'savings', 'income')),
    amount         bigint NOT NULL CHECK (amount <> 0 AND abs(amount) <= 1000000000000),
    occurred_on    date NOT NULL,  -- the transaction's, kept with it (the daily budget reads parts by day)
    PRIMARY KEY (family_id, transaction_id, part),
    FOREIGN KEY (family_id, transaction_id) REFERENCES transactions (family_id, id) ON DELETE CASCADE,
    FOREIGN KEY (family_id, category_id) REFERENCES categories (family_id, id)
);
CREATE INDEX transaction_parts_day_idx ON transaction_parts (family_id, occurred_on) INCLUDE (kind, amount);
CREATE INDEX transaction_parts_category_idx ON transaction_parts (family_id, category_id, occurred_on);

CREATE TABLE category_targets (
    family_id   bigint NOT NULL REFERENCES families(id) ON DELETE CASCADE,
    category_id bigint NOT NULL,
    amount      bigint NOT NULL CHECK (amount > 0 AND amount <= 1000000000000),
    PRIMARY KEY (family_id, category_id),
    FOREIGN KEY (family_id, category_id) REFERENCES categories (family_id, id)
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['schedules', 'schedule_occurrences', 'transaction_parts', 'category_targets'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY family_isolation ON %I USING (family_id = app_family()) '
                       'WITH CHECK (family_id = app_family())', t);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO budget_app', t);
    END LOOP;
END $$;
"""

FUNCTIONS = r"""
-- a split's parts add up to its amount, checked when the transaction commits
CREATE FUNCTION check_split_sum() RETURNS trigger
LANGUAGE plpgsql SECURITY INVOKER SET search_path = public
AS $$
DECLARE
    fam bigint;
    tid bigint;
    tx record;
    total bigint;
    n integer;
BEGIN
    IF TG_TABLE_NAME = 'transactions' THEN
        fam := coalesce(NEW.family_id, OLD.family_id);
        tid := coalesce(NEW.id, OLD.id);
    ELSE
        fam := coalesce(NEW.family_id, OLD.family_id);
        tid := coalesce(NEW.transaction_id, OLD.transaction_id);
    END IF;
    SELECT t.amount, t.parts INTO tx FROM transactions t WHERE t.family_id = fam AND t.id = tid;
    IF NOT FOUND THEN
        RETURN NULL;  -- deleted with its parts
    END IF;
    SELECT coalesce(sum(p.amount), 0), count(*) INTO total, n
    FROM transaction_parts p WHERE p.family_id = fam AND p.transaction_id = tid;
    IF n <> tx.parts OR (n > 0 AND total <> tx.amount) THEN
        RAISE EXCEPTION 'The parts of a split must add up exactly to its amount.' USING ERRCODE = 'FB400';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER transaction_parts_sum AFTER INSERT OR UPDATE OR DELETE ON transaction_parts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION check_split_sum();
CREATE CONSTRAINT TRIGGER transactions_split_sum_new AFTER INSERT ON transactions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.parts > 0) EXECUTE FUNCTION check_split_sum();
CREATE CONSTRAINT TRIGGER transactions_split_sum AFTER UPDATE OF amount, parts ON transactions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.parts > 0 OR OLD.parts > 0) EXECUTE FUNCTION check_split_sum();

-- Which families have a schedule due by their own today, and the current member to post as: the
-- schedule's member, else its creator, else a manager. Nothing else of any family.
CREATE FUNCTION schedules_due(until date) RETURNS TABLE (family_id bigint, user_id bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
AS $$
    SELECT DISTINCT ON (s.family_id) s.family_id, coalesce(m1.user_id, m2.user_id, m3.user_id)
    FROM schedules s JOIN families f ON f.id = s.family_id
    LEFT JOIN members m1 ON m1.family_id = s.family_id AND m1.user_id = s.user_id AND m1.removed_at IS NULL
    LEFT JOIN members m2 ON m2.family_id = s.family_id AND m2.user_id = s.created_by AND m2.removed_at IS NULL
    LEFT JOIN LATERAL (SELECT m.user_id FROM members m WHERE m.family_id = s.family_id AND m.removed_at IS NULL
                       AND m.role = 'manager' ORDER BY m.user_id LIMIT 1) m3 ON true
    WHERE s.next_on IS NOT NULL
      AND s.next_on <= least(coalesce(until, (now() AT TIME ZONE f.timezone)::date), (now() AT TIME ZONE f.timezone)::date + 366)
      AND coalesce(m1.user_id, m2.user_id, m3.user_id) IS NOT NULL
    ORDER BY s.family_id
$$;
REVOKE ALL ON FUNCTION schedules_due(date) FROM PUBLIC;

-- Spending of an everyday category (and its subcategories) in the period containing d, parts included.
CREATE FUNCTION category_spent(fam bigint, cat bigint, d date) RETURNS bigint
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = public
AS $$
    WITH f AS (SELECT period_start_of(fa.period_start_day, d) AS s, period_after(fa.period_start_day, d) AS e
               FROM families fa WHERE fa.id = fam),
    c AS (SELECT x.id FROM categories x WHERE x.family_id = fam AND (x.id = cat OR x.parent_id = cat))
    SELECT (coalesce((SELECT sum(t.amount) FROM transactions t, f WHERE t.family_id = fam AND t.parts = 0
                      AND t.category_id IN (SELECT id FROM c) AND t.occurred_on >= f.s AND t.occurred_on < f.e), 0)
          + coalesce((SELECT sum(p.amount) FROM transaction_parts p, f WHERE p.family_id = fam
                      AND p.category_id IN (SELECT id FROM c) AND p.occurred_on >= f.s AND p.occurred_on < f.e), 0)
           )::bigint
$$;

-- The targets a change took over the line: for each (category, day, delta) of the change, the targets
-- of that category or its parent whose period spending is now at or above the target and was below it
-- before the change (spent - delta). Call it after writing the change, in the same transaction.
CREATE FUNCTION targets_crossed(fam bigint, cats bigint[], days date[], deltas bigint[])
RETURNS TABLE (category_id bigint, category text, target bigint, spent bigint, on_day date)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = public
AS $$
    WITH ch AS (
        SELECT coalesce(CASE WHEN EXISTS (SELECT 1 FROM category_targets g WHERE g.family_id = fam AND g.category_id = x.c)
                             THEN x.c END, cat.parent_id) AS tc,
               x.o, x.d
        FROM unnest(cats, days, deltas) AS x(c, o, d)
        JOIN categories cat ON cat.family_id = fam AND cat.id = x.c
    ),
    per AS (
        SELECT ch.tc, period_start_of(f.period_start_day, ch.o) AS ps, max(ch.o) AS o, sum(ch.d) AS delta
        FROM ch JOIN families f ON f.id = fam WHERE ch.tc IS NOT NULL GROUP BY 1, 2
    )
    SELECT g.category_id, CASE WHEN p.name IS NULL THEN c.name ELSE p.name || ' › ' || c.name END, g.amount,
           s.spent, per.o
    FROM per JOIN category_targets g ON g.family_id = fam AND g.category_id = per.tc
    JOIN categories c ON c.family_id = fam AND c.id = g.category_id
    LEFT JOIN categories p ON p.family_id = fam AND p.id = c.parent_id
    CROSS JOIN LATERAL (SELECT category_spent(fam, g.category_id, per.o) AS spent) s
    WHERE s.spent >= g.amount AND s.spent - per.delta < g.amount
$$;

DROP FUNCTION budget_inputs(bigint, bigint, date);
CREATE FUNCTION budget_inputs(fam bigint, usr bigint, wanted date)
RETURNS TABLE (version bigint, currency text, timezone text, monthly_income bigint, savings_goal bigint,
               period_start_day smallint, on_day date, fixed_planned bigint, carry_over_since date,
               occurred_on date, kind text, total bigint, period_from date)
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = public
AS $$
BEGIN
    PERFORM 1 FROM family_enter(fam, usr, NULL, false);
    RETURN QUERY
    WITH f AS MATERIALIZED (
        SELECT fa.id, fa.version, trim(fa.currency)::text AS currency, fa.timezone, fa.monthly_income,
               fa.savings_goal, fa.period_start_day, fa.carry_over_since,
               coalesce(wanted, (now() AT TIME ZONE fa.timezone)::date) AS on_day,
               (SELECT coalesce(sum(x.amount), 0) FROM fixed_expenses x WHERE x.family_id = fa.id)::bigint AS fixed
        FROM families fa WHERE fa.id = fam
    ),
    -- carry-over: from the period before the one it was switched on in, up to the period before on_day's
    r AS MATERIALIZED (
        SELECT period_start_of(f.period_start_day, period_start_of(f.period_start_day, f.carry_over_since) - 1) AS lo,
               period_start_of(f.period_start_day, f.on_day) AS hi
        FROM f WHERE f.carry_over_since IS NOT NULL
          AND period_start_of(f.period_start_day, f.carry_over_since) <= f.on_day
    )
    SELECT f.version, f.currency, f.timezone, f.monthly_income, f.savings_goal, f.period_start_day, f.on_day,
           f.fixed, f.carry_over_since, t.occurred_on, t.kind, t.total, t.period_from
    FROM f LEFT JOIN LATERAL (
        SELECT d.occurred_on, d.kind, sum(d.amount)::bigint AS total, NULL::date AS period_from FROM (
            SELECT tr.occurred_on, tr.kind, tr.amount FROM transactions tr
            WHERE tr.family_id = f.id AND tr.occurred_on > f.on_day - 32 AND tr.occurred_on <= f.on_day
              AND tr.parts = 0
            UNION ALL
            SELECT tp.occurred_on, tp.kind, tp.amount FROM transaction_parts tp
            WHERE tp.family_id = f.id AND tp.occurred_on > f.on_day - 32 AND tp.occurred_on <= f.on_day
        ) d GROUP BY d.occurred_on, d.kind
        UNION ALL
        SELECT NULL::date, d.kind, sum(d.amount)::bigint, period_start_of(f.period_start_day, d.occurred_on) FROM (
            SELECT tr.occurred_on, tr.kind, tr.amount FROM transactions tr, r
            WHERE tr.family_id = f.id AND tr.occurred_on >= r.lo AND tr.occurred_on < r.hi AND tr.parts = 0
            UNION ALL
            SELECT tp.occurred_on, tp.kind, tp.amount FROM transaction_parts tp, r
            WHERE tp.family_id = f.id AND tp.occurred_on >= r.lo AND tp.occurred_on < r.hi
        ) d GROUP BY 4, d.kind
    ) t ON true;
END $$;

DROP FUNCTION ledger_add(bigint, bigint, bigint, bigint, boolean, text, date, uuid, boolean, boolean);
DROP FUNCTION ledger_insert(bigint, bigint[], bigint[], text[], bigint[], text[], date[], uuid[], text[], bigint[]);

-- The only INSERT INTO transactions (migrations 0007, 0011), now with each row's split parts: NULL, or a
-- JSON array of {"category_id", "kind", "amount"} (signed minor units adding up to the row's amount),
-- stored in transaction_parts with the transaction.
CREATE FUNCTION ledger_insert(fam bigint, users bigint[], cats bigint[], kinds text[], amounts bigint[],
                              descriptions text[], days date[], client_ids uuid[], import_ids text[],
                              bills bigint[], splits jsonb[])
RETURNS TABLE (id bigint, client_id uuid)
LANGUAGE sql VOLATILE SECURITY INVOKER SET search_path = public
AS $$
    WITH src AS (
        SELECT * FROM unnest(users, cats, kinds, amounts, descriptions, days, client_ids, import_ids, bills, splits)
            AS t(u, c, k, a, d, o, ci, i, b, sp)
    ),
    ins AS (
        INSERT INTO transactions AS tr (family_id, user_id, category_id, kind, amount, description, occurred_on,
                                        client_id, import_id, bill_id, parts)
        SELECT fam, u, c, CASE WHEN b IS NULL THEN k ELSE 'fixed' END, a, d, o, ci, i, b,
               coalesce(jsonb_array_length(sp), 0)
        FROM src
        RETURNING tr.id, tr.client_id, tr.occurred_on
    ),
    new_parts AS (
        INSERT INTO transaction_parts (family_id, transaction_id, part, category_id, kind, amount, occurred_on)
        SELECT fam, ins.id, x.n, (x.e->>'category_id')::bigint, x.e->>'kind', (x.e->>'amount')::bigint, ins.occurred_on
        FROM ins JOIN src ON src.ci = ins.client_id AND src.sp IS NOT NULL
        CROSS JOIN LATERAL jsonb_array_elements(src.sp) WITH ORDINALITY AS x(e, n)
        RETURNING 1
    )
    SELECT ins.id, ins.client_id FROM ins
$$;

-- A typed entry, whole (migrations 0007, 0011), now also saying which category target it crossed
-- (``targets`` in its event and its result).
CREATE FUNCTION ledger_add(fam bigint, usr bigint, cat bigint, amt bigint, is_refund boolean, descr text,
                           day date, cid uuid, day_given boolean, notify_inside boolean)
RETURNS TABLE (family_version bigint, replay boolean, id bigint, family_id bigint, user_id bigint, member text,
               category_id bigint, category text, kind text, amount bigint, currency text, description text,
               occurred_on date, created_at timestamptz, updated_at timestamptz, client_id uuid,
               row_version integer, bill_id bigint, bill text, targets jsonb)
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
    v_bill bigint;
    v_bill_name text;
    booked_kind text;
    v_targets jsonb;
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
        IF c.kind IN ('fixed', 'variable') AND signed > 0 THEN
            SELECT m.bill_id INTO v_bill FROM bill_matches(fam, ARRAY[descr], ARRAY[signed], ARRAY[day]) m;
        END IF;
        booked_kind := CASE WHEN v_bill IS NULL THEN c.kind ELSE 'fixed' END;
        SELECT l.id INTO new_id
        FROM ledger_insert(fam, ARRAY[usr], ARRAY[cat], ARRAY[c.kind], ARRAY[signed], ARRAY[descr], ARRAY[day],
                           ARRAY[cid], ARRAY[NULL::text], ARRAY[v_bill], ARRAY[NULL::jsonb]) l;
        UPDATE members m SET last_category_id = cat WHERE m.family_id = fam AND m.user_id = usr;
        IF v_bill IS NOT NULL THEN
            SELECT b.name INTO v_bill_name FROM fixed_expenses b WHERE b.family_id = fam AND b.id = v_bill;
        END IF;
        IF booked_kind = 'variable' THEN
            SELECT jsonb_agg(jsonb_build_object('category', x.category, 'target', x.target, 'spent', x.spent))
            INTO v_targets FROM targets_crossed(fam, ARRAY[cat], ARRAY[day], ARRAY[signed]) x;
        END IF;
        INSERT INTO events (family_id, version, actor_id, kind, payload)
        VALUES (fam, fam_row.version, usr, 'transaction.added',
                jsonb_strip_nulls(jsonb_build_object(
                    'actor', fam_row.display_name, 'id', new_id, 'amount', signed,
                    'currency', fam_row.currency, 'description', descr, 'category', c.label,
                    'kind', booked_kind, 'occurred_on', to_char(day, 'YYYY-MM-DD'), 'bill', v_bill_name,
                    'targets', v_targets)));
        IF notify_inside THEN  -- else the caller notifies after commit (see services/_uow.py)
            PERFORM pg_notify('family_changes', fam::text || ':' || new_version::text);
        END IF;
    END IF;
    RETURN QUERY
    SELECT new_version, replayed,
           t.id, t.family_id, t.user_id, m.display_name, t.category_id,
           CASE WHEN p.name IS NULL THEN x.name ELSE p.name || ' › ' || x.name END, t.kind, t.amount,
           trim(f.currency)::text, t.description, t.occurred_on, t.created_at, t.updated_at, t.client_id,
           t.row_version, t.bill_id, b.name, v_targets
    FROM transactions t JOIN families f ON f.id = t.family_id
    JOIN members m ON m.family_id = t.family_id AND m.user_id = t.user_id
    JOIN categories x ON x.family_id = t.family_id AND x.id = t.category_id
    LEFT JOIN categories p ON p.family_id = x.family_id AND p.id = x.parent_id
    LEFT JOIN fixed_expenses b ON b.family_id = t.family_id AND b.id = t.bill_id
    WHERE t.family_id = fam AND t.id = new_id;
END $$;

GRANT EXECUTE ON FUNCTION schedules_due(date) TO budget_app;
GRANT EXECUTE ON FUNCTION ledger_insert(bigint, bigint[], bigint[], text[], bigint[], text[], date[], uuid[], text[],
    bigint[], jsonb[]) TO budget_app;
GRANT EXECUTE ON FUNCTION category_spent(bigint, bigint, date), targets_crossed(bigint, bigint[], date[], bigint[]),
    budget_inputs(bigint, bigint, date), check_split_sum() TO budget_app;
GRANT EXECUTE ON FUNCTION ledger_add(bigint, bigint, bigint, bigint, boolean, text, date, uuid, boolean, boolean)
    TO budget_app;
"""


def upgrade() -> None:
    op.execute(DDL)
    op.execute(FUNCTIONS)


def downgrade() -> None:
    from importlib import import_module

    op.execute("""
DROP FUNCTION ledger_add(bigint, bigint, bigint, bigint, boolean, text, date, uuid, boolean, boolean);
DROP FUNCTION ledger_insert(bigint, bigint[], bigint[], text[], bigint[], text[], date[], uuid[], text[], bigint[],
                            jsonb[]);
DROP FUNCTION budget_inputs(bigint, bigint, date);
DROP FUNCTION targets_crossed(bigint, bigint[], date[], bigint[]);
DROP FUNCTION category_spent(bigint, bigint, date);
DROP FUNCTION schedules_due(date);
DROP TABLE category_targets, transaction_parts, schedule_occurrences, schedules;
DROP FUNCTION check_split_sum();
DROP INDEX transactions_family_date_idx;
ALTER TABLE transactions DROP COLUMN parts;
CREATE INDEX transactions_family_date_idx ON transactions (family_id, occurred_on) INCLUDE (kind, amount);
ALTER TABLE families DROP COLUMN carry_over_since;
""")
    m11 = import_module("budget_core.db.migrations.versions.0011_bills_and_imports").FUNCTIONS
    op.execute(
        m11[
            m11.index("-- The only INSERT INTO transactions (see migration 0007)") : m11.index(
                "GRANT EXECUTE ON FUNCTION period_start_of"
            )
        ]
    )
    m7 = import_module("budget_core.db.migrations.versions.0007_family_door").FUNCTIONS
    op.execute(
        m7[m7.index("DROP FUNCTION budget_inputs") : m7.index("-- The only INSERT INTO transactions")].replace(
            "DROP FUNCTION budget_inputs(bigint, date);", ""
        )
    )
    op.execute(
        "GRANT EXECUTE ON FUNCTION ledger_add(bigint, bigint, bigint, bigint, boolean, text, date, uuid, boolean, "
        "boolean) TO budget_app; GRANT EXECUTE ON FUNCTION ledger_insert(bigint, bigint[], bigint[], text[], bigint[], "
        "text[], date[], uuid[], text[], bigint[]) TO budget_app; GRANT EXECUTE ON FUNCTION budget_inputs(bigint, bigint, date) TO budget_app;"
    )
