"""Only your family, only your role: an adversary mixing every service call, checked after each step.

A hypothesis ``RuleBasedStateMachine`` drives three families and seven people — in each family a
manager and a member, one manager who is also a plain member of another family, and a stranger
who belongs to none — through every service call: transactions added, edited and deleted with
their own and other families' ids, stale row versions and replayed client ids; the plan, categories,
fixed expenses, roles, removals, invitations (created, revoked, redeemed, with foreign, used,
revoked, expired and made-up tokens); and every read. Ids are drawn from all families at once, so
most "foreign id" attempts come about by themselves.

A model says, before each call, what that person may do there and which typed error a refusal
raises (in the order the service checks: input, then permission, then the target). After each step
the truth is read through the owner's engine (it sees every row) and must equal the model:

- a refused call changed nothing: every family's version, plan, members, categories, fixed
  expenses, invitations and transactions are what the model holds, and the families outside this
  example kept their versions;
- a read returned exactly the caller's family's rows;
- an invitation is open only while its maker manages the family: removing or demoting a manager
  revokes theirs in that one event (a dedicated step makes a member manager, has them make a manager
  link, takes the role away and redeems the link as them, a second account or a fellow member: always
  refused), and every family keeps a manager;
- for every family, its events are versions 1..families.version without gaps, their kinds are
  the changes the model accepted, the transactions are those added and not deleted by the
  events, and every event's actor and every transaction's author is (or was) a member.

The number of steps is ``ADVERSARIAL_STEPS`` (default 100,000) in total, as examples of up to
``STEPS_PER_EXAMPLE`` steps; the test counts the steps it really ran and prints the rate (about
380 steps/s on two idle cores: 100,000 steps in 4.5 minutes). Each example builds its families
through the services on one shared database, so the people (and their argon2 hashes) are made
once. ``ADVERSARIAL_SHRINK=0`` reports a failure unshrunk, ``ADVERSARIAL_VERBOSE=1`` prints the
outcomes per service call, ``ADVERSARIAL_TRACE=<file>`` appends every example's calls to a file.
"""

from __future__ import annotations

import math
import os
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import text

from budget_core.domain.money import MAX_MINOR
from budget_core.domain.storable import BIDI_CONTROLS
from budget_core.errors import BudgetError, Conflict, NotFound, PermissionDenied, ValidationError
from budget_core.services import accounts, activity, budgets, categories, families, invitations, members
from budget_core.services import transactions as tx_service
from budget_core.services.access import open_family
from budget_core.services.transactions import TransactionChanges, TransactionDraft, TransactionFilter


def door(fn):
    """``fn(handle, …)`` called the way the adversary calls everything: with the (engine, person,
    family) it has, through the one door — so a non-member is refused at ``open_family``."""

    def through_door(engine, user_id, family_id, *args, **kwargs):
        return fn(open_family(engine, user_id, family_id), *args, **kwargs)

    through_door.__name__ = fn.__name__
    through_door.through_door = True  # type: ignore[attr-defined]
    return through_door


def family_of(access):
    return access.family


TARGET_STEPS = int(os.environ.get("ADVERSARIAL_STEPS", "100000"))
STEPS_PER_EXAMPLE = 250
"""Hypothesis also ends an example early when its choice buffer fills; the test counts real steps
and runs examples until the target is reached."""

PHASES = (
    tuple(Phase) if os.environ.get("ADVERSARIAL_SHRINK", "1") != "0" else (Phase.explicit, Phase.reuse, Phase.generate)
)
"""``ADVERSARIAL_SHRINK=0`` reports a failure as found, unshrunk (shrinking a long run can take minutes)."""

PASSWORD = "adversary horse battery"
USERS = ("mgr0", "mgr1", "mgr2", "mem0", "mem1", "mem2", "stranger")
SETUP = (  # family index -> (manager, currency, time zone); mem<i> joins F<i> as member, mgr2 joins F0 too
    ("mgr0", "USD", "America/New_York"),
    ("mgr1", "JPY", "Asia/Tokyo"),
    ("mgr2", "KWD", "Pacific/Kiritimati"),
)


def mostly(valid, invalid, weight: int = 3):
    """One of ``valid`` (each ``weight`` times as likely) or of ``invalid``: refusals stay common
    enough to be tried everywhere, and rare enough for the state to grow."""
    return st.sampled_from(list(valid) * weight + list(invalid))


FAMILIES = mostly(["F0", "F1", "F2"], ["ghost", "huge"], weight=4)
WHO = st.tuples(
    mostly(["manager", "manager", "member"], ["outsider", "removed", "anyone"], weight=3),
    st.integers(0, len(USERS) - 1),
)
"""Who acts: a person of that standing in the family the call names (anyone when there is none)."""
WHOM = st.tuples(
    mostly(["member", "member", "manager"], ["outsider", "removed", "anyone"], weight=2), st.integers(0, len(USERS) - 1)
)
"""Whose role changes or who is removed, chosen as ``WHO`` is."""
GHOST_FAMILY = 9_000_000_001  # no such family
HUGE_FAMILY = 2**63  # one past the largest bigint: an id no family can have
NO_ID = 9_000_000_002  # no such transaction, category, fixed expense or invitation
PICK = st.integers(0, 2**16)

DESCRIPTIONS = st.one_of(
    mostly(
        [
            "Lunch",
            "  Bus   ticket ",
            "Groceries",
            "<script>alert(1)</script>",
            "=cmd|'/C calc'!A0",
            "'; DROP TABLE transactions; --",
            "x" * 499,
            "Café ☕",
            "\u202eevil",
        ],
        ["", "   ", "x" * 500, "Lunch\x00", "bad \udcff byte"],
    ),
    st.text(min_size=1, max_size=12),
)
AMOUNTS = mostly([250, 1999, 123456, 1, MAX_MINOR, 777], [MAX_MINOR + 1, 0, -5, True, 1.5])
REFUND = mostly([False, False, True], [], weight=1)
DATE_OFFSETS = mostly([None, 0, -1, -3, -30, 3, "1970"], [400, "1969"])
EDIT_DATES = mostly([0, -1, -3, -30, 3, "1970"], [None, 400, "1969"])
ROW_VERSIONS = mostly(["current"], ["stale", "future", "zero"], weight=6)
OWN = mostly(["own"], ["gone", "any"], weight=5)
"""Where an id comes from: the family the call names (live or gone), or any family (see ``pick_id``)."""
IDS = {  # kind of id -> family model -> (live ids, gone ids)
    "tx": lambda f: (set(f.tx), set(f.deleted)),
    "category": lambda f: (
        {i for i, c in f.cats.items() if not c.archived},
        {i for i, c in f.cats.items() if c.archived},
    ),
    "fixed": lambda f: (f.fixed, f.gone_fixed),
    "invitation": lambda f: (
        {i for i, v in f.invs.items() if v.state == "open"},
        {i for i, v in f.invs.items() if v.state != "open"},
    ),
}
CATEGORY_NAMES = mostly(
    ["Pets", "pets", " Kids  ", "Travel", "Groceries", "groceries", "Café", "Toys", "<b>bold</b>", "Books"],
    ["", "   ", "y" * 61, "Pe\x00ts", "\udcff"],
)
KINDS = mostly(["variable", None, "fixed", "savings", "income"], ["bogus"])
PARENTS = mostly(["none", "none", "own"], ["gone", "any"])
PLAN_CHANGES = mostly(
    [
        {"monthly_income": 450000},
        {"savings_goal": 1000},
        {"period_start_day": 28},
        {"name": "Plain"},
        {},
        {"monthly_income": 500000, "savings_goal": 2},
        {"period_start_day": 31},
        {"name": "  Renamed   family "},
        {"big_expense_threshold": None},
        {"big_expense_threshold": 5000},
        {"currency": "eur"},
        {"currency": "JPY"},
        {"timezone": "Europe/Berlin"},
    ],
    [
        {"monthly_income": -1},
        {"monthly_income": MAX_MINOR + 1},
        {"savings_goal": True},
        {"period_start_day": 0},
        {"period_start_day": 32},
        {"name": "  "},
        {"name": "n" * 81},
        {"big_expense_threshold": -1},
        {"currency": "QQQ"},
        {"timezone": "Mars/Olympus"},
        {"version": 1},
        {"id": 1},
        {"monthly_income": 1, "period_start_day": 99},
        {"name": "Nul\x00"},
    ],
    weight=2,
)
FIXED_NAMES = mostly(["Rent", "  Internet   bill ", "<i>gym</i>"], ["", "z" * 81, "Rent\x00"])
FIXED_AMOUNTS = mostly([100000, 1, MAX_MINOR, 4500], [0, -1, MAX_MINOR + 1, True])
ROLES = mostly(["member", "manager"], ["owner"])
HOURS = mostly([None, 1, 48, 168, 24], [0, 169])
TOKEN_KINDS = mostly(["open", "open", "padded"], ["spent", "garbage", "empty", "expired"])
"""An open invitation's token (as sent, or with spaces around it, or redeemed 170 hours later), a used or
revoked one's, or one that never existed."""
READS = st.sampled_from(
    [
        "get_family",
        "list_transactions",
        "list_filtered",
        "get_transaction",
        "changes_since",
        "recent_activity",
        "list_categories",
        "list_members",
        "list_invitations",
        "list_fixed",
        "my_families",
        "daily_budget",
        "peek_invitation",
        "last_category",
    ]
)


