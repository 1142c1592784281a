"""Importing bank files into a real family: no duplicates, genuine twins kept, typed expenses linked,
rules applied, one transaction and one event per file, nothing half-imported."""

from __future__ import annotations

import json
import threading
from datetime import UTC, date, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from budget_core.cli import main
from budget_core.errors import PermissionDenied, ValidationError
from budget_core.importers.links import confirm_links, links_to_review, unlink
from budget_core.importers.profiles import list_profiles
from budget_core.importers.rules import RuleDraft, add_rule, delete_rule, edit_rule, list_rules, move_rule
from budget_core.importers.service import ImportOptions, import_file, preview_import
from budget_core.services import activity
from budget_core.services.access import open_family
from budget_core.services.transactions import TransactionDraft, add_transaction, delete_transaction, get_transaction

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)

CHASE_HEADER = "Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #\n"
NOVEMBER = [
    "DEBIT,11/15/2026,SPOTIFY USA 877-778-1161,-9.99,ACH_DEBIT,,,",
    "DEBIT,11/16/2026,WHOLE FOODS MKT #10234,-84.12,DEBIT_CARD,,,",
    "DEBIT,11/16/2026,STARBUCKS #4411,-4.75,DEBIT_CARD,,,",
    "DEBIT,11/16/2026,STARBUCKS #4411,-4.75,DEBIT_CARD,,,",  # a second coffee: a genuine twin
    "CREDIT,11/14/2026,ACME CORP PAYROLL,2600.00,ACH_CREDIT,,,",
]


def chase(*lines: str) -> bytes:
    return (CHASE_HEADER + "".join(line + "\n" for line in lines)).encode()


def ofx(*txs, acctid="123456789") -> bytes:
    body = "".join(
        f"<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>{on}<TRNAMT>{amt}<FITID>{fitid}<NAME>{name}</STMTTRN>\n"
        for fitid, on, amt, name in txs
    )
    return (
        "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\nCHARSET:1252\n"
        "COMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0"
        "<SEVERITY>INFO</STATUS><DTSERVER>20261130<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1><BANKMSGSRSV1>"
        "<STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS><STMTRS><CURDEF>USD<BANKACCTFROM>"
        f"<BANKID>121000248<ACCTID>{acctid}<ACCTTYPE>CHECKING</BANKACCTFROM><BANKTRANLIST><DTSTART>20261101"
        "<DTEND>20261130\n" + body + "</BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n"
    ).encode()


def imported(home, name: str, data: bytes, who=None, **options):
    return import_file(
        open_family(home.engine, (who or home.mom).id, home.family.id), name, data, ImportOptions(**options), now=NOW
    )


def ledger(home) -> list[tuple]:
    """The family's stored transactions, oldest first (read with the owner's engine)."""
    with home.owner.connect() as conn:
        return conn.execute(
            text(
                "SELECT t.occurred_on, t.amount, t.description, c.name, t.kind FROM transactions t "
                "JOIN categories c ON c.family_id = t.family_id AND c.id = t.category_id "
                "WHERE t.family_id = :f ORDER BY t.occurred_on, t.id"
            ),
            {"f": home.family.id},
        ).all()


def version(home) -> int:
    return activity.family_version(home.engine, home.family.id)


def import_events(home):
    return [
        e
        for e in activity.changes_since(open_family(home.engine, home.mom.id, home.family.id))
        if e.kind.startswith("import")
    ]


# --- the first import ----------------------------------------------------------------------------------
def test_a_file_is_one_transaction_and_one_event_in_the_activity_feed(home):
    before = version(home)
    result = imported(home, "chase.csv", chase(*NOVEMBER))
    assert (result.added, result.duplicates, result.linked) == (5, 0, 0)
    assert version(home) == before + 1
    [event] = import_events(home)
    assert event.text == "Mom imported 5 transactions from chase.csv"
    rows = ledger(home)
    # with no rules at all: the built-in list knows Spotify, and payroll is salary
    assert (date(2026, 11, 15), 999, "SPOTIFY USA 877-778-1161", "Fun", "variable") in rows
    assert (date(2026, 11, 14), 260000, "ACME CORP PAYROLL", "Salary", "income") in rows
    assert sum(1 for r in rows if r[2] == "STARBUCKS #4411") == 2


