"""Bills and bank files that keep the money true, on a real family in real Postgres: planned bills
recognised (nothing counted twice), categories suggested, refunds, another layout of the same
account, genuine twins, and an import undone whole."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text

from budget_core.errors import ValidationError
from budget_core.importers.history import list_imports, undo_import
from budget_core.importers.service import ImportOptions, import_file, preview_import
from budget_core.services import accounts, activity, bills, budgets, families
from budget_core.services.access import open_family
from budget_core.services.transactions import TransactionDraft, add_transaction

DEC_16 = datetime(2026, 12, 16, 12, 0, tzinfo=UTC)


def family(home, *, currency="EUR", tz="Europe/Berlin", email="anna@example.de", name="Anna"):
    user = accounts.create_user(home.engine, email, name, "correct horse battery")
    fam = families.create_family(
        home.engine,
        user.id,
        name=f"{name}s",
        currency=currency,
        timezone=tz,
        monthly_income=400000,
        savings_goal=30000,
        period_start_day=1,
    )
    return open_family(home.engine, user.id, fam.id)


def plan_german_bills(access):
    families.add_fixed_expense(access, "Miete", 123456, due_day=1)
    families.add_fixed_expense(access, "Strom", 11200, due_day=15)


DKB = (
    '"Kontonummer:";"DE12 1203 0000 0012 3456 78 / Girokonto";\n'
    '"Von:";"01.12.2026";\n"Bis:";"16.12.2026";\n\n'
    '"Buchungstag";"Wertstellung";"Buchungstext";"Auftraggeber / Begünstigter";"Verwendungszweck";'
    '"Kontonummer";"BLZ";"Betrag (EUR)";"Gläubiger-ID";"Mandatsreferenz";"Kundenreferenz";\n'
)
GERMAN_ROWS = [
    ("01.12.2026", "Dauerauftrag", "Hausverwaltung Schmidt", "Miete Dezember", "-1.234,56"),
    ("03.12.2026", "Kartenzahlung", "REWE Markt GmbH", "REWE SAGT DANKE 4471", "-54,30"),
    ("09.12.2026", "Kartenzahlung", "ARAL Station 1234", "Tanken", "-61,20"),
    ("15.12.2026", "Lastschrift", "Stadtwerke München", "Strom Abschlag 12/2026", "-112,00"),
]


def dkb(rows) -> bytes:
    lines = [f'"{d}";"{d}";"{k}";"{p}";"{m}";"";"";"{a}";"";"";"";' for d, k, p, m, a in rows]
    return (DKB + "\n".join(lines) + "\n").encode("utf-8")


def other_layout(rows) -> bytes:
    """The same account's rows as another export: other columns, ISO dates, payee and memo in one."""
    lines = [f"{date(int(d[6:]), int(d[3:5]), int(d[:2])).isoformat()};{p} {m};{a}" for d, _, p, m, a in rows]
    return ("Datum;Beschreibung;Betrag\n" + "\n".join(lines) + "\n").encode("utf-8")


def run_import(access, name, data, **options):
    return import_file(access, name, data, ImportOptions(**options), now=DEC_16)


def daily(access, day=date(2026, 12, 16)):
    budgets.clear_cache()
    return budgets.daily_budget(access, day).budget


def ledger(home, family_id) -> list[tuple]:
    with home.owner.connect() as conn:
        return conn.execute(
            text(
                "SELECT t.occurred_on, t.amount, t.description, c.name, t.kind, b.name FROM transactions t "
                "JOIN categories c ON c.family_id = t.family_id AND c.id = t.category_id "
                "LEFT JOIN fixed_expenses b ON b.family_id = t.family_id AND b.id = t.bill_id "
                "WHERE t.family_id = :f ORDER BY t.occurred_on, t.id"
            ),
            {"f": family_id},
        ).all()


