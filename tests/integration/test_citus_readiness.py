"""Ready for Citus: the schema can be distributed by ``family_id`` and no query joins two families.

Citus cannot be installed here, so these check what it would refuse (on the migrated schema of a
real PostgreSQL) against the plan in ``budget_core/db/distribution.py``:

- every table is classified (family, reference or coordinator);
- a family table has ``family_id`` in its primary key and in every unique index, and every foreign
  key between family tables carries ``family_id`` on both sides (co-location); ``families`` is
  keyed by its ``id``;
- no reference or coordinator table points at a family table;
- every family table has row-level security (the second wall moves with it);
- no SQL in ``budget_core`` joins rows of two families: each join between family tables equates
  their family keys, and no family tables are joined with a comma;
- the README's scale-out section holds the plan's statements, so it says how to move today's schema.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from sqlalchemy import text

from budget_core.db.distribution import COORDINATOR_TABLES, FAMILY_ROOT, REFERENCE_TABLES, kind_of, plan

ROOT = Path(__file__).resolve().parents[2]


# --- the schema, read from the catalogue ---------------------------------------------------------
@pytest.fixture(scope="module")
def schema(module_engines):
    _app, owner = module_engines
    with owner.connect() as conn:
        tables = {
            r.relname: r
            for r in conn.execute(
                text(
                    "SELECT c.oid, c.relname, c.relrowsecurity, c.relforcerowsecurity, "
                    "EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'family_id' "
                    "        AND NOT a.attisdropped) AS has_family_id "
                    "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')"
                )
            )
        }
        indexes = conn.execute(
            text(
                "SELECT t.relname AS tbl, i.relname AS idx, x.indisprimary, x.indisunique, "
                "ARRAY(SELECT a.attname FROM unnest(x.indkey) k JOIN pg_attribute a "
                "      ON a.attrelid = x.indrelid AND a.attnum = k) AS columns "
                "FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid "
                "JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = 'public'"
            )
        ).all()
        foreign_keys = conn.execute(
            text(
                "SELECT c.conname, t.relname AS child, p.relname AS parent, "
                "ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a "
                "      ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.o) AS child_columns, "
                "ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a "
                "      ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.o) AS parent_columns "
                "FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class p ON p.oid = c.confrelid "
                "JOIN pg_namespace n ON n.oid = t.relnamespace WHERE n.nspname = 'public' AND c.contype = 'f'"
            )
        ).all()
    kinds = {name: kind_of(name, row.has_family_id) for name, row in tables.items()}
    return tables, kinds, indexes, foreign_keys


def family_key(table: str) -> str:
    return "id" if table == FAMILY_ROOT else "family_id"


def test_every_table_is_a_family_reference_or_coordinator_table(schema):
    _tables, kinds, _indexes, _fks = schema
    unclassified = sorted(t for t, k in kinds.items() if k == "unclassified")
    assert unclassified == [], f"classify {unclassified} in budget_core/db/distribution.py"
    assert not set(REFERENCE_TABLES) - set(kinds), "a reference table named in the plan does not exist"
    assert not set(COORDINATOR_TABLES) - set(kinds), "a coordinator table named in the plan does not exist"
    assert {"users", "invitation_tokens"} <= {t for t, k in kinds.items() if k == "reference"}
    assert {"transactions", "events", "members", "categories"} <= {t for t, k in kinds.items() if k == "family"}


def test_every_family_table_has_family_id_in_its_primary_key_and_every_unique_index(schema):
    _tables, kinds, indexes, _fks = schema
    family = {t for t, k in kinds.items() if k == "family"}
    with_primary_key = {ix.tbl for ix in indexes if ix.indisprimary}
    assert family <= with_primary_key, f"family tables without a primary key: {sorted(family - with_primary_key)}"
    wrong = [
        f"{ix.tbl}.{ix.idx} ({', '.join(ix.columns) or 'expressions only'})"
        for ix in indexes
        if ix.tbl in family and (ix.indisprimary or ix.indisunique) and family_key(ix.tbl) not in ix.columns
    ]
    assert wrong == [], f"unique keys without the distribution column: {wrong}"


def test_every_foreign_key_between_family_tables_carries_family_id_on_both_sides(schema):
    _tables, kinds, _indexes, fks = schema
    wrong = []
    for fk in fks:
        child, parent = kinds[fk.child], kinds[fk.parent]
        pairs = set(zip(fk.child_columns, fk.parent_columns))
        if child == "family" and parent == "family":
            if (family_key(fk.child), family_key(fk.parent)) not in pairs:
                wrong.append(
                    f"{fk.conname}: {fk.child}{tuple(fk.child_columns)} → {fk.parent}{tuple(fk.parent_columns)}"
                )
        elif parent == "family" or (child == "family" and parent == "coordinator"):
            wrong.append(f"{fk.conname}: a {child} table {fk.child} points at the {parent} table {fk.parent}")
    assert wrong == [], f"foreign keys Citus could not keep: {wrong}"


def test_every_family_table_keeps_row_level_security(schema):
    tables, kinds, _indexes, _fks = schema
    missing = sorted(
        t
        for t, k in kinds.items()
        if k == "family" and not (tables[t].relrowsecurity and tables[t].relforcerowsecurity)
    )
    assert missing == []


def test_the_readme_scale_out_section_holds_the_distribution_plan(schema):
    _tables, kinds, _indexes, fks = schema
    family = [t for t, k in kinds.items() if k == "family"]
    references: dict[str, set[str]] = {}
    for fk in fks:
        references.setdefault(fk.child, set()).add(fk.parent)
    statements = plan(family, references)
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Scale-out") :]
    missing = [s for s in statements if s not in section]
    assert missing == [], f"add to the README's scale-out section (budget db distribution prints them): {missing}"
    order = [re.search(r"\('([a-z_]+)'", s).group(1) for s in statements if "create_distributed_table" in s]
    for fk in fks:  # a table is distributed after the family tables it points at
        if kinds[fk.child] == "family" and kinds[fk.parent] == "family" and fk.child != fk.parent:
            assert order.index(fk.parent) < order.index(fk.child), fk.conname


# --- no query joins two families ---------------------------------------------------------------
KEYWORDS = {"on", "where", "join", "left", "right", "inner", "full", "cross", "lateral", "using", "group", "order"}
TABLE_REF = re.compile(r"\b(from|join|update)\s+([a-z_]+)(?:\s+(?:as\s+)?([a-z_]+))?", re.I)
ON_CLAUSE = re.compile(
    r"\bjoin\s+([a-z_]+)(?:\s+(?:as\s+)?([a-z_]+))?\s+(on|using)\b(.*?)"
    r"(?=\b(?:left|right|inner|full|cross)?\s*join\b|\bwhere\b|\bgroup\b|\border\b|\blimit\b|\breturning\b|;|$)",
    re.I | re.S,
)
COMMA_JOIN = re.compile(r"\bfrom\s+([a-z_]+)(?:\s+(?:as\s+)?[a-z_]+)?\s*,\s*([a-z_]+)", re.I)


def cross_family_joins(sql: str, family: set[str]) -> list[str]:
    """The joins in ``sql`` between family tables that do not equate the two sides' family keys."""
    aliases: dict[str, str] = {}
    for _verb, table, alias in TABLE_REF.findall(sql):
        if table.lower() in family:
            aliases[(alias if alias and alias.lower() not in KEYWORDS else table).lower()] = table.lower()
    problems = []
    for table, alias, how, condition in ON_CLAUSE.findall(sql):
        table = table.lower()
        if table not in family:
            continue
        me = (alias if alias and alias.lower() not in KEYWORDS else table).lower()
        if how.lower() == "using":
            if "family_id" not in condition.lower():
                problems.append(f"JOIN {table} USING without family_id")
            continue
        mine = rf"\b{me}\.{family_key(table)}\b"
        theirs = "|".join(rf"\b{a}\.{family_key(t)}\b" for a, t in aliases.items() if a != me)
        linked = theirs and re.search(rf"(?:{mine})\s*=\s*(?:{theirs})|(?:{theirs})\s*=\s*(?:{mine})", condition, re.I)
        # both sides pinned to one family: a bound parameter, or ``fam`` (the door functions' family argument)
        pinned = re.search(rf"{mine}\s*=\s*(:[a-z_]+|fam)\b", condition, re.I)
        if pinned and theirs and re.search(rf"(?:{theirs})\s*=\s*{pinned.group(1)}\b", sql, re.I):
            linked = True
        if not linked:
            problems.append(f"JOIN {table} {me} ON {' '.join(condition.split())[:80]}")
    for left, right in COMMA_JOIN.findall(sql):
        if left.lower() in family and right.lower() in family:
            problems.append(f"FROM {left}, {right}")
    return problems