def test_the_detected_mapping_is_saved_as_a_bank_profile_and_used_next_time(home):
    imported(home, "Chase1234_Activity_20261130.CSV", chase(*NOVEMBER[3:]))
    [profile] = list_profiles(open_family(home.engine, home.mom.id, home.family.id))
    assert profile.name == "chase activity" and profile.mapping.date_format == "m/d/Y"
    again = imported(home, "export.csv", chase(*NOVEMBER))
    assert again.profile == "chase activity" and (again.added, again.duplicates) == (3, 2)
    assert len(list_profiles(open_family(home.engine, home.mom.id, home.family.id))) == 1


# --- duplicates ------------------------------------------------------------------------------------------
def test_importing_the_same_file_again_adds_nothing_and_writes_no_event(home):
    imported(home, "chase.csv", chase(*NOVEMBER))
    before, rows = version(home), ledger(home)
    again = imported(home, "chase (1).csv", chase(*NOVEMBER))
    assert (again.added, again.duplicates, again.linked) == (0, 5, 0)
    assert ledger(home) == rows and version(home) == before


def test_an_overlapping_file_adds_only_what_is_new_and_keeps_genuine_twins(home):
    imported(home, "october-november.csv", chase(*NOVEMBER[:3]))
    later = imported(
        home, "november-december.csv", chase(*NOVEMBER[2:], "DEBIT,12/01/2026,STARBUCKS #4411,-4.75,DEBIT_CARD,,,")
    )
    # the first coffee of the 16th was imported before; the second one and the rest are new
    assert (later.added, later.duplicates) == (3, 1)
    coffees = [r for r in ledger(home) if r[2] == "STARBUCKS #4411"]
    assert [r[0] for r in coffees] == [date(2026, 11, 16), date(2026, 11, 16), date(2026, 12, 1)]


def test_a_deleted_imported_transaction_does_not_come_back_with_the_next_file(home):
    imported(home, "chase.csv", chase(*NOVEMBER[:1]))
    with home.owner.connect() as conn:
        tx_id = conn.execute(text("SELECT id FROM transactions WHERE family_id = :f"), {"f": home.family.id}).scalar()
    delete_transaction(open_family(home.engine, home.mom.id, home.family.id), tx_id, 1)
    again = imported(home, "chase.csv", chase(*NOVEMBER[:2]))
    assert (again.added, again.duplicates) == (1, 1)
    assert [r[2] for r in ledger(home)] == ["WHOLE FOODS MKT #10234"]


def test_ofx_re_import_renumbered_fitids_and_genuine_twins(home):
    first = imported(
        home, "checking.ofx", ofx(("A1", "20261105", "-9.99", "SPOTIFY"), ("A2", "20261106", "-4.75", "STARBUCKS"))
    )
    assert first.added == 2
    assert imported(home, "checking.ofx", ofx(("A1", "20261105", "-9.99", "SPOTIFY"))).duplicates == 1
    # the bank renumbered its FITIDs: the same rows under new ids are still recognised
    renumbered = imported(
        home, "checking2.ofx", ofx(("Z1", "20261105", "-9.99", "SPOTIFY"), ("Z2", "20261106", "-4.75", "STARBUCKS"))
    )
    assert (renumbered.added, renumbered.duplicates) == (0, 2)
    assert renumbered.rows[0].reason == "imported before under another bank id"
    # a second, genuine coffee listed before the known one keeps both
    twins = imported(
        home, "checking3.ofx", ofx(("A3", "20261106", "-4.75", "STARBUCKS"), ("A2", "20261106", "-4.75", "STARBUCKS"))
    )
    assert (twins.added, twins.duplicates) == (1, 1)
    assert len(ledger(home)) == 3
    # the same FITID in another account is another transaction
    assert imported(home, "savings.ofx", ofx(("A1", "20261105", "-9.99", "SPOTIFY"), acctid="555")).added == 1


# --- linking to expenses typed by hand ------------------------------------------------------------------------
def test_an_expense_typed_by_hand_is_linked_not_added_and_listed_for_review(home):
    typed = add_transaction(
        open_family(home.engine, home.dad.id, home.family.id),
        TransactionDraft(999, "Spotify", "Fun", date(2026, 11, 13)),
        now=NOW,
    )
    far = add_transaction(
        open_family(home.engine, home.dad.id, home.family.id),
        TransactionDraft(8412, "Groceries", "Groceries", date(2026, 11, 11)),
        now=NOW,
    )
    result = imported(home, "chase.csv", chase(*NOVEMBER))
    assert (result.added, result.linked) == (4, 1)
    [link] = [p for p in result.rows if p.status == "linked"]
    assert link.transaction_id == typed.id and link.row.description.startswith("SPOTIFY")
    assert sum(1 for r in ledger(home) if r[1] == 8412) == 2  # 5 days apart: not the same purchase
    assert far.id != link.transaction_id
    [review] = links_to_review(open_family(home.engine, home.mom.id, home.family.id))
    assert (review.transaction_id, review.member, review.bank_amount) == (typed.id, "Dad", -999)
    # re-importing does not link or add it again
    assert imported(home, "chase.csv", chase(*NOVEMBER)).added == 0
    assert confirm_links(open_family(home.engine, home.mom.id, home.family.id), [review.import_id]) == 1
    assert links_to_review(open_family(home.engine, home.mom.id, home.family.id)) == []


