"""Issue 17: the outbox survives damage, and what the app writes is private to its owner."""

from __future__ import annotations

import json
import stat
import uuid

import pytest
from click.testing import CliRunner

from budget_core import config
from budget_core.cli import main
from budget_core.ops.backup import backup
from budget_core.ops.outbox import Outbox, get_deliverer


def mode_of(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _draft(description="Lunch"):
    return {"amount": 1500, "description": description, "category": "Dining", "occurred_on": None, "refund": False}


# a valid JSON line that is not a complete entry: before, it broke `outbox list|flush`, health and every page
INCOMPLETE = json.dumps({"op": "add", "client_id": str(uuid.uuid4()), "family_id": "one", "draft": None})


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    monkeypatch.setenv("BUDGET_DATA_DIR", str(folder))
    config.reset_settings()
    yield folder
    config.reset_settings()


def test_an_incomplete_entry_is_skipped_kept_aside_and_reported_by_outbox_list(home, data_dir):
    box = Outbox()
    box.enqueue(home.family.id, _draft("Coffee"), user_id=home.dad.id)
    with open(box.path, "a") as fh:
        fh.write(INCOMPLETE + "\n")
    box.enqueue(home.family.id, _draft("Bread"), user_id=home.dad.id)
    assert box.state().damaged_lines == (2,)
    result = box.flush(home.engine)
    assert result.delivered == 2 and any("damaged" in e for e in result.errors)
    assert box.kept_aside() == [INCOMPLETE]  # compaction moved it aside, as it was
    assert mode_of(box.path) == 0o600 and mode_of(box.damaged_path) == 0o600  # also after compaction
    listed = CliRunner().invoke(main, ["outbox", "list"])
    assert listed.exit_code == 0, listed.output
    assert "1 damaged line(s) were kept aside" in listed.stderr
    as_json = json.loads(CliRunner().invoke(main, ["outbox", "list", "--json"]).stdout)
    assert as_json["kept_aside"] == [INCOMPLETE]


def test_the_data_directory_and_the_outbox_folder_are_made_private(home, data_dir):
    Outbox().enqueue(home.family.id, _draft(), user_id=home.dad.id)
    assert mode_of(data_dir) == 0o700
    assert mode_of(data_dir / "outbox") == 0o700
    assert mode_of(data_dir / "outbox" / "outbox.jsonl") == 0o600


def test_a_deliverer_that_stopped_is_started_again(home, tmp_path):
    box = Outbox(tmp_path / "outbox")
    first = get_deliverer(home.engine, box)
    first.stop()
    assert not first.alive
    again = get_deliverer(home.engine, box)
    assert again is not first and again.alive
    again.stop()


def test_exports_are_private_unless_mode_says_otherwise(home, tmp_path, engine):
    runner = CliRunner()
    base = ["export", "--family", str(home.family.id), "--by", "mom@example.com", "--format", "csv"]
    private = runner.invoke(main, [*base, "-o", str(tmp_path / "a.csv")])
    assert private.exit_code == 0, private.output
    assert mode_of(tmp_path / "a.csv") == 0o600
    shared = runner.invoke(main, [*base, "-o", str(tmp_path / "b.csv"), "--mode", "640"])
    assert shared.exit_code == 0, shared.output
    assert mode_of(tmp_path / "b.csv") == 0o640
    refused = runner.invoke(main, [*base, "-o", str(tmp_path / "c.csv"), "--mode", "777"])
    assert refused.exit_code != 0 and "file mode" in refused.output
    assert not (tmp_path / "c.csv").exists()


def test_a_backup_is_private(home, tmp_path):
    dump = tmp_path / "family.dump"
    assert backup(home.owner.url.render_as_string(hide_password=False), dump) > 0
    assert mode_of(dump) == 0o600
