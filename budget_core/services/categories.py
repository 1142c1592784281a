"""Categories and subcategories: fixed, variable, savings or income; archived, never deleted."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

from ..domain.storable import check_storable
from ..errors import NotFound, ValidationError
from ._uow import family_write
from .access import FamilyAccess

KINDS = ("fixed", "variable", "savings", "income")


@dataclass(frozen=True, slots=True)
class Category:
    id: int
    name: str
    kind: str
    parent_id: int | None
    parent_name: str | None
    archived: bool

    @property
    def label(self) -> str:
        """'Dining › Coffee' for a subcategory, the name otherwise."""
        return f"{self.parent_name} › {self.name}" if self.parent_name else self.name


_SELECT = (
    "SELECT c.id, c.name, c.kind, c.parent_id, p.name AS parent_name, c.archived_at IS NOT NULL AS archived "
    "FROM categories c LEFT JOIN categories p ON p.family_id = c.family_id AND p.id = c.parent_id "
    "WHERE c.family_id = :f"
)


def list_categories(access: FamilyAccess, *, include_archived: bool = False) -> list[Category]:
    with access.read() as conn:
        rows = conn.execute(
            text(
                _SELECT
                + ("" if include_archived else " AND c.archived_at IS NULL")
                + " ORDER BY array_position(ARRAY['variable','fixed','savings','income'], c.kind), "
                "coalesce(p.name, c.name), c.parent_id NULLS FIRST, c.name"
            ),
            {"f": access.family_id},
        ).all()
    return [Category(*r) for r in rows]


def find_category(conn: Connection, family_id: int, category: int | str) -> Category:
    """A family's category by id, or by name / 'Parent › Child' label (case-insensitive)."""
    if isinstance(category, int) and not isinstance(category, bool):
        row = conn.execute(text(_SELECT + " AND c.id = :c"), {"f": family_id, "c": category}).first()
        if row is None:
            raise NotFound(f"This family has no category {category}.")
        return Category(*row)
    wanted = " ".join(str(category or "").split()).lower()
    if not wanted:
        raise ValidationError("Choose a category.")
    rows = [Category(*r) for r in conn.execute(text(_SELECT), {"f": family_id}).all()]
    matches = [c for c in rows if wanted in (c.name.lower(), c.label.lower(), c.label.replace("›", ">").lower())]
    live = [c for c in matches if not c.archived]
    if len(live) == 1:
        return live[0]
    if len(live) > 1:
        raise ValidationError(f"Several categories are called '{category}'; use 'Parent › {category}'.")
    if matches:
        return matches[0]
    names = ", ".join(sorted(c.label for c in rows if not c.archived))
    raise NotFound(f"This family has no category '{category}'. Categories: {names}.")


def _check_name(name: str) -> str:
    normal = " ".join((name or "").split())
    if not normal:
        raise ValidationError("Give the category a name.")
    if len(normal) > 60:
        raise ValidationError("Keep the category name under 60 characters.")
    return check_storable(normal, "category name")


def add_category(access: FamilyAccess, name: str, kind: str | None = None, parent: int | str | None = None) -> Category:
    """Add a category, or a subcategory of ``parent`` (which then fixes its kind). Managers only."""
    name = _check_name(name)
    family_id = access.family_id
    with family_write(access, role="manager", action="change categories") as w:
        parent_cat = find_category(w.conn, family_id, parent) if parent not in (None, "") else None
        if parent_cat is not None:
            if parent_cat.archived:
                raise ValidationError(f"'{parent_cat.label}' is archived; restore it or choose another parent.")
            if parent_cat.parent_id is not None:
                raise ValidationError("Subcategories go one level deep; choose a top-level category as the parent.")
            if kind not in (None, parent_cat.kind):
                raise ValidationError(f"A subcategory of '{parent_cat.name}' is {parent_cat.kind}, like its parent.")
            kind = parent_cat.kind
        if kind not in KINDS:
            raise ValidationError(f"A category is one of: {', '.join(KINDS)}.")
        try:
            with w.conn.begin_nested():
                cid = w.conn.execute(
                    text(
                        "INSERT INTO categories (family_id, name, kind, parent_id) VALUES (:f, :n, :k, :p) RETURNING id"
                    ),
                    {"f": family_id, "n": name, "k": kind, "p": parent_cat.id if parent_cat else None},
                ).scalar_one()
        except IntegrityError:
            raise ValidationError(f"There is already a category called '{name}' there.") from None
        w.emit(
            "category.added",
            {"actor": w.actor_name, "name": name, "kind": kind, "parent": parent_cat.name if parent_cat else None},
        )
    return Category(
        cid, name, kind, parent_cat.id if parent_cat else None, parent_cat.name if parent_cat else None, False
    )


def rename_category(access: FamilyAccess, category_id: int, new_name: str) -> Category:
    new_name = _check_name(new_name)
    family_id = access.family_id
    with family_write(access, role="manager", action="change categories") as w:
        old = find_category(w.conn, family_id, category_id)
        try:
            with w.conn.begin_nested():
                w.conn.execute(
                    text("UPDATE categories SET name = :n WHERE family_id = :f AND id = :c"),
                    {"n": new_name, "f": family_id, "c": category_id},
                )
        except IntegrityError:
            raise ValidationError(f"There is already a category called '{new_name}' there.") from None
        w.emit("category.renamed", {"actor": w.actor_name, "old": old.name, "name": new_name})
        return find_category(w.conn, family_id, category_id)


def archive_category(access: FamilyAccess, category_id: int, *, archived: bool = True) -> Category:
    """Archive (or restore) a category and its subcategories; past transactions keep it."""
    family_id = access.family_id
    with family_write(access, role="manager", action="change categories") as w:
        cat = find_category(w.conn, family_id, category_id)
        try:
            with w.conn.begin_nested():
                w.conn.execute(
                    text(
                        "UPDATE categories SET archived_at = CASE WHEN :a THEN now() ELSE NULL END "
                        "WHERE family_id = :f AND (id = :c OR parent_id = :c)"
                    ),
                    {"a": archived, "f": family_id, "c": category_id},
                )
        except IntegrityError:
            raise ValidationError(f"Another live category is called '{cat.name}'; rename one first.") from None
        w.emit("category.archived" if archived else "category.restored", {"actor": w.actor_name, "name": cat.label})
        return find_category(w.conn, family_id, category_id)


def get_category(access: FamilyAccess, category: int | str) -> Category:
    """One of the family's categories by id or name (see ``find_category``)."""
    with access.read() as conn:
        return find_category(conn, access.family_id, category)