# --- 1. planned bills are recognised; nothing counted twice -------------------------------------------
def test_a_german_statement_pays_rent_and_power_as_fixed_like_typing_them_by_hand(home):
    imported = family(home)
    plan_german_bills(imported)
    result = run_import(imported, "dkb.csv", dkb(GERMAN_ROWS))
    assert (result.added, result.bills_paid, result.needs_category) == (4, 2, 0)
    rows = {r[2]: r for r in ledger(home, imported.family_id)}
    assert rows["Hausverwaltung Schmidt Miete Dezember"][3:] == ("Housing", "fixed", "Miete")
    assert rows["Stadtwerke München Strom Abschlag 12/2026"][3:] == ("Utilities", "fixed", "Strom")
    assert rows["REWE Markt GmbH REWE SAGT DANKE 4471"][3:5] == ("Groceries", "variable")
    assert rows["ARAL Station 1234 Tanken"][3:5] == ("Transport", "variable")

    typed = family(home, email="berta@example.de", name="Berta")
    plan_german_bills(typed)
    for on, amount, what, category in [
        (date(2026, 12, 1), 123456, "Miete", "Housing"),
        (date(2026, 12, 3), 5430, "REWE", "Groceries"),
        (date(2026, 12, 9), 6120, "Tanken", "Transport"),
        (date(2026, 12, 15), 11200, "Strom", "Utilities"),
    ]:
        add_transaction(typed, TransactionDraft(amount, what, category, on), now=DEC_16)

    a, b = daily(imported), daily(typed)
    assert a.allowance_today == b.allowance_today
    assert (a.fixed_overrun, a.variable_before_today) == (0, 5430 + 6120)
    assert a.summary("fixed").actual == 123456 + 11200  # the plan table's Fixed: spent, not €0.00
    statuses = bills.bill_statuses(imported, date(2026, 12, 16))
    assert [s.phrase("de_DE") for s in statuses] == ["Miete paid 1. Dez.", "Strom paid 15. Dez."]  # the family's way
    assert [s.phrase() for s in statuses] == ["Miete paid Dec 1", "Strom paid Dec 15"]  # the CLI's default


def test_a_us_statement_links_rent_by_its_words_and_power_by_amount_and_due_day_then_learns_its_words(home):
    us = family(home, currency="USD", tz="America/New_York", email="sam@example.com", name="Sam")
    families.add_fixed_expense(us, "Rent", 185000, due_day=1)
    families.add_fixed_expense(us, "Power", 11240, due_day=15)
    header = "Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #\n"
    first = header + (
        "DEBIT,12/01/2026,ZELLE PAYMENT TO OAK PARK APTS RENT DEC,-1850.00,QUICKPAY_DEBIT,,,\n"
        "DEBIT,12/02/2026,BEST BUY 00012 NEW YORK NY,-1049.99,DEBIT_CARD,,,\n"
        "DEBIT,12/14/2026,PGANDE WEB ONLINE,-112.40,ACH_DEBIT,,,\n"
        "DEBIT,12/15/2026,WHOLEFDS MKT #10234 AUSTIN TX,-84.12,DEBIT_CARD,,,\n"
    )
    result = run_import(us, "chase_dec.csv", first.encode())
    by = {p.row.description: p for p in result.rows}
    assert by["ZELLE PAYMENT TO OAK PARK APTS RENT DEC"].bill == "Rent"
    assert by["PGANDE WEB ONLINE"].bill == "Power"
    assert (by["BEST BUY 00012 NEW YORK NY"].category, by["BEST BUY 00012 NEW YORK NY"].why) == (
        "Household",
        "shopping",
    )
    assert by["WHOLEFDS MKT #10234 AUSTIN TX"].category == "Groceries"
    power = next(b for b in bills.list_bills(us) if b.name == "Power")
    assert power.words == ("PGANDE",)  # learned from the first match

    # January: power at another amount, recognised by the learned words (within the 10 % tolerance)
    jan = header + "DEBIT,01/14/2027,PGANDE WEB ONLINE,-105.00,ACH_DEBIT,,,\n"
    later = import_file(us, "chase_jan.csv", jan.encode(), now=datetime(2027, 1, 20, tzinfo=UTC))
    assert later.rows[0].bill == "Power" and later.rows[0].kind == "fixed"


def test_a_bill_paid_at_another_amount_moves_the_allowance_only_by_the_difference(home):
    exact, more = family(home), family(home, email="b@example.de", name="B")
    for access, amount in ((exact, "-1.234,56"), (more, "-1.284,56")):
        families.add_fixed_expense(access, "Miete", 123456, due_day=1)
        run_import(access, "dkb.csv", dkb([("01.12.2026", "Dauerauftrag", "Hausverwaltung", "Miete", amount)]))
    a, b = daily(exact), daily(more)
    assert b.fixed_overrun - a.fixed_overrun == 5000
    assert a.pool - b.pool == 5000  # the 50 € more is all that moved


def test_a_typed_expense_that_matches_a_bill_is_linked_and_counts_as_fixed(home):
    mom = home.access()
    tx = add_transaction(mom, TransactionDraft(150000, "Rent December", "Groceries", date(2026, 12, 1)), now=DEC_16)
    assert (tx.kind, tx.bill) == ("fixed", "Rent")
    budget = daily(mom)
    assert budget.summary("fixed").actual == 150000 and budget.variable_before_today == 0


