"""Bills and imports that can be undone.

A planned fixed expense is a **bill**: ``fixed_expenses`` gains an optional due day, the words that
identify it on a statement (learned from its first match, editable) and the fixed category its
payments are booked in. A transaction linked to a bill (``transactions.bill_id``) is fixed spending:
the database refuses a link on any other kind, so a bill payment is never also everyday spending,
and the daily budget's one-statement read (``budget_inputs``) needs no change to count it right.
``families.bill_tolerance_pct`` is how far a payment may differ from the bill's amount and still
be recognised by its words.

``bill_matches(fam, descriptions, amounts, days)`` is the one rule that recognises bill payments,
for a typed expense (``ledger_add``) and for a whole bank file at once (the import). A row matches
a bill when its description holds the bill's name or one of its words (as whole words) and its
amount is within the tolerance, or — for a bill with a due day and no words yet — when its amount
is exactly the bill's and it falls within three days of the due date. Each row takes its closest
bill; each bill takes one row per period (the closest amount, then the earliest).

``imports`` lists each imported file (who, when, how many rows added and linked) with what undoing
it must put back (``restore``: the bill words it taught); ``imported_rows.batch_id`` ties each bank
row to its import, so an undo removes exactly that import's rows and transactions.

``ledger_insert`` takes each row's bill; ``ledger_add`` recognises a bill payment among typed
expenses. ``period_start_of`` is ``domain.period.period_start_for`` in SQL (tested to agree).

Revision ID: 0011
"""

from alembic import op

revision = "0011"
down_revision = "0007"
branch_labels = None
depends_on = None

DDL = r"""
ALTER TABLE fixed_expenses
    ADD COLUMN due_day smallint CHECK (due_day BETWEEN 1 AND 31),
    ADD COLUMN match_words text[] NOT NULL DEFAULT '{}',
    ADD COLUMN category_id bigint,
    ADD CONSTRAINT fixed_expenses_category_fk FOREIGN KEY (family_id, category_id)
        REFERENCES categories (family_id, id);

ALTER TABLE families ADD COLUMN bill_tolerance_pct smallint NOT NULL DEFAULT 10
    CHECK (bill_tolerance_pct BETWEEN 0 AND 100);

ALTER TABLE transactions
    ADD COLUMN bill_id bigint,
    ADD CONSTRAINT transactions_bill_fk FOREIGN KEY (family_id, bill_id)
        REFERENCES fixed_expenses (family_id, id) ON DELETE SET NULL (bill_id),
    ADD CONSTRAINT transactions_bill_is_fixed CHECK (bill_id IS NULL OR kind = 'fixed');
CREATE INDEX transactions_bill_idx ON transactions (family_id, bill_id, occurred_on) WHERE bill_id IS NOT NULL;

CREATE TABLE imports (
    family_id   bigint NOT NULL REFERENCES families(id) ON DELETE CASCADE,
    id          bigint GENERATED ALWAYS AS IDENTITY,
    file_name   text NOT NULL,
    format      text NOT NULL,
    imported_by bigint,
    imported_at timestamptz NOT NULL DEFAULT now(),
    added       integer NOT NULL DEFAULT 0,
    linked      integer NOT NULL DEFAULT 0,
    restore     jsonb NOT NULL DEFAULT '{}'::jsonb,  -- what an undo puts back (bill words it taught)
    undone_at   timestamptz,
    undone_by   bigint,
    PRIMARY KEY (family_id, id)
);
CREATE INDEX imports_recent_idx ON imports (family_id, imported_at DESC);

ALTER TABLE imported_rows ADD COLUMN batch_id bigint,
    ADD CONSTRAINT imported_rows_batch_fk FOREIGN KEY (family_id, batch_id) REFERENCES imports (family_id, id);
CREATE INDEX imported_rows_batch_idx ON imported_rows (family_id, batch_id);
-- rows of another layout of the same account are recognised by content: by date and amount first
CREATE INDEX imported_rows_day_amount_idx ON imported_rows (family_id, occurred_on, amount);

ALTER TABLE imports ENABLE ROW LEVEL SECURITY;
ALTER TABLE imports FORCE ROW LEVEL SECURITY;
CREATE POLICY family_isolation ON imports USING (family_id = app_family()) WITH CHECK (family_id = app_family());
GRANT SELECT, INSERT, UPDATE, DELETE ON imports TO budget_app;
"""