def test_one_typed_expense_links_one_bank_row_the_closest_in_date(home):
    typed = add_transaction(
        open_family(home.engine, home.dad.id, home.family.id),
        TransactionDraft(475, "Coffee", "Dining", date(2026, 11, 17)),
        now=NOW,
    )
    result = imported(home, "chase.csv", chase(*NOVEMBER))
    coffees = [p for p in result.rows if p.row.description == "STARBUCKS #4411"]
    assert [p.status for p in coffees] == ["linked", "new"] and coffees[0].transaction_id == typed.id


def test_a_wrong_link_can_be_undone_and_the_bank_row_is_added(home):
    add_transaction(
        open_family(home.engine, home.dad.id, home.family.id),
        TransactionDraft(999, "Gift card", "Fun", date(2026, 11, 15)),
        now=NOW,
    )
    imported(home, "chase.csv", chase(NOVEMBER[0]))
    [review] = links_to_review(open_family(home.engine, home.mom.id, home.family.id))
    tx_id = unlink(open_family(home.engine, home.mom.id, home.family.id), review.import_id)
    assert get_transaction(open_family(home.engine, home.mom.id, home.family.id), tx_id).description.startswith(
        "SPOTIFY"
    )
    assert imported(home, "chase.csv", chase(NOVEMBER[0])).duplicates == 1
    assert len(ledger(home)) == 2


# --- rules --------------------------------------------------------------------------------------------------
def test_rules_categorise_at_import_first_match_wins_and_can_name_the_member(home):
    add_rule(
        open_family(home.engine, home.mom.id, home.family.id), RuleDraft("starbucks", "Dining", user_id=home.dad.id)
    )
    add_rule(open_family(home.engine, home.mom.id, home.family.id), RuleDraft(r"^SPOTIFY\b", "Fun", is_regex=True))
    result = imported(home, "chase.csv", chase(*NOVEMBER))
    by_desc = {p.row.description: p for p in result.rows}
    assert by_desc["SPOTIFY USA 877-778-1161"].category == "Fun"
    assert by_desc["STARBUCKS #4411"].category == "Dining" and by_desc["STARBUCKS #4411"].user_id == home.dad.id
    assert by_desc["STARBUCKS #4411"].why == "from your rule"
    # no rule matches: the built-in list places it, and says why
    assert (by_desc["WHOLE FOODS MKT #10234"].category, by_desc["WHOLE FOODS MKT #10234"].why) == (
        "Groceries",
        "supermarket",
    )


def test_a_correction_becomes_a_rule_in_the_same_import_and_money_in_can_be_a_refund(home):
    preview = preview_import(
        open_family(home.engine, home.mom.id, home.family.id),
        "chase.csv",
        chase(*NOVEMBER, "CREDIT,11/20/2026,WHOLE FOODS RETURN,12.00,,,,"),
        now=NOW,
    )
    assert preview.dry_run and len(ledger(home)) == 0
    ids = {p.row.description: p.row.import_id for p in preview.rows}
    groceries = next(c for c in _categories(home) if c[1] == "Groceries")[0]
    result = imported(
        home,
        "chase.csv",
        chase(*NOVEMBER, "CREDIT,11/20/2026,WHOLE FOODS RETURN,12.00,,,,"),
        categories={ids["WHOLE FOODS RETURN"]: groceries},
        new_rules=(RuleDraft("WHOLE FOODS", "Groceries"),),
    )
    rows = {r[2]: r for r in ledger(home)}
    assert rows["WHOLE FOODS RETURN"][1:4] == (-1200, "WHOLE FOODS RETURN", "Groceries")  # a refund
    assert rows["WHOLE FOODS MKT #10234"][3] == "Groceries"  # the new rule applied to the rest of the file
    assert [r.pattern for r in list_rules(open_family(home.engine, home.mom.id, home.family.id))] == ["WHOLE FOODS"]
    assert import_events(home)[0].payload["rules_added"] == 1 and result.added == 6


