"""Categorisation rules: "description contains SPOTIFY → Fun (and, optionally, member Eve)".

Rules are tried in their order (position 1 first); the first that matches decides. "Contains"
compares case-insensitively; a regex is searched case-insensitively. Any member may add a rule
(the Import page offers one after a correction, "always put SPOTIFY into Fun?"); new rules go
first, so the person's latest "always" wins. Only managers edit, reorder and delete them.

Regular expressions run on RE2 (``google-re2``), whose matching time grows linearly with the text
whatever the pattern, so a rule such as ``(a+)+$`` cannot freeze the server. What RE2 cannot do in
linear time (back-references, look-around) is refused when the rule is saved, with the reason. A
stored pattern RE2 cannot compile (saved before this check) never matches and says so in the list.
Matching a whole file is also bounded in time (:data:`MATCH_SECONDS`) and happens before the import
takes the family's write lock (:func:`match_descriptions`), so a slow file slows only its importer.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import re2
from sqlalchemy import Connection, text

from ..domain.storable import check_storable
from ..errors import NotFound, ValidationError
from ..services._uow import family_write
from ..services.access import FamilyAccess
from ..services.categories import find_category

MAX_PATTERN = 200
MAX_RULES = 500  # a family's rules; each costs a little on every imported row
MATCH_SECONDS = 10.0  # matching one file's descriptions against the rules, at most
_RE2_MEMORY = 8 << 20  # bytes one compiled rule may use
# words a card processor puts before the merchant's name
_NOISE = {
    "pos",
    "card",
    "visa",
    "debit",
    "purchase",
    "payment",
    "contactless",
    "sq",
    "tst",
    "paypal",
    "ach",
    "recurring",
    "online",
    "mastercard",
    "mc",
    "dd",
    "so",
    "bp",
    "fpi",
    "lastschrift",
    "kartenzahlung",
}


@dataclass(frozen=True, slots=True)
class Rule:
    id: int
    position: int
    pattern: str
    is_regex: bool
    category_id: int
    category: str
    user_id: int | None
    member: str | None

    def matches(self, description: str) -> bool:
        return _compiled(self.pattern, self.is_regex)(description)

    @property
    def problem(self) -> str | None:
        """Why this stored rule never matches (a regex RE2 cannot run), or None."""
        return _regex_problem(self.pattern) if self.is_regex else None

    def describe(self) -> str:
        how = f"matches /{self.pattern}/" if self.is_regex else f"contains '{self.pattern}'"
        who = f" (member {self.member})" if self.member else ""
        broken = f" [never used: {self.problem}]" if self.problem else ""
        return f"description {how} → {self.category}{who}{broken}"

    def as_json(self) -> dict:
        return {
            "id": self.id,
            "position": self.position,
            "pattern": self.pattern,
            "is_regex": self.is_regex,
            "category_id": self.category_id,
            "category": self.category,
            "user_id": self.user_id,
            "member": self.member,
        }


@dataclass(frozen=True, slots=True)
class RuleDraft:
    """A rule as a person states it; ``category`` is an id or a name, ``user_id`` the member or None."""

    pattern: str
    category: int | str
    is_regex: bool = False
    user_id: int | None = None


def _re2_options():
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False
    options.max_mem = _RE2_MEMORY
    return options


def _regex(pattern: str):
    """The RE2 program of ``pattern``, or re2.error."""
    return re2.compile(pattern, _re2_options())


_WHY = (  # the start of RE2's words -> what a person can do about it
    ("invalid perl operator: (?=", "look-ahead (?=…) is not supported"),
    ("invalid perl operator: (?!", "negative look-ahead (?!…) is not supported"),
    ("invalid perl operator: (?<", "look-behind (?<=…) is not supported"),
    ("invalid repetition size", "a repeat count above 1,000 is not supported"),
    ("pattern too large", "the pattern is too large to run quickly; make it simpler"),
)
_BACK_REFERENCE = "invalid escape sequence: \\"


@lru_cache(maxsize=1024)
def _regex_problem(pattern: str) -> str | None:
    """None if RE2 runs ``pattern``, else a reason in a person's words."""
    try:
        _regex(pattern)
    except re2.error as err:
        raw = err.args[0] if err.args else b""
        words = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        if words.startswith(_BACK_REFERENCE) and words[len(_BACK_REFERENCE) :][:1].isdigit():
            return "back-references such as \\1 are not supported"
        why = next((why for start, why in _WHY if words.startswith(start)), None)
        return why or f"it is not a regular expression ({words or 'it does not compile'})"
    return None