def sql_texts() -> list[tuple[str, int, str]]:
    """Every string in budget_core that reads as SQL: (file, line, text)."""
    found = []
    for path in sorted((ROOT / "budget_core").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and re.search(r"\bjoin\b", node.value, re.I)
            ):
                if re.search(r"\b(select|update|delete|insert)\b", node.value, re.I):
                    found.append((str(path.relative_to(ROOT)), node.lineno, node.value))
    return found


def test_no_query_in_budget_core_joins_two_families(schema):
    _tables, kinds, _indexes, _fks = schema
    family = {t for t, k in kinds.items() if k == "family"}
    texts = sql_texts()
    assert len(texts) >= 10  # the scan finds the code base's joins (the ledger's, the door's, the lookups')
    problems = [f"{path}:{line}: {p}" for path, line, sql in texts for p in cross_family_joins(sql, family)]
    assert problems == []


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM transactions t JOIN categories c ON c.id = t.category_id WHERE t.family_id = :f",
        "SELECT * FROM members m JOIN families f ON f.id = m.user_id",
        "SELECT * FROM transactions t, events e WHERE t.family_id = :f",
        "SELECT * FROM events e LEFT JOIN transactions t USING (version)",
        "UPDATE families f SET version = 1 FROM (SELECT 1) one JOIN members m ON m.family_id = :g WHERE f.id = :f",
    ],
)
def test_the_join_check_catches_a_join_across_families(sql):
    family = {"transactions", "categories", "members", "families", "events"}
    assert cross_family_joins(sql, family) != []


def test_the_join_check_accepts_joins_within_one_family():
    family = {"transactions", "categories", "members", "families"}
    sql = (
        "SELECT * FROM transactions t JOIN families f ON f.id = t.family_id "
        "JOIN members m ON m.family_id = t.family_id AND m.user_id = t.user_id "
        "LEFT JOIN categories c ON c.family_id = t.family_id AND c.id = t.category_id JOIN users u ON u.id = m.user_id"
    )
    assert cross_family_joins(sql, family) == []