def test_managers_edit_reorder_and_delete_rules_members_only_add(home):
    a = add_rule(open_family(home.engine, home.dad.id, home.family.id), RuleDraft("SPOTIFY", "Fun"))
    b = add_rule(open_family(home.engine, home.mom.id, home.family.id), RuleDraft("NETFLIX", "Fun"))
    assert [r.id for r in list_rules(open_family(home.engine, home.dad.id, home.family.id))] == [b.id, a.id]
    for attempt in (
        lambda: move_rule(open_family(home.engine, home.dad.id, home.family.id), a.id, 1),
        lambda: delete_rule(open_family(home.engine, home.dad.id, home.family.id), a.id),
        lambda: edit_rule(open_family(home.engine, home.dad.id, home.family.id), a.id, RuleDraft("X", "Fun")),
    ):
        with pytest.raises(PermissionDenied, match="Only a manager"):
            attempt()
    assert [r.id for r in move_rule(open_family(home.engine, home.mom.id, home.family.id), a.id, 1)] == [a.id, b.id]
    edited = edit_rule(open_family(home.engine, home.mom.id, home.family.id), a.id, RuleDraft("spotify", "Dining"))
    assert (edited.pattern, edited.category, edited.position) == ("spotify", "Dining", 1)
    delete_rule(open_family(home.engine, home.mom.id, home.family.id), a.id)
    assert [(r.id, r.position) for r in list_rules(open_family(home.engine, home.mom.id, home.family.id))] == [
        (b.id, 1)
    ]
    with pytest.raises(PermissionDenied):
        list_rules(open_family(home.engine, home.eve.id, home.family.id))


# --- bad files -----------------------------------------------------------------------------------------------
def test_a_file_with_one_bad_row_imports_nothing_and_names_the_row(home):
    before = version(home)
    with pytest.raises(ValidationError, match=r"Line 4: 'fourty' in column 'Amount' is not an amount"):
        imported(home, "chase.csv", chase(NOVEMBER[0], NOVEMBER[1], "DEBIT,11/07/2026,X,fourty,,,,"))
    assert (
        ledger(home) == []
        and version(home) == before
        and list_profiles(open_family(home.engine, home.mom.id, home.family.id)) == []
    )


def test_an_outsider_cannot_import_and_a_dry_run_writes_nothing(home):
    with pytest.raises(PermissionDenied):
        imported(home, "chase.csv", chase(*NOVEMBER), who=home.eve)
    before = version(home)
    dry = imported(home, "chase.csv", chase(*NOVEMBER), dry_run=True)
    assert dry.added == 5 and dry.dry_run and dry.version is None
    assert (
        ledger(home) == []
        and version(home) == before
        and list_profiles(open_family(home.engine, home.mom.id, home.family.id)) == []
    )


def test_two_imports_of_the_same_file_at_once_add_it_once(home):
    data = chase(*NOVEMBER)
    results, errors = [], []

    def run():
        try:
            results.append(imported(home, "chase.csv", data))
        except Exception as err:  # noqa: BLE001 — the test reports it
            errors.append(err)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(r.added for r in results) == [0, 0, 5] and len(ledger(home)) == 5