def _never(_: str) -> bool:
    return False


def _compiled(pattern: str, is_regex: bool) -> Callable[[str], bool]:
    if is_regex:
        if _regex_problem(pattern):
            return _never
        regex = _regex(pattern)
        return lambda d: regex.search(d) is not None
    folded = pattern.casefold()
    return lambda d: folded in d.casefold()


class RulesTooSlow(ValidationError):
    """Matching a file against the rules took longer than allowed; nothing was written."""


class RulesChanged(Exception):
    """The rules changed between matching a file and writing it (the import matches again)."""


class RuleBook:
    """A family's rules compiled once per import; ``first_match`` is the rule that decides a row.

    With ``deadline`` (a ``time.monotonic()`` value) a match after it raises RulesTooSlow."""

    def __init__(self, rules: list[Rule], *, deadline: float | None = None, seconds: float | None = None):
        self.rules = sorted(rules, key=lambda r: (r.position, r.id))
        self._seconds = MATCH_SECONDS if seconds is None else seconds  # the limit, for the message
        self._tests = [(r, _compiled(r.pattern, r.is_regex)) for r in self.rules]
        self._decided: dict[str, Rule | None] = {}  # bank descriptions repeat: decide each once
        self._deadline = deadline

    def first_match(self, description: str) -> Rule | None:
        if description in self._decided:
            return self._decided[description]
        if self._deadline is not None and time.monotonic() > self._deadline:
            raise RulesTooSlow(
                f"Matching this file against the family's {len(self.rules)} rules took longer than "
                f"{max(self._seconds, 0):.0f} s; import a shorter date range, or ask a manager to remove rules that are no "
                "longer needed."
            )
        found = next((rule for rule, test in self._tests if test(description)), None)
        if len(self._decided) < 100_000:
            self._decided[description] = found
        return found


@dataclass(frozen=True, slots=True)
class RuleMatches:
    """Which rule decides each description, worked out before the import's write lock is taken.

    ``order`` is the rules' (pattern, is_regex) in the order they apply; ``first`` maps each
    description to the index in ``order`` of the first rule that matches it, or None."""

    order: tuple[tuple[str, bool], ...]
    first: dict[str, int | None] = field(default_factory=dict)

    def rule_for(self, rules: list[Rule], description: str) -> Rule | None:
        """The rule of ``rules`` (loaded in the write transaction) that decides ``description``;
        RulesChanged when ``rules`` are not the ones matched against."""
        ordered = sorted(rules, key=lambda r: (r.position, r.id))
        if tuple((r.pattern, r.is_regex) for r in ordered) != self.order:
            raise RulesChanged()
        index = self.first[description]
        return None if index is None else ordered[index]


def match_descriptions(
    rules: Iterable[tuple[str, bool]], descriptions: Iterable[str], *, seconds: float | None = None
) -> RuleMatches:
    """Match every distinct description against the rules (in order) within ``seconds`` (default
    :data:`MATCH_SECONDS`, read when called); RulesTooSlow after."""
    limit = MATCH_SECONDS if seconds is None else seconds
    order = tuple(rules)
    book = RuleBook(
        [Rule(i, i + 1, p, x, 0, "", None, None) for i, (p, x) in enumerate(order)],
        deadline=time.monotonic() + limit,
        seconds=limit,
    )
    first: dict[str, int | None] = {}
    for description in descriptions:
        if description not in first:
            found = book.first_match(description)
            first[description] = None if found is None else found.id
    return RuleMatches(order, first)


