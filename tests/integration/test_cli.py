"""The `budget` command, driven as a person would, on a real database."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from budget_core.cli import main
from budget_core.services import accounts, families
from budget_core.services.access import open_family

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def budget(engine):
    runner = CliRunner()

    def run(*args, input=None, ok=True):
        result = runner.invoke(main, [str(a) for a in args], input=input, catch_exceptions=False)
        if ok:
            assert result.exit_code == 0, result.stderr or result.output
        return result

    return run


@pytest.fixture
def family_id(budget):
    budget("user", "add", "mom@example.com", "--name", "Mom", input="correct horse battery\n")
    out = budget(
        "family",
        "create",
        "--name",
        "Smiths",
        "--owner",
        "mom@example.com",
        "--currency",
        "USD",
        "--timezone",
        "America/New_York",
        "--income",
        "5200.00",
        "--savings",
        "600.00",
        "--start-day",
        "1",
        "--json",
    )
    return json.loads(out.stdout)["family_id"]


def test_the_walkthrough_from_family_to_daily_budget(budget, family_id):
    budget("fixed", "add", "--family", family_id, "--name", "Rent", "--amount", "1500.00", "--by", "mom@example.com")
    invite = json.loads(budget("invite", "create", "--family", family_id, "--by", "mom@example.com", "--json").stdout)
    assert set(invite) >= {"token", "url", "expires_at"} and invite["token"] in invite["url"]
    budget("user", "add", "dad@example.com", "--name", "Dad", input="another good secret\n")
    budget("invite", "redeem", invite["token"], "--email", "dad@example.com")
    added = json.loads(
        budget(
            "add",
            "--family",
            family_id,
            "--amount",
            "15.00",
            "--description",
            "Lunch",
            "--category",
            "Dining",
            "--by",
            "dad@example.com",
            "--on",
            "2026-11-10",
            "--json",
        ).stdout
    )
    assert added["amount"] == "15.00" and added["category"] == "Dining" and added["row_version"] == 1
    edited = json.loads(
        budget(
            "edit",
            "--family",
            family_id,
            "--id",
            added["id"],
            "--row-version",
            1,
            "--amount",
            "18.00",
            "--by",
            "dad@example.com",
            "--json",
        ).stdout
    )
    assert edited["amount"] == "18.00" and edited["row_version"] == 2
    day = json.loads(
        budget("daily", "--family", family_id, "--on", "2026-11-11", "--by", "dad@example.com", "--json").stdout
    )
    # (520000 - 150000 - 60000 - 1800) // 20 days left (11th..30th)
    assert day["allowance_today"] == f"{(520000 - 150000 - 60000 - 1800) // 20 / 100:.2f}"
    assert (day["period_start"], day["period_end"], day["days_left"]) == ("2026-11-01", "2026-11-30", 20)
    feed = json.loads(budget("activity", "--family", family_id, "--by", "mom@example.com", "--json").stdout)["events"]
    assert "Dad spent $15.00 on Lunch" in [e["text"] for e in feed]
    assert [e["version"] for e in feed] == list(range(1, len(feed) + 1))
    budget("delete", "--family", family_id, "--id", added["id"], "--row-version", 2, "--by", "dad@example.com")
    human = budget("daily", "--family", family_id, "--on", "2026-11-11", "--by", "mom@example.com").stdout
    assert "you can spend $" in human and "20 days left" in human


def test_a_stale_edit_fails_with_one_line_and_changes_nothing(budget, family_id):
    added = json.loads(
        budget(
            "add",
            "--family",
            family_id,
            "--amount",
            "9.99",
            "--description",
            "Tea",
            "--category",
            "Dining",
            "--by",
            "mom@example.com",
            "--json",
        ).stdout
    )
    budget(
        "edit",
        "--family",
        family_id,
        "--id",
        added["id"],
        "--row-version",
        1,
        "--amount",
        "5",
        "--by",
        "mom@example.com",
    )
    stale = budget(
        "edit",
        "--family",
        family_id,
        "--id",
        added["id"],
        "--row-version",
        1,
        "--amount",
        "7",
        "--by",
        "mom@example.com",
        ok=False,
    )
    assert stale.exit_code == 1
    assert stale.stderr.count("\n") == 1 and "Mom changed this transaction" in stale.stderr
    assert "version" not in stale.stderr  # the words name the person, never a version number


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--amount", "abc"], "not an amount"),
        (["--amount", "15.555"], "at most 2 decimals"),
        (["--amount", "0"], "must not be zero"),
        (["--amount", "-5"], "refund"),
        (["--category", "Nope"], "no category 'Nope'"),
        (["--by", "nobody@example.com"], "No account uses nobody@example.com"),
        (["--on", "2026-02-30"], "not a date"),
    ],
)
def test_bad_add_input_gets_one_actionable_line_and_writes_nothing(budget, family_id, owner_engine, args, fragment):
    from sqlalchemy import text

    base = {"--amount": "15.00", "--description": "Lunch", "--category": "Dining", "--by": "mom@example.com"}
    base.update(dict(zip(args[::2], args[1::2])))
    flat = [x for kv in base.items() for x in kv]
    result = budget("add", "--family", family_id, *flat, ok=False)
    assert result.exit_code != 0
    assert fragment in result.stderr and "Traceback" not in result.stderr
    with owner_engine.connect() as conn:  # every family's rows: an unscoped app read would see none
        assert conn.execute(text("SELECT count(*) FROM transactions")).scalar() == 0


def test_demo_creates_four_members_and_two_months_of_spending(budget, owner_engine):
    from sqlalchemy import text

    out = json.loads(budget("demo", "--json").stdout)
    with owner_engine.connect() as conn:
        members = conn.execute(
            text("SELECT count(*) FROM members WHERE family_id = :f"), {"f": out["family_id"]}
        ).scalar()
        months = conn.execute(
            text("SELECT count(DISTINCT date_trunc('month', occurred_on)) FROM transactions")
        ).scalar()
    assert members == 4 and months >= 2
    assert "mom@demo.family" in out["emails"]


def _all_commands(group, prefix=()):
    import click

    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group):
            yield from _all_commands(cmd, prefix + (name,))
        else:
            yield prefix + (name,), cmd


def test_every_command_has_an_example_and_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    for path, cmd in _all_commands(main):
        full = "budget " + " ".join(path)
        assert "Example:" in (cmd.help or ""), f"{full} has no Example in its help"
        assert re.search(re.escape(full) + r"\b", readme), f"README.md does not mention '{full}'"


def test_the_installed_command_prints_no_traceback_when_the_database_is_unreachable(tmp_path):
    env = {**os.environ, "BUDGET_DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none?connect_timeout=2"}
    result = subprocess.run(
        [sys.executable, "-m", "budget_core.cli", "daily", "--family", "1", "--by", "mom@example.com"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "cannot reach the database" in result.stderr


READS = {
    "daily": ["daily", "--json"],
    "activity": ["activity", "--json"],
    "export": ["export", "-o", "{tmp}/out.csv"],
    "import rules list": ["import", "rules", "list", "--json"],
    "import review": ["import", "review", "--json"],
}


@pytest.mark.parametrize("read", READS)
def test_every_read_refuses_a_non_member_in_one_line_and_prints_nothing_of_the_family(
    budget, family_id, read, tmp_path
):
    budget(
        "add",
        "--family",
        family_id,
        "--amount",
        "15.00",
        "--description",
        "Secret lunch",
        "--category",
        "Dining",
        "--by",
        "mom@example.com",
    )
    budget("user", "add", "eve@example.com", "--name", "Eve", input="another good secret\n")
    command, *rest = READS[read][0].split(), *READS[read][1:]
    args = [*command, *[a.format(tmp=tmp_path) for a in rest], "--family", family_id, "--by", "eve@example.com"]
    result = budget(*args, ok=False)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "not a member of family" in result.stderr
    assert "Secret" not in result.stderr and "Smiths" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_backup_or_export_never_replaces_a_file_unless_forced(budget, family_id, tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("mine\n")
    for args in (["backup", "-o", target], ["export", "--family", family_id, "--by", "mom@example.com", "-o", target]):
        result = budget(*args, ok=False)
        assert result.exit_code == 1 and "already exists" in result.stderr and "--force" in result.stderr
        assert target.read_text() == "mine\n"
    budget("export", "--family", family_id, "--by", "mom@example.com", "-o", target, "--force")
    assert target.read_text().startswith("id,") and target.stat().st_mode & 0o777 == 0o600
    budget("backup", "-o", tmp_path / "all.dump")
    assert (tmp_path / "all.dump").stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["all.dump", "notes.txt"]


def _euro_family(budget, email: str, name: str, family: str, timezone: str, income: str) -> int:
    """A family counting in euros, made through the CLI by its new owner; returns its id."""
    budget("user", "add", email, "--name", name, input="correct horse battery\n")
    made = budget(
        "family", "create", "--name", family, "--owner", email, "--currency", "EUR",
        "--timezone", timezone, "--income", income, "--savings", "0", "--start-day", "1", "--json",
    )  # fmt: skip
    return json.loads(made.stdout)["family_id"]


def test_a_euro_familys_bills_and_targets_are_written_the_way_its_locale_writes_them(budget):
    fam = _euro_family(budget, "anna@example.de", "Anna", "Müllers", "Europe/Berlin", "4200,00")
    anna = ("--family", fam, "--by", "anna@example.de")
    rent = json.loads(budget("fixed", "add", *anna, "--name", "Miete", "--amount", "1234,50", "--json").stdout)
    budget("bill", "pay", *anna, "--id", rent["id"], "--on", "2026-12-01")
    text = budget("bill", "list", *anna, "--on", "2026-12-05").stdout
    assert "Miete paid 1. Dez." in text and "1.234,50\xa0€" in text  # de_DE, the EUR family's default
    assert json.loads(budget("bill", "list", *anna, "--on", "2026-12-05", "--json").stdout)["line"] == (
        "Miete paid 1. Dez."
    )
    budget("target", "set", *anna, "--category", "Dining", "--amount", "200")
    assert budget("target", "list", *anna).stdout.startswith("Dining: 0,00\xa0€ of 200,00\xa0€ · on pace for")


def test_every_line_the_cli_writes_for_people_shows_money_in_the_familys_chosen_locale(budget, engine):
    fam = _euro_family(budget, "aoife@example.ie", "Aoife", "Byrnes", "Europe/Dublin", "4200.00")
    aoife = accounts.find_user(engine, "aoife@example.ie")
    families.update_plan(open_family(engine, aoife.id, fam), locale="en_IE")  # Irish: €1,234.50, not 1.234,50 €
    who = ("--family", fam, "--by", "aoife@example.ie")
    out = lambda *args: budget(*args, *who).stdout  # noqa: E731
    assert "€1,234.50 a period" in out("fixed", "add", "--name", "Rent", "--amount", "1234.50")
    rent = json.loads(out("bill", "list", "--json"))["bills"][0]["id"]
    assert "€1,234.50 on 2026-12-01" in out("bill", "pay", "--id", rent, "--on", "2026-12-01")
    assert "Saved: Lunch €12.50 " in out("add", "--amount", "12.50", "--description", "Lunch", "--category", "Dining")
    assert "€12.50" in out("daily")
    assert "target €200.00 a period" in out("target", "set", "--category", "Dining", "--amount", "200")
    scheduled = out(
        "schedule", "add", "--description", "Gym", "--amount", "30", "--category", "Fun", "--every", "month",
        "--start", "2026-12-20",
    )  # fmt: skip
    assert "Gym €30.00 (monthly on the 20th" in scheduled