# --- the command ---------------------------------------------------------------------------------------------------
@pytest.fixture
def budget(home):
    runner = CliRunner()

    def run(*args, ok=True):
        result = runner.invoke(main, [str(a) for a in args], catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.stderr or result.output
        return result

    return run


def test_the_command_imports_files_and_prints_the_counts(home, budget, tmp_path):
    (tmp_path / "chase.csv").write_bytes(chase(*NOVEMBER))
    (tmp_path / "checking.ofx").write_bytes(ofx(("A1", "20261105", "-9.99", "SPOTIFY")))
    out = budget(
        "import",
        "--family",
        home.family.id,
        "--by",
        "mom@example.com",
        tmp_path / "chase.csv",
        tmp_path / "checking.ofx",
    ).stdout
    assert "chase.csv: added 5, 0 duplicates, 0 linked" in out
    assert "read with bank profile 'chase': date=Posting Date (m/d/Y), amount=Amount" in out
    assert out.strip().endswith("Total: 6 added, 0 duplicates, 0 linked, 0 failed.")
    again = json.loads(
        budget(
            "import", "file", "--family", home.family.id, "--by", "mom@example.com", "--json", tmp_path / "chase.csv"
        ).stdout
    )
    assert (again["added"], again["duplicates"], again["linked"], again["failed"]) == (0, 5, 0, 0)


def test_the_command_counts_a_failed_file_and_exits_1(home, budget, tmp_path):
    (tmp_path / "bad.csv").write_bytes(chase(NOVEMBER[0], "DEBIT,13/45/2026,X,-1.00,,,,"))
    (tmp_path / "good.csv").write_bytes(chase(NOVEMBER[1]))
    result = budget(
        "import",
        "--family",
        home.family.id,
        "--by",
        "dad@example.com",
        "--dry-run",
        tmp_path / "bad.csv",
        tmp_path / "good.csv",
        ok=False,
    )
    assert result.exit_code == 1
    assert "Error: bad.csv: Line 3: '13/45/2026'" in result.stderr
    assert "Total: 1 would add, 0 duplicates, 0 linked, 1 failed." in result.stdout
    assert ledger(home) == []


def test_the_rules_commands(home, budget):
    fam = home.family.id
    added = json.loads(
        budget(
            "import",
            "rules",
            "add",
            "--family",
            fam,
            "--by",
            "mom@example.com",
            "--contains",
            "SPOTIFY",
            "--category",
            "Fun",
            "--json",
        ).stdout
    )
    budget(
        "import",
        "rules",
        "add",
        "--family",
        fam,
        "--by",
        "mom@example.com",
        "--regex",
        "^NETFLIX",
        "--category",
        "Fun",
        "--member",
        "dad@example.com",
    )
    listed = budget("import", "rules", "list", "--family", fam, "--by", "dad@example.com").stdout
    assert "1. [" in listed and "matches /^NETFLIX/ → Fun (member Dad)" in listed
    budget("import", "rules", "move", "--family", fam, "--by", "mom@example.com", "--id", added["id"], "--to", 1)
    budget(
        "import",
        "rules",
        "edit",
        "--family",
        fam,
        "--by",
        "mom@example.com",
        "--id",
        added["id"],
        "--category",
        "Dining",
    )
    denied = budget(
        "import", "rules", "delete", "--family", fam, "--by", "dad@example.com", "--id", added["id"], ok=False
    )
    assert denied.exit_code == 1 and "Only a manager" in denied.stderr
    budget("import", "rules", "delete", "--family", fam, "--by", "mom@example.com", "--id", added["id"])
    rules = json.loads(budget("import", "rules", "list", "--family", fam, "--by", "mom@example.com", "--json").stdout)[
        "rules"
    ]
    assert [r["pattern"] for r in rules] == ["^NETFLIX"]


def _categories(home):
    with home.owner.connect() as conn:
        return conn.execute(text("SELECT id, name FROM categories WHERE family_id = :f"), {"f": home.family.id}).all()


def test_descriptions_with_backslashes_and_quotes_are_stored_as_written(home):
    imported(home, "chase.csv", chase(NOVEMBER[0], 'DEBIT,11/20/2026,"AMZN \\\\MKTP\\\\ ""GIFT""\tCARD",-1.00,,,,'))
    assert 'AMZN \\\\MKTP\\\\ "GIFT" CARD' in [r[2] for r in ledger(home)]


def test_everything_works_as_the_app_role_under_row_level_security(home):
    """The app connects as budget_app (no owner, no BYPASSRLS): every read must scope its family."""
    app = home.engine
    with app.connect() as conn:
        assert conn.execute(text("SELECT current_user")).scalar() == "budget_app"
    fam, mom = home.family.id, home.mom.id
    add_rule(open_family(app, mom, fam), RuleDraft("SPOTIFY", "Fun"))
    add_transaction(
        open_family(app, home.dad.id, fam), TransactionDraft(475, "Coffee", "Dining", date(2026, 11, 16)), now=NOW
    )
    preview = preview_import(open_family(app, mom, fam), "chase.csv", chase(*NOVEMBER), now=NOW)
    assert (preview.added, preview.linked) == (4, 1) and preview.rows[0].category == "Fun"
    first = import_file(open_family(app, mom, fam), "chase.csv", chase(*NOVEMBER), now=NOW)
    assert (first.added, first.linked) == (4, 1)
    assert import_file(open_family(app, mom, fam), "chase.csv", chase(*NOVEMBER), now=NOW).duplicates == 5
    assert [p.name for p in list_profiles(open_family(app, mom, fam))] == ["chase"]
    assert len(links_to_review(open_family(app, mom, fam))) == 1 and len(list_rules(open_family(app, mom, fam))) == 1