def check_pattern(pattern: str, is_regex: bool) -> str:
    """The pattern trimmed, or ValidationError (empty, too long, a regex that does not compile)."""
    normal = " ".join((pattern or "").split()) if not is_regex else (pattern or "").strip()
    if not normal:
        raise ValidationError("Say what the description contains, for example SPOTIFY.")
    if len(normal) > MAX_PATTERN:
        raise ValidationError(f"Keep the pattern under {MAX_PATTERN + 1} characters.")
    check_storable(normal, "pattern")
    if is_regex:
        problem = _regex_problem(normal)
        if problem:
            raise ValidationError(f"'{normal}' cannot be used as a rule: {problem}.")
    return normal


def suggest_pattern(description: str) -> str:
    """The merchant part of a bank description: 'POS VISA SPOTIFY P1234 STOCKHOLM' → 'SPOTIFY'.

    Skips card-processor words and tokens with digits; keeps one word (two when the first is short).
    """
    words = [w.strip("*#.,:;/-") for w in description.split()]
    words = [w for w in words if w and not any(ch.isdigit() for ch in w) and w.casefold() not in _NOISE]
    if not words:
        return " ".join(description.split()[:1])
    if len(words[0]) <= 3 and len(words) > 1:
        return f"{words[0]} {words[1]}"
    return words[0]


# --- storage -----------------------------------------------------------------------------------------
_SELECT = (
    "SELECT r.id, r.position, r.pattern, r.is_regex, r.category_id, "
    "CASE WHEN p.name IS NULL THEN c.name ELSE p.name || ' › ' || c.name END, r.user_id, m.display_name "
    "FROM category_rules r JOIN categories c ON c.family_id = r.family_id AND c.id = r.category_id "
    "LEFT JOIN categories p ON p.family_id = c.family_id AND p.id = c.parent_id "
    "LEFT JOIN members m ON m.family_id = r.family_id AND m.user_id = r.user_id "
    "WHERE r.family_id = :f"
)


def load_rules(conn: Connection, family_id: int, *, live_only: bool = True) -> list[Rule]:
    """The family's rules in order; with ``live_only``, rules into archived categories are left out."""
    extra = " AND c.archived_at IS NULL" if live_only else ""
    rows = conn.execute(text(_SELECT + extra + " ORDER BY r.position, r.id"), {"f": family_id}).all()
    return [Rule(*r) for r in rows]


def list_rules(access: FamilyAccess) -> list[Rule]:
    with access.read() as conn:
        return load_rules(conn, access.family_id, live_only=False)


def _check_member(conn: Connection, family_id: int, user_id: int | None) -> None:
    if user_id is None:
        return
    ok = conn.execute(
        text("SELECT 1 FROM members WHERE family_id = :f AND user_id = :u AND removed_at IS NULL"),
        {"f": family_id, "u": user_id},
    ).first()
    if ok is None:
        raise ValidationError("A rule can only assign a current member of the family.")


def _get(conn: Connection, family_id: int, rule_id: int) -> Rule:
    row = conn.execute(text(_SELECT + " AND r.id = :r"), {"f": family_id, "r": rule_id}).first()
    if row is None:
        raise NotFound(f"This family has no rule {rule_id}; it may have been deleted.")
    return Rule(*row)


def _payload(w, rule_pattern: str, category: str, **extra) -> dict:
    return {"actor": w.actor_name, "pattern": rule_pattern, "category": category, **extra}


