"""Issue 17: rules and bank files shaped to freeze the server are refused or bounded, and write nothing.

Rules run on RE2: what it cannot run in linear time is refused when the rule is saved (service and
CLI), ``(a+)+$`` over a long description is an ordinary match, and a file whose matching runs past the
time limit is refused before the import takes the write lock. Crafted OFX files (many unclosed tags,
deep nesting, CDATA runs) are refused by the pre-scan, before ofxtools sees them; CSV limits hold; a
preview read in the child process can be cancelled, which kills the child.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from budget_core.cli import main
from budget_core.errors import ValidationError
from budget_core.importers import MAX_FILE_BYTES, ofx_format, rules, sandbox
from budget_core.importers.rules import RuleDraft, RulesTooSlow, add_rule, list_rules, match_descriptions
from budget_core.importers.sandbox import ImportCancelled
from budget_core.importers.service import ImportOptions, Isolation, import_file, preview_import

from .conftest import fingerprint
from .test_import import CHASE_HEADER, NOVEMBER, chase, ofx

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
OFX_HEAD = (
    b"OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\nCHARSET:1252\n"
    b"COMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n"
)


def dad(home):
    return home.access(home.dad)


# --- rules -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (r"(\w+) \1", "back-references such as \\1 are not supported"),
        (r"SPOTIFY(?=\s)", "look-ahead (?=…) is not supported"),
        (r"^(?!AMAZON).*PRIME", "negative look-ahead (?!…) is not supported"),
        (r"(?<=POS )SPOTIFY", "look-behind (?<=…) is not supported"),
        (r"a{5000}", "a repeat count above 1,000 is not supported"),
    ],
)
def test_a_regex_rule_re2_cannot_run_is_refused_with_the_reason_and_nothing_written(home, pattern, reason):
    before = fingerprint(home.owner)
    with pytest.raises(ValidationError) as refused:
        add_rule(dad(home), RuleDraft(pattern, "Fun", is_regex=True))
    assert refused.value.message == f"'{pattern}' cannot be used as a rule: {reason}."
    assert list_rules(home.access()) == []
    assert fingerprint(home.owner) == before


def test_the_cli_refuses_a_back_reference_rule_in_one_line_and_stores_nothing(home):
    result = CliRunner().invoke(
        main,
        ["import", "rules", "add", "--family", str(home.family.id), "--by", "dad@example.com"]
        + ["--regex", r"(\d)\1", "--category", "Fun"],
    )
    assert result.exit_code == 1  # a refused value (ValidationError), not an unexpected failure (4)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "back-references such as \\1 are not supported" in lines[0]
    assert "Traceback" not in result.output and list_rules(home.access()) == []


def test_the_catastrophic_pattern_is_an_ordinary_linear_match_on_a_long_description(home):
    add_rule(dad(home), RuleDraft("(a+)+$", "Fun", is_regex=True))
    # Python's re would backtrack for days on this (2**4000 ways); RE2 answers in one pass
    hostile = "a" * 4000 + "!"
    matches = match_descriptions([("(a+)+$", True)], [hostile, "a" * 4000, "SPOTIFY"])
    assert matches.first == {hostile: None, "a" * 4000: 0, "SPOTIFY": None}
    file = chase(f"DEBIT,11/15/2026,{hostile},-1.00,ACH_DEBIT,,,", f"DEBIT,11/16/2026,{'a' * 4000},-2.00,ACH_DEBIT,,,")
    result = preview_import(dad(home), "a.csv", file, now=NOW)
    assert [(r.row.description, r.category) for r in result.rows][1] == ("a" * 4000, "Fun")
    assert result.rows[0].row.description == hostile and result.rows[0].rule_id is None


def test_matching_past_the_time_limit_raises_rules_too_slow(home):
    with pytest.raises(RulesTooSlow) as slow:
        match_descriptions([("SPOTIFY", False)], ["SPOTIFY USA", "NETFLIX"], seconds=-1)
    assert "took longer than" in slow.value.message and "ask a manager to remove rules" in slow.value.message
    # within the limit the same call answers
    assert match_descriptions([("SPOTIFY", False)], ["SPOTIFY USA", "NETFLIX"]).first == {
        "SPOTIFY USA": 0,
        "NETFLIX": None,
    }


def test_an_import_whose_matching_runs_past_the_limit_writes_nothing(home, monkeypatch):
    add_rule(home.access(), RuleDraft("SPOTIFY", "Fun"))
    before = fingerprint(home.owner)
    monkeypatch.setattr(rules, "MATCH_SECONDS", -1.0)  # the limit already passed when matching starts
    with pytest.raises(RulesTooSlow):
        import_file(home.access(), "nov.csv", chase(*NOVEMBER), now=NOW)
    assert fingerprint(home.owner) == before


# --- OFX files ---------------------------------------------------------------------------------------------
def unclosed_tags(count: int) -> bytes:
    return OFX_HEAD + b"<OFX>" + b"<A>x" * count + b"</OFX>\n"


def deep(depth: int) -> bytes:
    return OFX_HEAD + b"<OFX>" + b"<A>" * depth + b"</A>" * depth + b"</OFX>\n"


def cdata_run(count: int) -> bytes:
    return OFX_HEAD + b"<OFX><MEMO>" + b"<![CDATA[x]]>" * count + b"</OFX>\n"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (unclosed_tags(ofx_format.MAX_TAGS + 1), f"more than {ofx_format.MAX_TAGS:,} OFX tags"),
        (deep(ofx_format.MAX_DEPTH + 1), f"nests its OFX tags more than {ofx_format.MAX_DEPTH} deep"),
        (deep(100_000), f"nests its OFX tags more than {ofx_format.MAX_DEPTH} deep"),
        (cdata_run(50_000), "several CDATA sections on one line"),
        (b"OFXHEADER:100" + b" " * 200_000 + b"\n<OFX></OFX>", "does not start with a complete OFX header"),
    ],
    ids=["many-unclosed-tags", "one-level-too-deep", "very-deep", "cdata-on-one-line", "spaces-in-header"],
)
def test_a_crafted_ofx_file_is_refused_by_the_prescan_and_writes_nothing(home, monkeypatch, data, words):
    assert len(data) <= MAX_FILE_BYTES
    handed_to_ofxtools = []
    monkeypatch.setattr(ofx_format.OFXTree, "parse", lambda self, fh: handed_to_ofxtools.append(fh))
    before = fingerprint(home.owner)
    with pytest.raises(ValidationError) as refused:
        import_file(home.access(), "crafted.ofx", data, now=NOW)
    assert words in refused.value.message and refused.value.message.startswith("crafted.ofx ")
    assert handed_to_ofxtools == []  # refused before the parser whose time or memory it would blow up
    assert fingerprint(home.owner) == before


def test_a_real_statement_nested_as_banks_do_passes_the_prescan(home):
    data = ofx(("F1", "20261115", "-9.99", "SPOTIFY"), ("F2", "20261116", "-84.12", "WHOLE FOODS"))
    ofx_format.prescan(data, "real.ofx")
    assert len(preview_import(home.access(), "real.ofx", data, now=NOW).rows) == 2


def test_the_child_process_refuses_a_crafted_ofx_file_with_the_same_message(home):
    before = fingerprint(home.owner)
    with pytest.raises(ValidationError) as refused:
        preview_import(home.access(), "deep.ofx", deep(5_000), now=NOW, isolation=Isolation())
    assert f"nests its OFX tags more than {ofx_format.MAX_DEPTH} deep" in refused.value.message
    assert fingerprint(home.owner) == before


# --- CSV limits --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "words"),
    [
        (chase("DEBIT,11/15/2026," + "S" * 200_000 + ",-9.99,ACH_DEBIT,,,"), "field larger than field limit"),
        (chase("DEBIT,11/15/2026,SPOTIFY\0,-9.99,ACH_DEBIT,,,"), "NUL bytes"),
        ((",".join(f"c{i}" for i in range(300)) + "\n" + ",".join(["1"] * 300) + "\n").encode(), "header"),
        (CHASE_HEADER.encode() * 2 + b"x" * (MAX_FILE_BYTES + 1), "MB"),
    ],
    ids=["cell-over-131072", "nul-in-a-cell", "300-columns", "over-the-size-cap"],
)
def test_csv_limits_refuse_with_a_clear_message_and_write_nothing(home, data, words):
    before = fingerprint(home.owner)
    with pytest.raises(ValidationError) as refused:
        import_file(home.access(), "big.csv", data, now=NOW)
    assert words in refused.value.message
    assert "\n" not in refused.value.message.strip() and len(refused.value.message) < 400
    assert fingerprint(home.owner) == before


# --- a preview in the child process can be cancelled ------------------------------------------------------
def large_real_ofx(transactions: int) -> bytes:
    txs = [(f"F{i}", "20261115", "-1.00", f"SHOP {i}") for i in range(transactions)]
    return ofx(*txs)


def test_a_preview_read_in_the_child_process_is_cancelled_the_child_killed_and_nothing_written(home, monkeypatch):
    children = []
    take = sandbox._take_child

    def remember_child():  # the real child, noted so the test can see it was killed
        child = take()
        children.append(child)
        return child

    monkeypatch.setattr(sandbox, "_take_child", remember_child)
    data = large_real_ofx(40_000)  # seconds of parsing in the child: far longer than the cancel takes
    cancel = threading.Event()
    cancel.set()  # the person pressed Cancel
    before = fingerprint(home.owner)
    with pytest.raises(ImportCancelled) as cancelled:
        import_file(home.access(), "big.ofx", data, ImportOptions(), now=NOW, isolation=Isolation(cancel))
    assert cancelled.value.message == "Cancelled: the file was not read and nothing was imported."
    assert len(children) == 1 and children[0].wait(timeout=30) == -9  # killed, not left parsing
    assert fingerprint(home.owner) == before
    # the next file is read normally
    small = preview_import(home.access(), "small.ofx", large_real_ofx(3), now=NOW, isolation=Isolation())
    assert len(small.rows) == 3