def test_a_bill_can_be_marked_paid_by_hand_and_the_bank_row_later_links_to_it(home):
    mom = home.access()
    rent = bills.list_bills(mom)[0]
    assert [s.state for s in bills.bill_statuses(mom, date(2026, 12, 16))] == ["due"]
    families_bill = bills.update_bill(mom, rent.id, due_day=1)
    assert families_bill.due_day == 1
    assert [s.state for s in bills.bill_statuses(mom, date(2026, 12, 16))] == ["overdue"]
    paid = bills.mark_paid(mom, rent.id, on=date(2026, 12, 2), now=DEC_16)
    assert (paid.kind, paid.bill, paid.amount) == ("fixed", "Rent", 150000)
    status = bills.bill_statuses(mom, date(2026, 12, 16))[0]
    assert status.state == "paid" and status.phrase() == "Rent paid Dec 2"
    csv = "Date,Description,Amount\n2026-12-01,LANDLORD RENT,-1500.00\n"
    result = run_import(mom, "bank.csv", csv.encode())
    assert result.rows[0].status == "linked" and result.rows[0].linked_to.id == paid.id
    assert daily(mom).summary("fixed").actual == 150000  # once, not twice


# --- 2. and 3. needs a category; suggestions that learn -----------------------------------------------
def test_rows_nothing_can_place_need_a_category_and_a_correction_proposes_the_merchant(home):
    mom = home.access()
    csv = "Date,Description,Amount\n2026-12-03,ZQX HOLDINGS 4471 AUSTIN TX,-20.00\n2026-12-04,SQ *BLUE BOTTLE COFFEE #12 OAKLAND CA,-6.50\n"
    preview = preview_import(mom, "bank.csv", csv.encode(), now=DEC_16)
    zqx, coffee = preview.rows
    assert zqx.needs_category and zqx.category == "Uncategorized" and zqx.kind == "variable"
    assert (coffee.category, coffee.why) == ("Dining", "dining")
    from budget_core.domain.merchants import merchant_pattern

    assert merchant_pattern(coffee.row.description) == "BLUE BOTTLE COFFEE"  # the rule a correction offers


def test_history_by_merchant_beats_the_built_in_list(home):
    mom = home.access()
    first = "Date,Description,Amount\n2026-11-03,WHOLEFDS MKT #10234 AUSTIN TX,-30.00\n"
    result = run_import(mom, "nov.csv", first.encode())
    household = next(c for c in result.rows)  # placed as groceries by the built-in list
    assert household.category == "Groceries"
    # the family corrects it to Household; the next purchase at another branch follows the family
    from budget_core.services.transactions import TransactionChanges, edit_transaction, list_transactions

    tx = list_transactions(mom)[0]
    edit_transaction(mom, tx.id, tx.row_version, TransactionChanges(3000, tx.description, "Household", tx.occurred_on))
    second = "Date,Description,Amount\n2026-12-03,WHOLEFDS MKT #10550 DALLAS TX,-12.00\n"
    row = preview_import(mom, "dec.csv", second.encode(), now=DEC_16).rows[0]
    assert (row.category, row.why) == ("Household", "like last time")


# --- 4. refunds are refunds ---------------------------------------------------------------------------
def test_a_refund_after_a_purchase_is_a_negative_expense_in_that_purchases_category_salary_stays_income(home):
    mom = home.access()
    nov = "Date,Description,Amount\n2026-11-20,AMAZON.COM*2K4LM0 AMZN.COM/BILL WA,-45.00\n"
    run_import(mom, "nov.csv", nov.encode())
    dec = "Date,Description,Amount\n2026-12-02,REFUND AMAZON.COM,12.00\n2026-12-01,ACME CORP PAYROLL,2600.00\n"
    result = run_import(mom, "dec.csv", dec.encode())
    refund, salary = result.rows
    assert (refund.category, refund.kind, refund.amount, refund.is_refund) == ("Household", "variable", -1200, True)
    assert refund.why == "refund of an earlier purchase"
    assert (salary.category, salary.kind, salary.amount) == ("Salary", "income", 260000)
    assert daily(mom).summary("variable").actual == -1200  # the refund gives everyday money back


# --- 5. duplicates across layouts; twins kept ---------------------------------------------------------
def test_the_same_rows_in_another_layout_are_recognised_and_genuine_twins_are_kept(home):
    access = family(home)
    twins = [
        ("05.12.2026", "Kartenzahlung", "BÄCKEREI Müller", "Brötchen", "-3,40"),
        ("05.12.2026", "Kartenzahlung", "BÄCKEREI Müller", "Brötchen", "-3,40"),  # two breakfasts, one day
    ]
    first = run_import(access, "dkb.csv", dkb(GERMAN_ROWS + twins))
    assert first.added == 6
    extra = [("06.12.2026", "Kartenzahlung", "dm drogerie", "Einkauf", "-9,95")]
    again = run_import(access, "export.csv", other_layout(GERMAN_ROWS + twins + twins[:1] + extra))
    statuses = [(p.row.description, p.status) for p in again.rows]
    assert sum(1 for _, s in statuses if s == "duplicate") == 6  # all six, twins counted as two
    assert [d for d, s in statuses if s == "new"] == ["BÄCKEREI Müller Brötchen", "dm drogerie Einkauf"]
    assert all("another layout" in p.reason for p in again.rows if p.status == "duplicate")
    assert len(ledger(home, access.family_id)) == 8


