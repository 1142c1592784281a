"""Trust against a family's own members: e-mail keys, attempts counted first, roles that stay taken.

- ``users.email_normal``: the one normal form of an address (NFKC, case-folded:
  ``budget_core.domain.storable.normal_email``), stored and unique. Every look-up and every sign-in
  limit uses it; the old unique index on ``lower(email)`` goes (PostgreSQL's ``lower`` and Python's
  ``casefold`` disagree on characters such as ß and ﬀ, so two spellings were two keys). Existing
  rows are filled in here; when two accounts fold to one address, the older keeps it and the newer
  one's key is marked (it can no longer sign in by that address; its owner asks a manager).
- ``auth_attempt(keys, limits, window)``: counts a sign-in (or sign-up, or redemption) attempt
  *before* the password is checked, in one statement: it takes one advisory lock per key (in a
  fixed order, held to commit), refuses when a key has ``limit`` attempts in the window and
  otherwise records one attempt per key and returns their ids. A burst of parallel attempts queues
  on the locks, so no more than ``limit`` are ever checked; a successful sign-in deletes its own
  attempt rows (successes do not count). ``auth_failures`` gains an id for that.
- Display names are unique among a family's current members, case-insensitively (existing
  duplicates get " (2)", " (3)" …).
- An invitation is open only while its maker is a current manager of the family
  (``invitation_lookup``), and open invitations whose maker is no longer one are revoked now.
- A deferred constraint trigger refuses any commit that leaves a family without a current manager.

Revision ID: 0009
"""

import unicodedata

from alembic import op
from sqlalchemy import text

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_BIDI = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def _normal_email(email: str) -> str:
    # The same rule as budget_core.domain.storable.normal_email, frozen here as it was when written.
    cleaned = email.replace("\x00", "").translate(_BIDI).strip()
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", cleaned).casefold())


SQL = r"""
ALTER TABLE auth_failures ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY;
ALTER TABLE auth_failures ADD PRIMARY KEY (id);

CREATE FUNCTION auth_attempt(keys text[], limits integer[], window_s integer)
RETURNS TABLE (wait_s integer, attempt_ids bigint[])
LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = public
AS $$
DECLARE
    i integer;
    n integer;
    oldest timestamptz;
    longest integer := 0;
    ids bigint[] := '{}';
    new_id bigint;
BEGIN
    -- one lock per key, always taken in the same order, held until commit: parallel attempts on a key queue
    FOR i IN SELECT g FROM generate_subscripts(keys, 1) AS g ORDER BY keys[g] LOOP
        PERFORM pg_advisory_xact_lock(hashtextextended('auth:' || keys[i], 0));
    END LOOP;
    FOR i IN 1 .. coalesce(array_length(keys, 1), 0) LOOP
        SELECT count(*), min(r.at) INTO n, oldest FROM (
            SELECT f.at FROM auth_failures f
            WHERE f.key = keys[i] AND f.at > now() - make_interval(secs => window_s)
            ORDER BY f.at DESC LIMIT limits[i]) r;
        IF n >= limits[i] THEN
            longest := greatest(longest,
                                ceil(extract(epoch FROM oldest + make_interval(secs => window_s) - now()))::integer + 1);
        END IF;
    END LOOP;
    IF longest > 0 THEN
        RETURN QUERY SELECT longest, ids;
        RETURN;
    END IF;
    FOR i IN 1 .. coalesce(array_length(keys, 1), 0) LOOP
        INSERT INTO auth_failures (key) VALUES (keys[i]) RETURNING id INTO new_id;
        ids := ids || new_id;
    END LOOP;
    RETURN QUERY SELECT 0, ids;
END $$;
GRANT EXECUTE ON FUNCTION auth_attempt(text[], integer[], integer) TO budget_app;

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
    SELECT i.family_id, f.name, i.role, (i.used_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > now()
                                AND EXISTS (SELECT 1 FROM members m WHERE m.family_id = i.family_id
                                            AND m.user_id = i.created_by AND m.role = 'manager'
                                            AND m.removed_at IS NULL))
    FROM invitations i JOIN families f ON f.id = i.family_id
    WHERE i.family_id = tok.family_id AND i.id = tok.invitation_id;
END $$;

CREATE FUNCTION members_keep_a_manager() RETURNS trigger
LANGUAGE plpgsql SECURITY INVOKER SET search_path = public
AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM families f WHERE f.id = OLD.family_id)
       AND NOT EXISTS (SELECT 1 FROM members m WHERE m.family_id = OLD.family_id AND m.role = 'manager'
                       AND m.removed_at IS NULL) THEN
        RAISE EXCEPTION 'A family needs at least one manager; make someone else a manager first.'
            USING ERRCODE = 'FB400';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER members_keep_a_manager AFTER UPDATE OR DELETE ON members
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION members_keep_a_manager();
"""

DOWN = r"""
DROP TRIGGER members_keep_a_manager ON members;
DROP FUNCTION members_keep_a_manager();
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
DROP FUNCTION auth_attempt(text[], integer[], integer);
ALTER TABLE auth_failures DROP COLUMN id;
DROP INDEX members_display_name_key;
DROP INDEX users_email_normal_key;
ALTER TABLE users DROP COLUMN email_normal;
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
"""


def upgrade() -> None:
    conn = op.get_bind()
    conn.execute(text("SET LOCAL row_security = off"))  # every family's rows, or a loud error
    # e-mail keys
    conn.execute(text("ALTER TABLE users ADD COLUMN email_normal text"))
    taken: set[str] = set()
    for user_id, email in conn.execute(text("SELECT id, email FROM users ORDER BY id")).all():
        key = _normal_email(email)
        if key in taken:
            key = f"duplicate-{user_id}:{key}"  # the older account keeps the address
        taken.add(key)
        conn.execute(text("UPDATE users SET email_normal = :k WHERE id = :u"), {"k": key, "u": user_id})
    conn.execute(text("ALTER TABLE users ALTER COLUMN email_normal SET NOT NULL"))
    conn.execute(text("DROP INDEX users_email_key"))
    conn.execute(text("CREATE UNIQUE INDEX users_email_normal_key ON users (email_normal)"))
    # display names unique among a family's current members
    rows = conn.execute(
        text(
            "SELECT family_id, user_id, display_name FROM members WHERE removed_at IS NULL "
            "ORDER BY family_id, joined_at, user_id"
        )
    ).all()
    seen: dict[int, set[str]] = {}
    for family_id, user_id, name in rows:
        names = seen.setdefault(family_id, set())
        new, n = name, 1
        while new.lower() in names:
            n += 1
            new = f"{name[:54]} ({n})"
        names.add(new.lower())
        if new != name:
            conn.execute(
                text("UPDATE members SET display_name = :n WHERE family_id = :f AND user_id = :u"),
                {"n": new, "f": family_id, "u": user_id},
            )
    conn.execute(
        text(
            "CREATE UNIQUE INDEX members_display_name_key ON members (family_id, lower(display_name)) "
            "WHERE removed_at IS NULL"
        )
    )
    # invitations made by someone who is no longer a manager stop working
    conn.execute(
        text(
            "UPDATE invitations i SET revoked_at = now() WHERE i.used_at IS NULL AND i.revoked_at IS NULL "
            "AND NOT EXISTS (SELECT 1 FROM members m WHERE m.family_id = i.family_id AND m.user_id = i.created_by "
            "AND m.role = 'manager' AND m.removed_at IS NULL)"
        )
    )
    op.execute(SQL)


def downgrade() -> None:
    op.execute(DOWN)