def insert_rule(conn: Connection, family_id: int, actor_id: int | None, draft: RuleDraft) -> Rule:
    """Write a rule at position 1 inside a caller's family write (the import uses this)."""
    pattern = check_pattern(draft.pattern, draft.is_regex)
    category = find_category(conn, family_id, draft.category)
    if category.archived:
        raise ValidationError(f"The category '{category.label}' is archived; choose another one.")
    _check_member(conn, family_id, draft.user_id)
    count = conn.execute(
        text("SELECT count(*) FROM category_rules WHERE family_id = :f"), {"f": family_id}
    ).scalar_one()
    if count >= MAX_RULES:
        raise ValidationError(f"A family can have up to {MAX_RULES} rules; delete some that are no longer needed.")
    conn.execute(text("UPDATE category_rules SET position = position + 1 WHERE family_id = :f"), {"f": family_id})
    rule_id = conn.execute(
        text(
            "INSERT INTO category_rules (family_id, position, pattern, is_regex, category_id, user_id, created_by) "
            "VALUES (:f, 1, :p, :x, :c, :u, :a) RETURNING id"
        ),
        {"f": family_id, "p": pattern, "x": draft.is_regex, "c": category.id, "u": draft.user_id, "a": actor_id},
    ).scalar_one()
    return _get(conn, family_id, rule_id)


def add_rule(access: FamilyAccess, draft: RuleDraft) -> Rule:
    """Add a rule that is tried first. Any member may (rules come from their own corrections)."""
    with family_write(access, role="member", action="add rules") as w:
        rule = insert_rule(w.conn, access.family_id, access.user_id, draft)
        w.emit("rule.added", _payload(w, rule.pattern, rule.category, text=rule.describe()))
    return rule


def edit_rule(access: FamilyAccess, rule_id: int, draft: RuleDraft) -> Rule:
    """Change a rule's pattern, category and member (its position stays). Managers only."""
    pattern = check_pattern(draft.pattern, draft.is_regex)
    family_id = access.family_id
    with family_write(access, role="manager", action="change rules") as w:
        before = _get(w.conn, family_id, rule_id)
        category = find_category(w.conn, family_id, draft.category)
        _check_member(w.conn, family_id, draft.user_id)
        w.conn.execute(
            text(
                "UPDATE category_rules SET pattern = :p, is_regex = :x, category_id = :c, user_id = :u "
                "WHERE family_id = :f AND id = :r"
            ),
            {"p": pattern, "x": draft.is_regex, "c": category.id, "u": draft.user_id, "f": family_id, "r": rule_id},
        )
        rule = _get(w.conn, family_id, rule_id)
        w.emit("rule.changed", _payload(w, rule.pattern, rule.category, text=rule.describe(), before=before.describe()))
    return rule


def move_rule(access: FamilyAccess, rule_id: int, position: int) -> list[Rule]:
    """Put a rule at ``position`` (1 = tried first; beyond the end = last) and renumber. Managers only."""
    family_id = access.family_id
    with family_write(access, role="manager", action="reorder rules") as w:
        rules = load_rules(w.conn, family_id, live_only=False)
        moving = next((r for r in rules if r.id == rule_id), None)
        if moving is None:
            raise NotFound(f"This family has no rule {rule_id}; it may have been deleted.")
        order = [r for r in rules if r.id != rule_id]
        order.insert(max(0, min(position - 1, len(order))), moving)
        for i, r in enumerate(order, start=1):
            if r.position != i:
                w.conn.execute(
                    text("UPDATE category_rules SET position = :p WHERE family_id = :f AND id = :r"),
                    {"p": i, "f": family_id, "r": r.id},
                )
        w.emit("rule.moved", _payload(w, moving.pattern, moving.category, position=order.index(moving) + 1))
        return load_rules(w.conn, family_id, live_only=False)


def delete_rule(access: FamilyAccess, rule_id: int) -> None:
    """Delete a rule; transactions it categorised keep their category. Managers only."""
    family_id = access.family_id
    with family_write(access, role="manager", action="delete rules") as w:
        rule = _get(w.conn, family_id, rule_id)
        w.conn.execute(
            text("DELETE FROM category_rules WHERE family_id = :f AND id = :r"), {"f": family_id, "r": rule_id}
        )
        w.conn.execute(
            text("UPDATE category_rules SET position = position - 1 WHERE family_id = :f AND position > :p"),
            {"f": family_id, "p": rule.position},
        )
        w.emit("rule.deleted", _payload(w, rule.pattern, rule.category, text=rule.describe()))