def test_a_row_that_only_resembles_one_from_another_layout_is_asked_about_not_dropped(home):
    access = family(home)
    run_import(access, "dkb.csv", dkb(GERMAN_ROWS))
    resembling = "Datum;Beschreibung;Betrag\n2026-12-03;REWE Markt GmbH;-54,30\n"
    preview = preview_import(access, "export.csv", resembling.encode(), now=DEC_16)
    [row] = preview.rows
    assert row.status == "new" and row.ask and "dkb.csv" in row.ask
    kept = run_import(access, "export.csv", resembling.encode(), skip=frozenset({row.row.import_id}))
    assert kept.rows[0].status == "duplicate" and kept.added == 0


# --- 6. a preview a person can judge -----------------------------------------------------------------
def test_a_linked_row_names_the_typed_expense_and_amount_and_date_alone_do_not_link_a_different_purchase(home):
    mom, dad = home.access(), home.access(home.dad)
    add_transaction(dad, TransactionDraft(575, "Milk1", "Groceries", date(2026, 11, 16)), now=DEC_16)
    add_transaction(dad, TransactionDraft(475, "Coffee", "Dining", date(2026, 11, 16)), now=DEC_16)
    csv = "Date,Description,Amount\n2026-11-16,STARBUCKS #4411,-5.75\n2026-11-16,STARBUCKS #4411,-4.75\n"
    preview = preview_import(mom, "bank.csv", csv.encode(), now=DEC_16)
    bigger, smaller = preview.rows
    assert bigger.status == "new" and bigger.category == "Dining"  # not "Milk1", a grocery
    assert smaller.status == "linked" and smaller.linked_to.describe() == "Dad's 'Coffee' on Nov 16"
    assert smaller.linked_to.describe("en_GB") == "Dad's 'Coffee' on 16 Nov"


# --- 7. undo a whole import ---------------------------------------------------------------------------
def figures(access):
    b = daily(access)
    statuses = [(s.name, s.state) for s in bills.bill_statuses(access, date(2026, 12, 16))]
    words = [(x.name, x.words) for x in bills.list_bills(access)]
    return (b.allowance_today, b.fixed_overrun, b.variable_before_today, b.spent_by_kind, statuses, words)


def test_undoing_an_import_restores_every_figure_and_the_file_imports_again(home):
    access = family(home)
    plan_german_bills(access)
    typed = add_transaction(access, TransactionDraft(5430, "Wocheneinkauf", "Groceries", date(2026, 12, 3)), now=DEC_16)
    before = figures(access)
    with home.owner.connect() as conn:
        tx_before = conn.execute(
            text("SELECT count(*) FROM transactions WHERE family_id = :f"), {"f": access.family_id}
        ).scalar()
    result = run_import(access, "dkb.csv", dkb(GERMAN_ROWS))
    assert (result.added, result.linked) == (3, 1)  # REWE was typed by hand: linked, not added
    assert figures(access) != before
    [past] = list_imports(access)
    assert (past.file_name, past.added, past.linked, past.imported_by, past.undone) == ("dkb.csv", 3, 1, "Anna", False)

    undone = undo_import(access, past.id)
    assert (undone.removed, undone.unlinked) == (3, 1)
    assert figures(access) == before
    with home.owner.connect() as conn:
        assert (
            conn.execute(
                text("SELECT count(*) FROM transactions WHERE family_id = :f"), {"f": access.family_id}
            ).scalar()
            == tx_before
        )
        assert (
            conn.execute(
                text("SELECT count(*) FROM imported_rows WHERE family_id = :f"), {"f": access.family_id}
            ).scalar()
            == 0
        )
    assert list_imports(access)[0].undone
    with pytest.raises(ValidationError, match="already undone"):
        undo_import(access, past.id)
    again = run_import(access, "dkb.csv", dkb(GERMAN_ROWS))
    assert (again.added, again.linked, again.duplicates) == (3, 1, 0)
    assert typed.id in {p.transaction_id for p in again.rows}


def test_the_feed_names_a_paid_bill_once_and_adds_what_was_typed_only_when_it_says_more(home):
    mom = home.access()
    rent = bills.list_bills(mom)[0]
    bills.mark_paid(mom, rent.id, on=date(2026, 12, 2), now=DEC_16)
    add_transaction(mom, TransactionDraft(150000, "Rent December", "Groceries", date(2026, 12, 3)), now=DEC_16)
    said = [e.text for e in activity.changes_since(mom) if e.kind == "transaction.added"]
    assert said[-2:] == [
        "Mom paid the bill Rent ($1,500.00)",
        "Mom paid the bill Rent ($1,500.00): Rent December",
    ]