FUNCTIONS = r"""
-- domain.period.period_start_for in SQL: the period start day clamped to short months
CREATE FUNCTION period_start_of(start_day integer, d date) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = public
AS $$
    SELECT CASE WHEN d >= this_start THEN this_start ELSE
        make_date(extract(year FROM prev)::int, extract(month FROM prev)::int,
                  least(start_day, extract(day FROM (date_trunc('month', prev) + interval '1 month - 1 day'))::int))
    END
    FROM (SELECT make_date(extract(year FROM d)::int, extract(month FROM d)::int,
                           least(start_day, extract(day FROM (date_trunc('month', d) + interval '1 month - 1 day'))::int))
                 AS this_start,
                 (date_trunc('month', d) - interval '1 month')::date AS prev) x
$$;

-- the next period's first day
CREATE FUNCTION period_after(start_day integer, d date) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = public
AS $$
    SELECT make_date(extract(year FROM n)::int, extract(month FROM n)::int,
                     least(start_day, extract(day FROM (date_trunc('month', n) + interval '1 month - 1 day'))::int))
    FROM (SELECT (date_trunc('month', period_start_of(start_day, d)) + interval '1 month')::date AS n) x
$$;

-- text compared as whole words: lower case, anything but letters and digits a space, padded
CREATE FUNCTION bill_text(t text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = public
AS $$ SELECT ' ' || btrim(regexp_replace(lower(coalesce(t, '')), '[^[:alnum:]]+', ' ', 'g')) || ' ' $$;

-- the due date of a bill in the period that contains d (NULL without a due day)
CREATE FUNCTION bill_due_on(start_day integer, due_day integer, d date) RETURNS date
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = public
AS $$
    SELECT CASE WHEN due_day IS NULL THEN NULL
                WHEN in_first >= ps THEN in_first ELSE in_second END
    FROM (SELECT period_start_of(start_day, d) AS ps,
                 make_date(extract(year FROM ps0)::int, extract(month FROM ps0)::int,
                     least(due_day, extract(day FROM (date_trunc('month', ps0) + interval '1 month - 1 day'))::int))
                     AS in_first,
                 make_date(extract(year FROM ps1)::int, extract(month FROM ps1)::int,
                     least(due_day, extract(day FROM (date_trunc('month', ps1) + interval '1 month - 1 day'))::int))
                     AS in_second
          FROM (SELECT period_start_of(start_day, d) AS ps0,
                       (date_trunc('month', period_start_of(start_day, d)) + interval '1 month')::date AS ps1) m) x
$$;

-- Which rows pay which bill (see the module docstring). ``amts`` are positive minor units of money
-- out; rows with any other amount match nothing. Returns the 1-based position of each matched row.
CREATE FUNCTION bill_matches(fam bigint, descrs text[], amts bigint[], days date[])
RETURNS TABLE (ord bigint, bill_id bigint, how text)
LANGUAGE sql STABLE SECURITY INVOKER SET search_path = public
AS $$
    WITH f AS (SELECT fa.period_start_day::int AS sd, fa.bill_tolerance_pct::int AS tol FROM families fa WHERE fa.id = fam),
    r AS (
        SELECT x.ord, bill_text(x.d) AS d, x.a, x.o, period_start_of(f.sd, x.o) AS ps, f.sd, f.tol
        FROM f, unnest(descrs, amts, days) WITH ORDINALITY AS x(d, a, o, ord)
        WHERE x.a > 0
    ),
    c AS (
        SELECT r.ord, b.id AS bill_id, r.ps, abs(r.a - b.amount) AS off, r.o,
               CASE WHEN w.hit THEN 'words' ELSE 'amount' END AS how
        FROM r JOIN fixed_expenses b ON b.family_id = fam
        CROSS JOIN LATERAL (
            SELECT strpos(r.d, bill_text(b.name)) > 0
                   OR EXISTS (SELECT 1 FROM unnest(b.match_words) mw
                              WHERE length(btrim(mw)) > 0 AND strpos(r.d, bill_text(mw)) > 0) AS hit
        ) w
        WHERE (w.hit AND abs(r.a - b.amount) * 100 <= b.amount * r.tol)
           OR (NOT w.hit AND r.a = b.amount AND b.due_day IS NOT NULL AND cardinality(b.match_words) = 0
               AND abs(r.o - bill_due_on(r.sd, b.due_day, r.o)) <= 3
               AND NOT EXISTS (SELECT 1 FROM transactions t WHERE t.family_id = fam AND t.bill_id = b.id
                               AND t.occurred_on >= r.ps AND t.occurred_on < period_after(r.sd, r.o)))
    ),
    per_row AS (SELECT DISTINCT ON (c.ord) * FROM c ORDER BY c.ord, c.how DESC, c.off, c.bill_id),
    per_bill AS (SELECT DISTINCT ON (p.bill_id, p.ps) * FROM per_row p ORDER BY p.bill_id, p.ps, p.how DESC, p.off, p.o, p.ord)
    SELECT per_bill.ord, per_bill.bill_id, per_bill.how FROM per_bill
$$;

DROP FUNCTION ledger_add(bigint, bigint, bigint, bigint, boolean, text, date, uuid, boolean, boolean);
DROP FUNCTION ledger_insert(bigint, bigint[], bigint[], text[], bigint[], text[], date[], uuid[], text[]);

-- The only INSERT INTO transactions (see migration 0007); now with each row's bill (NULL: none).
CREATE FUNCTION ledger_insert(fam bigint, users bigint[], cats bigint[], kinds text[], amounts bigint[],
                              descriptions text[], days date[], client_ids uuid[], import_ids text[],
                              bills bigint[])
RETURNS TABLE (id bigint, client_id uuid)
LANGUAGE sql VOLATILE SECURITY INVOKER SET search_path = public
AS $$
    INSERT INTO transactions AS tr (family_id, user_id, category_id, kind, amount, description, occurred_on,
                                    client_id, import_id, bill_id)
    SELECT fam, u, c, CASE WHEN b IS NULL THEN k ELSE 'fixed' END, a, d, o, ci, i, b
    FROM unnest(users, cats, kinds, amounts, descriptions, days, client_ids, import_ids, bills)
         AS t(u, c, k, a, d, o, ci, i, b)
    RETURNING tr.id, tr.client_id
$$;

-- A typed entry, whole (migration 0007), now recognising a bill payment: an expense whose words and
-- amount match a bill (bill_matches) is linked to it and counts as fixed spending.
CREATE FUNCTION ledger_add(fam bigint, usr bigint, cat bigint, amt bigint, is_refund boolean, descr text,
                           day date, cid uuid, day_given boolean, notify_inside boolean)
RETURNS TABLE (family_version bigint, replay boolean, id bigint, family_id bigint, user_id bigint, member text,
               category_id bigint, category text, kind text, amount bigint, currency text, description text,
               occurred_on date, created_at timestamptz, updated_at timestamptz, client_id uuid,
               row_version integer, bill_id bigint, bill text)
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
                           ARRAY[cid], ARRAY[NULL::text], ARRAY[v_bill]) l;
        UPDATE members m SET last_category_id = cat WHERE m.family_id = fam AND m.user_id = usr;
        IF v_bill IS NOT NULL THEN
            SELECT b.name INTO v_bill_name FROM fixed_expenses b WHERE b.family_id = fam AND b.id = v_bill;
        END IF;
        INSERT INTO events (family_id, version, actor_id, kind, payload)
        VALUES (fam, fam_row.version, usr, 'transaction.added',
                jsonb_strip_nulls(jsonb_build_object(
                    'actor', fam_row.display_name, 'id', new_id, 'amount', signed,
                    'currency', fam_row.currency, 'description', descr, 'category', c.label,
                    'kind', booked_kind, 'occurred_on', to_char(day, 'YYYY-MM-DD'), 'bill', v_bill_name)));
        IF notify_inside THEN  -- else the caller notifies after commit (see services/_uow.py)
            PERFORM pg_notify('family_changes', fam::text || ':' || new_version::text);
        END IF;
    END IF;
    RETURN QUERY
    SELECT new_version, replayed,
           t.id, t.family_id, t.user_id, m.display_name, t.category_id,
           CASE WHEN p.name IS NULL THEN x.name ELSE p.name || ' › ' || x.name END, t.kind, t.amount,
           trim(f.currency)::text, t.description, t.occurred_on, t.created_at, t.updated_at, t.client_id,
           t.row_version, t.bill_id, b.name
    FROM transactions t JOIN families f ON f.id = t.family_id
    JOIN members m ON m.family_id = t.family_id AND m.user_id = t.user_id
    JOIN categories x ON x.family_id = t.family_id AND x.id = t.category_id
    LEFT JOIN categories p ON p.family_id = x.family_id AND p.id = x.parent_id
    LEFT JOIN fixed_expenses b ON b.family_id = t.family_id AND b.id = t.bill_id
    WHERE t.family_id = fam AND t.id = new_id;
END $$;

GRANT EXECUTE ON FUNCTION period_start_of(integer, date), period_after(integer, date), bill_text(text),
    bill_due_on(integer, integer, date), bill_matches(bigint, text[], bigint[], date[]) TO budget_app;
GRANT EXECUTE ON FUNCTION ledger_insert(bigint, bigint[], bigint[], text[], bigint[], text[], date[], uuid[], text[],
    bigint[]) TO budget_app;
GRANT EXECUTE ON FUNCTION ledger_add(bigint, bigint, bigint, bigint, boolean, text, date, uuid, boolean, boolean)
    TO budget_app;
"""