def norm(text: str | None) -> str:
    return " ".join((text or "").split())


def storable(text: str) -> bool:
    """Whether the text may be stored: PostgreSQL can hold it (no NUL, no lone surrogate) and it has no
    bidirectional control that would make it read as something else (issue 17)."""
    return (
        "\x00" not in text
        and not any("\ud800" <= ch <= "\udfff" for ch in text)
        and not any(ch in BIDI_CONTROLS for ch in text)
    )


def valid_amount(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_MINOR


def valid_plan_amount(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_MINOR


def utc_today() -> date:
    return datetime.now(UTC).date()


def occurred(offset) -> date | None:
    if offset is None:
        return None
    if offset == "1969":
        return date(1969, 12, 31)
    if offset == "1970":
        return date(1970, 1, 1)
    return utc_today() + timedelta(days=offset)


def date_ok(on: date | None) -> bool:
    """Whether the service accepts the date; the offsets used keep clear of the family's local day."""
    return on is None or (on.year >= 1970 and on <= utc_today() + timedelta(days=300))


# --- the model --------------------------------------------------------------------------------------
@dataclass
class TxM:
    user_id: int
    category_id: int
    amount: int
    description: str
    occurred_on: date
    client_id: uuid.UUID
    row_version: int = 1


@dataclass
class CatM:
    name: str
    kind: str
    parent_id: int | None
    archived: bool = False

    def key(self) -> tuple[int, str]:
        return (self.parent_id or 0, self.name.lower())


@dataclass
class InvM:
    family_id: int
    token: str
    role: str
    made_by: int  # the manager who made it: it admits nobody once they are no longer a manager
    state: str = "open"  # open | used | revoked
    used_by: int | None = None


@dataclass
class FamM:
    id: int
    version: int
    plan: dict
    roles: dict[int, str] = field(default_factory=dict)  # active members
    ever: set[int] = field(default_factory=set)  # every user with a members row
    tx: dict[int, TxM] = field(default_factory=dict)
    deleted: dict[int, int] = field(default_factory=dict)  # tx id -> its last row version
    client_ids: dict[uuid.UUID, int] = field(default_factory=dict)
    cats: dict[int, CatM] = field(default_factory=dict)
    fixed: set[int] = field(default_factory=set)
    gone_fixed: set[int] = field(default_factory=set)
    invs: dict[int, InvM] = field(default_factory=dict)
    events: Counter = field(default_factory=Counter)

    def live_keys(self, cats: dict[int, CatM] | None = None) -> list[tuple[int, str]]:
        return [c.key() for c in (self.cats if cats is None else cats).values() if not c.archived]


@dataclass
class RunStats:
    steps: int = 0
    examples: int = 0
    outcomes: Counter = field(default_factory=Counter)


STATS = RunStats()


# --- the truth, read by the owner -------------------------------------------------------------------
TRUTH = text("""
SELECT f.id, f.version, f.name, f.currency, f.timezone, f.monthly_income, f.savings_goal, f.period_start_day,
       f.big_expense_threshold,
       (SELECT json_build_array(
                   count(*), min(version), max(version),
                   count(*) FILTER (WHERE actor_id IS NOT NULL AND NOT EXISTS (
                       SELECT 1 FROM members m WHERE m.family_id = e.family_id AND m.user_id = e.actor_id)),
                   coalesce(json_agg((payload->>'id')::bigint) FILTER (WHERE kind = 'transaction.added'), '[]'),
                   coalesce(json_agg((payload->>'id')::bigint) FILTER (WHERE kind = 'transaction.deleted'), '[]'))
          FROM events e WHERE e.family_id = f.id) AS ev,
       (SELECT coalesce(json_object_agg(kind, n), '{}') FROM (
            SELECT kind, count(*) AS n FROM events e WHERE e.family_id = f.id GROUP BY kind) k) AS kinds,
       (SELECT coalesce(json_agg(json_build_array(t.id, t.user_id, t.category_id, t.amount, t.description,
                                                  t.occurred_on, t.client_id, t.row_version,
                                                  EXISTS (SELECT 1 FROM members m WHERE m.family_id = t.family_id
                                                          AND m.user_id = t.user_id))), '[]')
          FROM transactions t WHERE t.family_id = f.id) AS tx,
       (SELECT coalesce(json_agg(json_build_array(m.user_id, m.role, m.removed_at IS NULL)), '[]')
          FROM members m WHERE m.family_id = f.id) AS members,
       (SELECT coalesce(json_agg(json_build_array(c.id, c.name, c.kind, c.parent_id, c.archived_at IS NOT NULL)), '[]')
          FROM categories c WHERE c.family_id = f.id) AS cats,
       (SELECT coalesce(json_agg(x.id), '[]') FROM fixed_expenses x WHERE x.family_id = f.id) AS fixed,
       (SELECT coalesce(json_agg(json_build_array(
                   i.id, i.role, CASE WHEN i.used_at IS NOT NULL THEN 'used'
                                      WHEN i.revoked_at IS NOT NULL THEN 'revoked' ELSE 'open' END, i.used_by,
                   i.created_by)), '[]')
          FROM invitations i WHERE i.family_id = f.id) AS invs,
       (SELECT json_build_array(count(*), coalesce(sum(version), 0)) FROM families o
         WHERE o.id <> ALL(:ids)) AS others
FROM families f WHERE f.id = ANY(:ids) ORDER BY f.id
""")

VERSIONS = text("SELECT count(*), coalesce(sum(version), 0) FROM families")
FULL_EVERY = 8

OTHERS_ROWS = text("""
SELECT (SELECT count(*) FROM transactions WHERE family_id <> ALL(:ids)),
       (SELECT coalesce(sum(row_version), 0) FROM transactions WHERE family_id <> ALL(:ids)),
       (SELECT count(*) FROM events WHERE family_id <> ALL(:ids)),
       (SELECT count(*) FROM members WHERE family_id <> ALL(:ids) AND removed_at IS NULL),
       (SELECT count(*) FROM categories WHERE family_id <> ALL(:ids) AND archived_at IS NULL),
       (SELECT count(*) FROM fixed_expenses WHERE family_id <> ALL(:ids)),
       (SELECT count(*) FROM invitations WHERE family_id <> ALL(:ids) AND used_at IS NULL AND revoked_at IS NULL),
       (SELECT count(*) FROM users)
""")


class FamilyIsolation(RuleBasedStateMachine):
    """The adversary. ``engine``/``owner``/``people`` are set by the test before it runs."""

    engine = owner = None
    people: dict[str, accounts.User] = {}

    def __init__(self):
        super().__init__()
        self.fams: list[FamM] = []
        self.client_pool: list[uuid.UUID] = []
        self.trace: list[str] = []
        self.clean = False
        self.changed = False  # whether the model changed since the last full comparison
        self.unchecked = 0  # steps since the last full comparison
        STATS.examples += 1

    # --- helpers ------------------------------------------------------------------------------------
    def uid(self, name: str) -> int:
        return self.people[name].id

    def family(self, choice: str) -> tuple[int, FamM | None]:
        if choice == "ghost":
            return GHOST_FAMILY, None
        if choice == "huge":
            return HUGE_FAMILY, None
        fam = self.fams[int(choice[1])]
        return fam.id, fam

    def person(self, fam: FamM | None, who: tuple[str, int]) -> tuple[str, int]:
        """(name, id) of a person of standing ``who[0]`` in ``fam``; ``who[1]`` chooses among them."""
        standing, n = who
        ids = {name: self.uid(name) for name in USERS}
        if fam is None or standing == "anyone":
            names = list(USERS)
        elif standing in ("manager", "member"):
            names = [x for x in USERS if fam.roles.get(ids[x]) == standing]
        elif standing == "removed":
            names = [x for x in USERS if ids[x] in fam.ever and ids[x] not in fam.roles]
        else:
            names = [x for x in USERS if ids[x] not in fam.ever]
        name = self.pick(names or list(USERS), n)
        return name, ids[name]

    def role(self, fam: FamM | None, user: int) -> str | None:
        return fam.roles.get(user) if fam else None

    @staticmethod
    def pick(pool: list, n: int):
        return pool[n % len(pool)] if pool else NO_ID

    def pick_id(self, fam: FamM | None, source: str, n: int, kind: str) -> int:
        """An id of ``kind``: a live one of this family (``own``), a gone one of it (``gone``: deleted,
        archived, removed, used or revoked), or any family's, live or gone, or one that never existed."""
        if source in ("own", "gone") and fam is not None:
            pool = sorted(IDS[kind](fam)[source == "gone"])
            if pool:
                return self.pick(pool, n)
        pool = sorted({i for f in self.fams for part in IDS[kind](f) for i in part}) + [NO_ID]
        return self.pick(pool, n)

    def call(self, label: str, verdict: type[BudgetError] | None, fn, *args, **kwargs):
        """Run one service call and check that it failed with exactly ``verdict`` or succeeded when None.

        Returns the result, or the typed error raised. Any other exception propagates (a bug).
        """
        STATS.steps += 1
        self.clean = False
        if getattr(fn, "through_door", False):  # open_family refuses a non-member before anything else
            user, fid = args[1], args[2]
            if self.role(next((x for x in self.fams if x.id == fid), None), user) is None:
                verdict = PermissionDenied
        self.trace.append(f"{label} -> expect {verdict.__name__ if verdict else 'success'}")
        try:
            result = fn(*args, **kwargs)
        except BudgetError as err:
            STATS.outcomes[(fn.__name__, type(err).__name__)] += 1
            assert verdict is not None and type(err) is verdict, self.explain(
                f"{label} raised {type(err).__name__}: {err}"
            )
            return err
        except Exception as err:  # noted and re-raised: the report names the call that broke
            err.add_note(self.explain(f"{label} raised an untyped {type(err).__name__}"))
            raise
        STATS.outcomes[(fn.__name__, "ok")] += 1
        assert verdict is None, self.explain(f"{label} succeeded although the model expected {verdict.__name__}")
        return result

    def explain(self, what: str) -> str:
        return what + "\nlast steps:\n  " + "\n  ".join(self.trace[-8:])

    def wrote(self, fam: FamM, kind: str) -> None:
        fam.version += 1
        fam.events[kind] += 1
        self.changed = True

    # --- the families, built through the services ---------------------------------------------------
    @initialize()
    def build_families(self):
        engine, n = self.engine, STATS.examples
        for i, (manager, currency, zone) in enumerate(SETUP):
            made = families.create_family(
                engine,
                self.uid(manager),
                name=f"Family {i} of run {n}",
                currency=currency,
                timezone=zone,
                monthly_income=300000,
                savings_goal=20000,
                period_start_day=1 + 7 * i,
            )
            fam = FamM(
                made.id,
                1,
                {
                    "name": made.name,
                    "currency": currency,
                    "timezone": zone,
                    "monthly_income": 300000,
                    "savings_goal": 20000,
                    "period_start_day": 1 + 7 * i,
                    "big_expense_threshold": None,
                },
            )
            fam.roles[self.uid(manager)] = "manager"
            fam.ever.add(self.uid(manager))
            fam.events["family.created"] += 1
            self.fams.append(fam)
        joins = [(0, "mem0", "member"), (1, "mem1", "member"), (2, "mem2", "member"), (0, "mgr2", "member")]
        for i, who, role in joins:
            fam = self.fams[i]
            made = invitations.create_invitation(open_family(engine, self.uid(SETUP[i][0]), fam.id), role=role)
            fam.invs[made.invitation.id] = InvM(fam.id, made.token, role, self.uid(SETUP[i][0]))
            self.wrote(fam, "invitation.created")
            invitations.redeem_invitation(engine, self.uid(who), made.token)
            fam.invs[made.invitation.id].state, fam.invs[made.invitation.id].used_by = "used", self.uid(who)
            fam.roles[self.uid(who)] = role
            fam.ever.add(self.uid(who))
            self.wrote(fam, "member.joined")
        with self.owner.connect() as conn:
            for fam in self.fams:
                for cid, name, kind, parent in conn.execute(
                    text("SELECT id, name, kind, parent_id FROM categories WHERE family_id = :f"), {"f": fam.id}
                ):
                    fam.cats[cid] = CatM(name, kind, parent)
            self.others_before = tuple(conn.execute(OTHERS_ROWS, {"ids": self.ids}).one())
            self.others_versions = tuple(
                conn.execute(
                    text("SELECT count(*), coalesce(sum(version), 0) FROM families WHERE id <> ALL(:ids)"),
                    {"ids": self.ids},
                ).one()
            )

    @property
    def ids(self) -> list[int]:
        return [f.id for f in self.fams]

    # --- transactions ---------------------------------------------------------------------------------
    @rule(
        fam=FAMILIES,
        who=WHO,
        desc=DESCRIPTIONS,
        amount=AMOUNTS,
        refund=REFUND,
        own_cat=OWN,
        cat_pick=PICK,
        offset=DATE_OFFSETS,
        client=st.sampled_from(["new", "new", "replay_own", "replay_any", "replay_exact"]),
        pick=PICK,
    )
    def add_transaction(self, fam, who, desc, amount, refund, own_cat, cat_pick, offset, client, pick):
        fid, f = self.family(fam)
        actor, user = self.person(f, who)
        cid = self.pick_id(f, own_cat, cat_pick, "category")
        on = occurred(offset)
        client_id = uuid.uuid4()
        if client == "replay_own" and f and f.client_ids:
            client_id = self.pick(sorted(f.client_ids, key=str), pick)
        elif client == "replay_any" and self.client_pool:
            client_id = self.pick(self.client_pool, pick)
        elif client == "replay_exact" and f and f.tx:
            stored = f.tx[self.pick(sorted(f.tx), pick)]
            client_id, cid, desc = stored.client_id, stored.category_id, stored.description
            amount, refund = abs(stored.amount), stored.amount < 0 and f.cats[stored.category_id].kind != "income"
            on = stored.occurred_on if pick % 2 else None
        draft = TransactionDraft(amount, desc, cid, on, client_id, refund)

        verdict, replay_of = self._judge_add(f, user, draft)
        label = f"add_transaction({actor}, {fam}={fid}, {draft})"
        result = self.call(label, verdict, door(tx_service.add_transaction), self.engine, user, fid, draft)
        if verdict is not None:
            return
        signed = -amount if refund else amount
        assert (result.family_id, result.user_id, result.category_id, result.amount, result.description) == (
            fid,
            replay_of.user_id if replay_of else user,
            cid,
            signed,
            norm(desc),
        ), self.explain("stored wrong")
        if replay_of is not None:  # a replay returns the stored entry and writes nothing
            assert result.id == f.client_ids[client_id] and result.row_version == replay_of.row_version
            return
        assert result.row_version == 1 and result.client_id == client_id
        assert on is None or result.occurred_on == on
        assert abs((result.occurred_on - utc_today()).days) <= 1 or on is not None
        f.tx[result.id] = TxM(user, cid, signed, norm(desc), result.occurred_on, client_id)
        f.client_ids[client_id] = result.id
        self.client_pool.append(client_id)
        self.wrote(f, "transaction.added")

    def _judge_add(self, f: FamM | None, user: int, d: TransactionDraft):
        """(the error the service must raise or None, the stored entry a replay returns)."""
        desc = norm(d.description)
        if self.role(f, user) is None:
            return PermissionDenied, None  # the door comes first
        if (
            not desc
            or len(desc) > 499
            or not storable(desc)
            or not valid_amount(d.amount)
            or not date_ok(d.occurred_on)
        ):
            return ValidationError, None  # what was typed is checked before the family's rows are read
        cat = f.cats.get(d.category)
        if cat is None:
            return NotFound, None
        if cat.archived or (d.refund and cat.kind == "income"):
            return ValidationError, None
        if d.client_id in f.client_ids:
            stored = f.tx[f.client_ids[d.client_id]]
            signed = -d.amount if d.refund else d.amount
            same = (
                stored.amount,
                stored.description,
                stored.category_id,
                d.occurred_on or stored.occurred_on,
                stored.user_id,
            ) == (signed, desc, d.category, stored.occurred_on, user)
            return (None, stored) if same else (ValidationError, None)
        return None, None

    def pick_tx(self, f: FamM | None, source: str, n: int) -> int:
        return self.pick_id(f, source, n, "tx")

    def current_version(self, tx_id: int, which: str) -> int:
        live = next((f.tx[tx_id].row_version for f in self.fams if tx_id in f.tx), None)
        if live is None:
            live = next((f.deleted[tx_id] for f in self.fams if tx_id in f.deleted), 1)
        return {"current": live, "stale": live - 1, "future": live + 1, "zero": 0}[which]

    @rule(
        fam=FAMILIES,
        who=WHO,
        own=OWN,
        pick=PICK,
        which=ROW_VERSIONS,
        desc=DESCRIPTIONS,
        amount=AMOUNTS,
        refund=REFUND,
        own_cat=OWN,
        cat_pick=PICK,
        offset=EDIT_DATES,
    )
    def edit_transaction(self, fam, who, own, pick, which, desc, amount, refund, own_cat, cat_pick, offset):
        fid, f = self.family(fam)
        actor, user = self.person(f, who)
        tx_id = self.pick_tx(f, own, pick)
        version = self.current_version(tx_id, which)
        cid = self.pick_id(f, own_cat, cat_pick, "category")
        changes = TransactionChanges(amount, desc, cid, occurred(offset), refund)

        verdict = self._judge_edit(f, user, tx_id, version, changes)
        label = f"edit_transaction({actor}, {fam}={fid}, tx {tx_id}, v{version}, {changes})"
        result = self.call(
            label, verdict, door(tx_service.edit_transaction), self.engine, user, fid, tx_id, version, changes
        )
        if verdict is not None:
            return
        stored = f.tx[tx_id]
        signed = -amount if refund else amount
        assert (
            result.family_id,
            result.id,
            result.row_version,
            result.amount,
            result.category_id,
            result.description,
            result.occurred_on,
            result.user_id,
        ) == (fid, tx_id, stored.row_version + 1, signed, cid, norm(desc), changes.occurred_on, stored.user_id)
        stored.row_version += 1
        stored.amount, stored.category_id, stored.description, stored.occurred_on = (
            signed,
            cid,
            norm(desc),
            changes.occurred_on,
        )
        self.wrote(f, "transaction.edited")

    def _judge_edit(self, f, user, tx_id, version, c: TransactionChanges):
        desc = norm(c.description)
        if not desc or len(desc) > 499 or not storable(desc):
            return ValidationError
        if self.role(f, user) is None:
            return PermissionDenied
        stored = f.tx.get(tx_id)
        if stored is None:  # deleted here: someone else's change (a conflict); never here: not found
            return Conflict if tx_id in f.deleted else NotFound
        if stored.row_version != version:
            return Conflict
        if c.occurred_on is None or not date_ok(c.occurred_on):
            return ValidationError  # the typed date is checked before the category is looked up
        cat = f.cats.get(c.category)
        if cat is None:
            return NotFound
        if cat.archived and c.category != stored.category_id:
            return ValidationError
        if not valid_amount(c.amount) or (c.refund and cat.kind == "income"):
            return ValidationError
        return None

    @rule(fam=FAMILIES, who=WHO, own=OWN, pick=PICK, which=ROW_VERSIONS)
    def delete_transaction(self, fam, who, own, pick, which):
        fid, f = self.family(fam)
        actor, user = self.person(f, who)
        tx_id = self.pick_tx(f, own, pick)
        version = self.current_version(tx_id, which)
        if self.role(f, user) is None:
            verdict = PermissionDenied
        elif tx_id not in f.tx:
            verdict = Conflict if tx_id in f.deleted else NotFound
        elif f.tx[tx_id].row_version != version:
            verdict = Conflict
        else:
            verdict = None
        label = f"delete_transaction({actor}, {fam}={fid}, tx {tx_id}, v{version})"
        self.call(label, verdict, door(tx_service.delete_transaction), self.engine, user, fid, tx_id, version)
        if verdict is None:
            gone = f.tx.pop(tx_id)
            f.deleted[tx_id] = gone.row_version
            del f.client_ids[gone.client_id]
            self.wrote(f, "transaction.deleted")

    # --- the plan and fixed expenses ------------------------------------------------------------------
    @rule(fam=FAMILIES, who=WHO, changes=PLAN_CHANGES)
    def update_plan(self, fam, who, changes):
        fid, f = self.family(fam)
        actor, user = self.person(f, who)
        clean, valid = {}, True
        for key, value in changes.items():
            if key in ("monthly_income", "savings_goal"):
                valid &= valid_plan_amount(value) and (key != "monthly_income" or value != 0)
            elif key == "big_expense_threshold":
                valid &= value is None or valid_plan_amount(value)
            elif key == "period_start_day":
                valid &= isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 31
            elif key == "name":
                valid &= 0 < len(norm(value)) <= 80 and storable(value)
                value = norm(value)
            elif key == "currency":
                valid &= value.upper() in ("EUR", "JPY", "USD", "KWD")
                value = value.upper()
            elif key == "timezone":
                valid &= value != "Mars/Olympus"
            else:
                valid = False
            clean[key] = value
        if not valid:
            verdict = ValidationError
        elif self.role(f, user) != "manager":
            verdict = PermissionDenied
        else:
            verdict = None
        result = self.call(
            f"update_plan({actor}, {fam}={fid}, {changes})",
            verdict,
            door(families.update_plan),
            self.engine,
            user,
            fid,
            **changes,
        )
        if verdict is None:
            if any(f.plan.get(k) != v for k, v in clean.items()):  # the same values again are no change
                f.plan.update(clean)
                self.wrote(f, "plan.updated")
            assert (result.id, result.version) == (f.id, f.version)

    @rule(fam=FAMILIES, who=WHO, name=FIXED_NAMES, amount=FIXED_AMOUNTS)
    def add_fixed_expense(self, fam, who, name, amount):
        fid, f = self.family(fam)
        actor, user = self.person(f, who)
        if not 0 < len(norm(name)) <= 80 or not storable(name) or not valid_amount(amount):
            verdict = ValidationError
        elif self.role(f, user) != "manager":
            verdict = PermissionDenied
        else:
            verdict = None
        result = self.call(
            f"add_fixed_expense({actor}, {fam}={fid}, {name!r}, {amount!r})",
            verdict,
            door(families.add_fixed_expense),
            self.engine,
            user,
            fid,
            name,
            amount,
        )
        if verdict is None:
            f.fixed.add(result.id)
            self.wrote(f, "fixed.added")

    @rule(fam=FAMILIES, who=WHO, own=OWN, pick=PICK)
    def remove_fixed_expense(self, fam, who, own, pick):
        fid, f = self.family(fam)
        actor, user = self.person(f, who)
        fixed_id = self.pick_id(f, own, pick, "fixed")
        if self.role(f, user) != "manager":
            verdict = PermissionDenied
        elif fixed_id not in f.fixed:
            verdict = NotFound
        else:
            verdict = None
        self.call(
            f"remove_fixed_expense({actor}, {fam}={fid}, {fixed_id})",
            verdict,
            door(families.remove_fixed_expense),
            self.engine,
            user,
            fid,
            fixed_id,
        )
        if verdict is None:
            f.fixed.remove(fixed_id)
            f.gone_fixed.add(fixed_id)
            self.wrote(f, "fixed.removed")

    # --- categories -------------------------------------------------------------------------------------
    @rule(fam=FAMILIES, who=WHO, name=CATEGORY_NAMES, kind=KINDS, parent=PARENTS, pick=PICK)
    def add_category(self, fam, who, name, kind, parent, pick):
        fid, f = self.family(fam)
        actor, user = self.person(f, who)
        parent_id = None if parent == "none" else self.pick_id(f, parent, pick, "category")
        verdict, final_kind = None, kind
        if not 0 < len(norm(name)) <= 60 or not storable(name):
            verdict = ValidationError
        elif self.role(f, user) != "manager":
            verdict = PermissionDenied
        elif parent_id is not None and parent_id not in f.cats:
            verdict = NotFound
        else:
            p = f.cats.get(parent_id)
            if p is not None and (p.archived or p.parent_id is not None or kind not in (None, p.kind)):
                verdict = ValidationError
            else:
                final_kind = p.kind if p is not None else kind
                if final_kind not in ("fixed", "variable", "savings", "income"):
                    verdict = ValidationError
                elif CatM(norm(name), final_kind, parent_id).key() in f.live_keys():
                    verdict = ValidationError
        result = self.call(
            f"add_category({actor}, {fam}={fid}, {name!r}, {kind}, parent {parent_id})",
            verdict,
            door(categories.add_category),
            self.engine,
            user,
            fid,
            name,
            kind,
            parent_id,
        )
        if verdict is None:
            assert (result.name, result.kind, result.parent_id) == (norm(name), final_kind, parent_id)
            f.cats[result.id] = CatM(norm(name), final_kind, parent_id)
            self.wrote(f, "category.added")

    @rule(fam=FAMILIES, who=WHO, own=OWN, pick=PICK, name=CATEGORY_NAMES)
    def rename_category(self, fam, who, own, pick, name):
        fid, f = self.family(fam)
        actor, user = self.person(f, who)
        cid = self.pick_id(f, own, pick, "category")
        if not 0 < len(norm(name)) <= 60 or not storable(name):
            verdict = ValidationError
        elif self.role(f, user) != "manager":
            verdict = PermissionDenied
        elif cid not in f.cats:
            verdict = NotFound
        else:
            cat = f.cats[cid]
            others = {k: c for k, c in f.cats.items() if k != cid}
            clash = not cat.archived and CatM(norm(name), cat.kind, cat.parent_id).key() in f.live_keys(others)
            verdict = ValidationError if clash else None
        self.call(
            f"rename_category({actor}, {fam}={fid}, {cid}, {name!r})",
            verdict,
            door(categories.rename_category),
            self.engine,
            user,
            fid,
            cid,
            name,
        )
        if verdict is None:
            f.cats[cid].name = norm(name)
            self.wrote(f, "category.renamed")

    @rule(fam=FAMILIES, who=WHO, own=OWN, pick=PICK, archived=st.booleans())
    def archive_category(self, fam, who, own, pick, archived):
        fid, f = self.family(fam)
        actor, user = self.person(f, who)
        cid = self.pick_id(f, own, pick, "category")
        after = None
        if self.role(f, user) != "manager":
            verdict = PermissionDenied
        elif cid not in f.cats:
            verdict = NotFound
        else:
            after = {
                k: CatM(c.name, c.kind, c.parent_id, archived if cid in (k, c.parent_id) else c.archived)
                for k, c in f.cats.items()
            }
            keys = f.live_keys(after)
            verdict = ValidationError if len(keys) != len(set(keys)) else None
        self.call(
            f"archive_category({actor}, {fam}={fid}, {cid}, archived={archived})",
            verdict,
            door(categories.archive_category),
            self.engine,
            user,
            fid,
            cid,
            archived=archived,
        )
        if verdict is None:
            f.cats = after
            self.wrote(f, "category.archived" if archived else "category.restored")

    # --- members and invitations ------------------------------------------------------------------------
    @rule(fam=FAMILIES, who=WHO, whom=WHOM, role=ROLES)
    def change_role(self, fam, who, whom, role):
        fid, f = self.family(fam)
        actor, user = self.person(f, who)
        whom, target = self.person(f, whom)
        if role not in ("manager", "member"):
            verdict = ValidationError
        elif self.role(f, user) != "manager":
            verdict = PermissionDenied
        elif target not in f.roles:
            verdict = NotFound
        elif f.roles[target] == "manager" and role == "member" and list(f.roles.values()).count("manager") == 1:
            verdict = ValidationError
        else:
            verdict = None
        self.call(
            f"change_role({actor}, {fam}={fid}, {whom}, {role})",
            verdict,
            door(members.change_role),
            self.engine,
            user,
            fid,
            target,
            role,
        )
        if verdict is None:
            if f.roles[target] == "manager" and role == "member":
                self.revoke_made_by(f, target)
            f.roles[target] = role
            self.wrote(f, "member.role_changed")

    @rule(fam=FAMILIES, who=WHO, whom=WHOM)
    def remove_member(self, fam, who, whom):
        fid, f = self.family(fam)
        actor, user = self.person(f, who)
        whom, target = self.person(f, whom)
        if self.role(f, user) != "manager":
            verdict = PermissionDenied
        elif target not in f.roles:
            verdict = NotFound
        elif f.roles[target] == "manager" and list(f.roles.values()).count("manager") == 1:
            verdict = ValidationError
        else:
            verdict = None
        self.call(
            f"remove_member({actor}, {fam}={fid}, {whom})",
            verdict,
            door(members.remove_member),
            self.engine,
            user,
            fid,
            target,
        )
        if verdict is None:
            if f.roles[target] == "manager":
                self.revoke_made_by(f, target)
            del f.roles[target]
            self.wrote(f, "member.removed")

    def revoke_made_by(self, f: FamM, maker: int) -> None:
        """Removing or demoting a manager revokes the invitations they made that are still open (in the
        removal's or demotion's one event: no event of its own)."""
        for inv in f.invs.values():
            if inv.made_by == maker and inv.state == "open":
                inv.state = "revoked"

    @rule(fam=FAMILIES, who=WHO, role=ROLES, hours=HOURS)
    def create_invitation(self, fam, who, role, hours):
        fid, f = self.family(fam)
        actor, user = self.person(f, who)
        if role not in ("manager", "member") or (hours is not None and not 1 <= hours <= 168):
            verdict = ValidationError
        elif self.role(f, user) != "manager":
            verdict = PermissionDenied
        else:
            verdict = None
        made = self.call(
            f"create_invitation({actor}, {fam}={fid}, {role}, {hours}h)",
            verdict,
            door(invitations.create_invitation),
            self.engine,
            user,
            fid,
            role=role,
            hours=hours,
        )
        if verdict is None:
            assert (made.invitation.family_id, made.invitation.role) == (fid, role)
            assert len(made.token) >= 22  # at least 128 bits, URL-safe base64
            f.invs[made.invitation.id] = InvM(fid, made.token, role, user)
            self.wrote(f, "invitation.created")

    @rule(fam=FAMILIES, who=WHO, own=OWN, pick=PICK)
    def revoke_invitation(self, fam, who, own, pick):
        fid, f = self.family(fam)
        actor, user = self.person(f, who)
        inv_id = self.pick_id(f, own, pick, "invitation")
        if self.role(f, user) != "manager":
            verdict = PermissionDenied
        elif inv_id not in f.invs or f.invs[inv_id].state != "open":
            verdict = NotFound
        else:
            verdict = None
        self.call(
            f"revoke_invitation({actor}, {fam}={fid}, {inv_id})",
            verdict,
            door(invitations.revoke_invitation),
            self.engine,
            user,
            fid,
            inv_id,
        )
        if verdict is None:
            f.invs[inv_id].state = "revoked"
            self.wrote(f, "invitation.revoked")

    @rule(
        fam=st.integers(0, 2),
        demote=st.booleans(),
        redeemer=st.sampled_from(["themselves", "a second account", "a family member"]),
        pick=PICK,
    )
    def a_manager_who_lost_the_role_redeems_their_own_link(self, fam, demote, redeemer, pick):
        """The takeover of issue 17: a member is made manager, makes a manager invitation, is demoted or
        removed, and then the link is redeemed by them, a second account of theirs (the stranger) or
        someone already in the family. The model says every redeem is refused; the invariant checks
        that the invitation was revoked in the demotion's or removal's one event."""
        f = self.fams[fam]
        boss = next(u for u, r in sorted(f.roles.items()) if r == "manager")
        plain = sorted(u for u, r in f.roles.items() if r == "member")
        if not plain:
            return
        dad = self.pick(plain, pick)
        where = f"F{fam}={f.id}"
        self.call(
            f"change_role({boss}, {where}, {dad}, manager)",
            None,
            door(members.change_role),
            self.engine,
            boss,
            f.id,
            dad,
            "manager",
        )
        f.roles[dad] = "manager"
        self.wrote(f, "member.role_changed")
        made = self.call(
            f"create_invitation({dad}, {where}, manager, 168h)",
            None,
            door(invitations.create_invitation),
            self.engine,
            dad,
            f.id,
            role="manager",
            hours=168,
        )
        f.invs[made.invitation.id] = InvM(f.id, made.token, "manager", dad)
        self.wrote(f, "invitation.created")
        if demote:
            self.call(
                f"change_role({boss}, {where}, {dad}, member)",
                None,
                door(members.change_role),
                self.engine,
                boss,
                f.id,
                dad,
                "member",
            )
            self.revoke_made_by(f, dad)
            f.roles[dad] = "member"
            self.wrote(f, "member.role_changed")
        else:
            self.call(
                f"remove_member({boss}, {where}, {dad})",
                None,
                door(members.remove_member),
                self.engine,
                boss,
                f.id,
                dad,
            )
            self.revoke_made_by(f, dad)
            del f.roles[dad]
            self.wrote(f, "member.removed")
        assert f.invs[made.invitation.id].state == "revoked"
        user = {"themselves": dad, "a second account": self.uid("stranger"), "a family member": boss}[redeemer]
        self.call(
            f"redeem_invitation({user} as {redeemer}, {where} link of the former manager {dad})",
            PermissionDenied,
            invitations.redeem_invitation,
            self.engine,
            user,
            made.token,
        )

    def name_in_use(self, family_id: int, typed: str | None, user: int) -> bool:
        """A typed name a current member of the family already has (case-insensitively): the model does
        not track display names, so it asks the database, through the owner, what names are there."""
        wanted = " ".join((typed or "").split())
        if not wanted:
            return False  # the account's own name is used, numbered when taken: never refused
        with self.owner.connect() as conn:
            return bool(
                conn.execute(
                    text(
                        "SELECT 1 FROM members WHERE family_id = :f AND removed_at IS NULL AND user_id <> :u "
                        "AND lower(display_name) = lower(:n)"
                    ),
                    {"f": family_id, "u": user, "n": wanted},
                ).first()
            )

    def pick_token(self, kind: str, n: int) -> tuple[str, InvM | None]:
        """(token, the invitation it belongs to or None) of ``TOKEN_KINDS``' kind."""
        every = [inv for f in self.fams for _, inv in sorted(f.invs.items())]
        wanted = [inv for inv in every if (inv.state == "open") == (kind != "spent")]
        inv = self.pick(wanted or every, n) if every else None
        if kind == "garbage" or inv is None:
            return "A" * 32, None
        if kind == "empty":
            return "", None
        if kind == "padded":
            return f"  {inv.token}\n", inv
        return inv.token, inv

    @rule(
        who=WHO,
        kind=TOKEN_KINDS,
        pick=PICK,
        name=st.sampled_from([None, "Sneaky <img src=x>", "  Aunt   May ", "Nul\x00"]),
    )
    def redeem_invitation(self, who, kind, pick, name):
        token, inv = self.pick_token(kind, pick)
        moment = datetime.now(UTC) + timedelta(hours=170) if kind == "expired" else None
        f = next((x for x in self.fams if inv is not None and x.id == inv.family_id), None)
        actor, user = self.person(f, who)
        if inv is None or inv.state != "open" or moment is not None or f.roles.get(inv.made_by) != "manager":
            verdict = PermissionDenied  # (a link whose maker no longer manages is never open: revoked above)
        elif user in f.roles or not storable(name or "") or self.name_in_use(f.id, name, user):
            verdict = ValidationError
        else:
            verdict = None
        fid = self.call(
            f"redeem_invitation({actor}, {kind} token of {inv and inv.family_id}, {name!r})",
            verdict,
            invitations.redeem_invitation,
            self.engine,
            user,
            token,
            display_name=name,
            now=moment,
        )
        if verdict is None:
            assert fid == f.id
            inv.state, inv.used_by = "used", user
            f.roles[user] = inv.role
            f.ever.add(user)
            self.wrote(f, "member.joined")

    # --- reads ------------------------------------------------------------------------------------------
    @rule(fam=FAMILIES, who=WHO, what=READS, own=OWN, pick=PICK, cursor=st.integers(-2, 40))
    def read(self, fam, who, what, own, pick, cursor):
        self._read(fam, who, what, own, pick, cursor)

    @rule(fam=FAMILIES, who=WHO, what=READS, own=OWN, pick=PICK, cursor=st.integers(-2, 40))
    def read_again(self, fam, who, what, own, pick, cursor):
        """Reads are cheap and where a leak would show: twice the share of a write."""
        self._read(fam, who, what, own, pick, cursor)

    def _read(self, fam, who, what, own, pick, cursor):
        fid, f = self.family(fam)
        actor, user = self.person(f, who)
        member = self.role(f, user) is not None
        label = f"{what}({actor}, {fam}={fid})"
        if what == "get_family":
            got = self.call(label, None if member else PermissionDenied, door(family_of), self.engine, user, fid)
            if member:
                assert (got.id, got.version, got.name) == (fid, f.version, f.plan["name"])
        elif what == "list_transactions":
            got = self.call(
                label, None if member else PermissionDenied, door(tx_service.list_transactions), self.engine, user, fid
            )
            if member:
                assert {t.id: t.row_version for t in got} == {i: t.row_version for i, t in f.tx.items()}, self.explain(
                    "list_transactions differs from the model"
                )
                assert all(t.family_id == fid for t in got)
        elif what == "list_filtered":
            flt = TransactionFilter(
                member_id=self.uid(USERS[pick % len(USERS)]),
                category_id=self.pick_id(f, own, pick, "category") if pick % 3 else None,
                text=["x", "%", "_", "\\", None, "a\x00b", "\udcff"][pick % 7],
                limit=[500, 0, -1][pick % 3],
            )
            got = self.call(
                f"{label} {flt}",
                None if member else PermissionDenied,
                door(tx_service.list_transactions),
                self.engine,
                user,
                fid,
                flt,
            )
            if member:
                assert all(t.family_id == fid and t.id in f.tx and t.user_id == flt.member_id for t in got), (
                    self.explain("a filtered list returned a row it should not")
                )
        elif what == "get_transaction":
            tx_id = self.pick_tx(f, own, pick)
            verdict = PermissionDenied if not member else None if tx_id in f.tx else NotFound
            got = self.call(
                f"{label} tx {tx_id}", verdict, door(tx_service.get_transaction), self.engine, user, fid, tx_id
            )
            if verdict is None:
                assert (got.family_id, got.id, got.row_version) == (fid, tx_id, f.tx[tx_id].row_version)
        elif what == "changes_since":
            got = self.call(
                f"{label} after {cursor}",
                None if member else PermissionDenied,
                door(activity.changes_since),
                self.engine,
                user,
                fid,
                cursor,
            )
            if member:
                assert [e.version for e in got] == list(range(max(cursor, 0) + 1, f.version + 1))
                assert all(e.family_id == fid for e in got)
        elif what == "recent_activity":
            before = None if cursor < 0 else cursor
            got = self.call(
                f"{label} before {before}",
                None if member else PermissionDenied,
                door(activity.recent_activity),
                self.engine,
                user,
                fid,
                before=before,
                limit=20,
            )
            if member:
                top = f.version if before is None else min(f.version, before - 1)
                assert [e.version for e in got] == list(range(top, max(top - 20, 0), -1))
                assert all(e.family_id == fid for e in got) and all(isinstance(e.text, str) for e in got)
        elif what == "list_categories":
            got = self.call(
                label,
                None if member else PermissionDenied,
                door(categories.list_categories),
                self.engine,
                user,
                fid,
                include_archived=own != "own",
            )
            if member:
                assert {c.id for c in got} == {i for i, c in f.cats.items() if own != "own" or not c.archived}
        elif what == "list_members":
            got = self.call(
                label, None if member else PermissionDenied, door(members.list_members), self.engine, user, fid
            )
            if member:
                assert {m.user_id: m.role for m in got} == f.roles
        elif what == "list_invitations":
            got = self.call(
                label, None if member else PermissionDenied, door(invitations.list_invitations), self.engine, user, fid
            )
            if member:
                assert {i.id for i in got} == set(f.invs) and all(i.family_id == fid for i in got)
                assert not any(hasattr(i, "token") for i in got)
        elif what == "list_fixed":
            got = self.call(
                label, None if member else PermissionDenied, door(families.list_fixed_expenses), self.engine, user, fid
            )
            if member:
                assert {x.id for x in got} == f.fixed
        elif what == "my_families":
            got = self.call(f"my_families({actor})", None, families.my_families, self.engine, user)
            mine = {m.family_id: m.role for m in got if m.family_id in self.ids}
            assert mine == {x.id: x.roles[user] for x in self.fams if user in x.roles}, self.explain(
                "my_families differs from the model"
            )
            self.assert_members_everywhere(user, [m.family_id for m in got])
        elif what == "daily_budget":
            got = self.call(
                label, None if member else PermissionDenied, door(budgets.daily_budget), self.engine, user, fid
            )
            if member:
                assert (got.family_id, got.version, got.currency) == (fid, f.version, f.plan["currency"])
        elif what == "peek_invitation":
            token, inv = self.pick_token(["open", "padded", "spent", "garbage", "empty"][pick % 5], pick // 5)
            ok = inv is not None and inv.state == "open"
            got = self.call(
                f"peek_invitation({inv and inv.family_id})",
                None if ok else PermissionDenied,
                invitations.peek_invitation,
                self.engine,
                token,
            )
            if ok:
                owner_fam = next(x for x in self.fams if x.id == inv.family_id)
                assert got == (inv.family_id, owner_fam.plan["name"], inv.role)
        elif what == "last_category":
            got = self.call(
                label, None if member else PermissionDenied, door(tx_service.last_category_id), self.engine, user, fid
            )
            assert not member or got is None or got in f.cats, self.explain(f"last_category_id gave {got}")

    def assert_members_everywhere(self, user: int, family_ids: list[int]) -> None:
        """Every family my_families lists (older examples' too) has this person as an active member."""
        with self.owner.connect() as conn:
            n = conn.execute(
                text("SELECT count(*) FROM members WHERE user_id = :u AND removed_at IS NULL AND family_id = ANY(:f)"),
                {"u": user, "f": family_ids},
            ).scalar_one()
            total = conn.execute(
                text("SELECT count(*) FROM members WHERE user_id = :u AND removed_at IS NULL"), {"u": user}
            ).scalar_one()
        assert n == total == len(family_ids), self.explain("my_families lists a family the person is not in")

    # --- after every step: the truth equals the model ---------------------------------------------------
    @invariant()
    def the_database_holds_what_the_model_allows(self):
        """After a step the model says changed nothing (a refusal, a replay, a read): every family's
        version is unchanged, one cheap statement. After a change, and at least every ``FULL_EVERY``
        steps, the whole truth is compared (a write that bypassed the version is caught there)."""
        if not self.fams:
            return
        self.unchecked += 1
        if not self.changed and self.unchecked < FULL_EVERY:
            with self.owner.connect() as conn:
                count, total = conn.execute(VERSIONS).one()
            expected = (
                self.others_versions[0] + len(self.fams),
                self.others_versions[1] + sum(f.version for f in self.fams),
            )
            assert (count, total) == expected, self.explain(
                f"(families, sum of versions) is {(count, total)}, the model says {expected}: something was written"
            )
            self.clean = True
            return
        self.changed, self.unchecked = False, 0
        with self.owner.connect() as conn:  # row_security is off for its session: every row, or an error
            rows = conn.execute(TRUTH, {"ids": self.ids}).all()
        assert [r.id for r in rows] == self.ids
        for f, r in zip(self.fams, rows):
            where = f"family {f.id}: "
            plan = {
                "name": r.name,
                "currency": r.currency.strip(),
                "timezone": r.timezone,
                "monthly_income": r.monthly_income,
                "savings_goal": r.savings_goal,
                "period_start_day": r.period_start_day,
                "big_expense_threshold": r.big_expense_threshold,
            }
            assert plan == f.plan, self.explain(where + f"plan {plan} != model {f.plan}")
            assert r.version == f.version, self.explain(where + f"version {r.version} != model {f.version}")
            count, low, high, strangers, added, deleted = r.ev
            assert (count, low, high) == (f.version, 1, f.version), self.explain(
                where + f"events {count} from {low} to {high}, version {f.version}"
            )
            assert strangers == 0, self.explain(where + "an event's actor was never a member")
            assert Counter(r.kinds) == +f.events, self.explain(where + f"event kinds {r.kinds} != {dict(f.events)}")
            assert len(added) == len(set(added)) and set(deleted) <= set(added)
            assert sorted(set(added) - set(deleted)) == sorted(t[0] for t in r.tx), self.explain(
                where + "the transactions are not those added and not deleted by the events"
            )
            tx = {t[0]: TxM(t[1], t[2], t[3], t[4], date.fromisoformat(t[5]), uuid.UUID(t[6]), t[7]) for t in r.tx}
            assert tx == f.tx, self.explain(where + "transactions differ from the model")
            assert all(t[8] for t in r.tx), self.explain(where + "a transaction's author is not a member")
            roles = {u: role for u, role, active in r.members if active}
            assert roles == f.roles, self.explain(where + f"members {roles} != model {f.roles}")
            assert {u for u, _, _ in r.members} == f.ever
            assert "manager" in roles.values(), self.explain(where + "no manager left")
            cats = {c[0]: CatM(c[1], c[2], c[3], c[4]) for c in r.cats}
            assert cats == f.cats, self.explain(where + "categories differ from the model")
            assert set(r.fixed) == f.fixed, self.explain(where + "fixed expenses differ from the model")
            invs = {i: (role, state, by, maker) for i, role, state, by, maker in r.invs}
            assert invs == {i: (v.role, v.state, v.used_by, v.made_by) for i, v in f.invs.items()}, self.explain(
                where + "invitations differ from the model"
            )
            unmanaged = [
                i for i, (_, state, _, maker) in invs.items() if state == "open" and roles.get(maker) != "manager"
            ]
            assert not unmanaged, self.explain(
                where + f"invitations {unmanaged} are open but their maker no longer manages"
            )
        assert tuple(rows[0].others) == self.others_versions, self.explain("a family outside this example changed")
        self.clean = True

    def teardown(self):
        if os.environ.get("ADVERSARIAL_TRACE"):
            with open(os.environ["ADVERSARIAL_TRACE"], "a") as fh:
                fh.write("=== example\n" + "\n".join(self.trace) + "\n")
        if self.clean and self.fams:  # only after a step that passed: never mask the first failure
            with self.owner.connect() as conn:
                after = tuple(conn.execute(OTHERS_ROWS, {"ids": self.ids}).one())
            assert after == self.others_before, "rows of families outside this example changed"


def test_nobody_reads_or_changes_what_their_role_and_family_do_not_allow(shared_engines, capsys):
    engine, owner = shared_engines
    FamilyIsolation.engine, FamilyIsolation.owner = engine, owner
    FamilyIsolation.people = {
        name: accounts.create_user(engine, f"{name}@adversary.example", name.capitalize(), PASSWORD) for name in USERS
    }
    steps_per_example = min(STEPS_PER_EXAMPLE, TARGET_STEPS)
    start = time.perf_counter()
    STATS.steps = STATS.examples = 0
    STATS.outcomes.clear()
    rounds = 0
    while STATS.steps < TARGET_STEPS:  # examples may end early when hypothesis' buffer fills
        missing = TARGET_STEPS - STATS.steps
        run_state_machine_as_test(
            FamilyIsolation,
            settings=settings(
                max_examples=max(1, math.ceil(missing / (0.9 * steps_per_example))),
                stateful_step_count=steps_per_example,
                deadline=None,
                suppress_health_check=list(HealthCheck),
                print_blob=True,
                phases=PHASES,
            ),
        )
        rounds += 1
    seconds = time.perf_counter() - start
    refused = sum(n for (_, outcome), n in STATS.outcomes.items() if outcome != "ok")
    with capsys.disabled():
        print(
            f"\nadversarial state machine: {STATS.steps} steps in {STATS.examples} examples ({rounds} rounds), "
            f"{seconds:.1f} s, {STATS.steps / seconds:.0f} steps/s; {refused} refused as the model predicted"
        )
        if os.environ.get("ADVERSARIAL_VERBOSE"):
            for (name, outcome), n in sorted(STATS.outcomes.items()):
                print(f"  {name:24} {outcome:18} {n}")
    assert STATS.steps >= TARGET_STEPS