DOWN = """
DROP FUNCTION ledger_add(bigint, bigint, bigint, bigint, boolean, text, date, uuid, boolean, boolean);
DROP FUNCTION ledger_insert(bigint, bigint[], bigint[], text[], bigint[], text[], date[], uuid[], text[], bigint[]);
DROP FUNCTION bill_matches(bigint, text[], bigint[], date[]);
DROP FUNCTION bill_due_on(integer, integer, date);
DROP FUNCTION bill_text(text);
DROP FUNCTION period_after(integer, date);
DROP FUNCTION period_start_of(integer, date);
ALTER TABLE imported_rows DROP COLUMN batch_id;
DROP INDEX imported_rows_day_amount_idx;
DROP TABLE imports;
ALTER TABLE transactions DROP COLUMN bill_id;
ALTER TABLE families DROP COLUMN bill_tolerance_pct;
ALTER TABLE fixed_expenses DROP COLUMN due_day, DROP COLUMN match_words, DROP COLUMN category_id;
"""


def upgrade() -> None:
    op.execute(DDL)
    op.execute(FUNCTIONS)


def downgrade() -> None:
    from importlib import import_module

    op.execute(DOWN)
    # the 0007 versions of the two ledger functions
    source = import_module("budget_core.db.migrations.versions.0007_family_door").FUNCTIONS
    start = source.index("-- The only INSERT INTO transactions")
    end = source.index("GRANT EXECUTE ON FUNCTION family_enter")
    op.execute(source[start:end])
    op.execute(
        "GRANT EXECUTE ON FUNCTION ledger_insert(bigint, bigint[], bigint[], text[], bigint[], text[], date[], "
        "uuid[], text[]) TO budget_app; GRANT EXECUTE ON FUNCTION ledger_add(bigint, bigint, bigint, bigint, "
        "boolean, text, date, uuid, boolean, boolean) TO budget_app;"
    )
