"""Issue 17: every value given to every ``budget`` command is checked. Each command of the tree is run
once per parameter with each hostile value in that place (the other parameters benign): NUL, empty,
5,000 characters, bytes that are not UTF-8 (as the shell hands them on, surrogate-escaped), an id
beyond 64 bits, nan and inf. Every run must answer with one line on stderr and exit 2 — no traceback,
no "something unexpected failed" — and nothing is written: not the database, not a file (the runs
happen inside a temporary directory)."""

from __future__ import annotations

import uuid

import click
import pytest
from click.testing import CliRunner

from budget_core.cli import main
from budget_core.cli._common import Checked

from .conftest import fingerprint

TEXT_VALUES = {"nul": "a\x00b", "empty": "  ", "5000-chars": "x" * 5000, "undecodable": "caf\udce9"}
NUMBER_VALUES = {"beyond-bigint": "9" * 30, "nan": "nan", "inf": "inf", "minus-inf": "-inf"}


def leaves(group: click.Command, path: tuple[str, ...] = ()):
    if isinstance(group, click.Group):
        for name, sub in sorted(group.commands.items()):
            yield from leaves(sub, path + (name,))
    else:
        yield path, group


def inner(param: click.Parameter) -> click.ParamType:
    return param.type.inner if isinstance(param.type, Checked) else param.type


def benign(param: click.Parameter, tmp_path) -> str:
    kind = inner(param)
    if isinstance(kind, click.Choice):
        return str(kind.choices[0])
    if isinstance(kind, (click.types.IntParamType, click.types.FloatParamType)):
        return "1"
    if isinstance(kind, click.DateTime):
        return "2026-01-01"
    if isinstance(kind, click.types.UUIDParameterType):
        return str(uuid.UUID(int=1))
    if isinstance(kind, (click.Path, click.File)):
        return str(tmp_path / "benign.txt")
    return "x"


def hostile_cases():
    for path, command in leaves(main):
        for param in command.params:
            if isinstance(param, click.Option) and (param.is_flag or param.count):
                continue
            if param.name == "help":
                continue
            numeric = isinstance(inner(param), (click.types.IntParamType, click.types.FloatParamType))
            values = TEXT_VALUES | (NUMBER_VALUES if numeric else {})
            for label, value in values.items():
                yield pytest.param(path, param.name, value, id=f"{' '.join(path)}:{param.name}:{label}")


def arguments(command: click.Command, target: str, value: str, tmp_path) -> list[str]:
    args: list[str] = []
    for param in command.params:
        if isinstance(param, click.Option) and (param.is_flag or param.count or param.name == "help"):
            continue
        given = value if param.name == target else benign(param, tmp_path)
        if param.name != target and isinstance(param, click.Option) and not param.required:
            continue  # optional options stay out unless they are the one under test
        if isinstance(param, click.Argument):
            args.append(given)
        else:
            args += [param.opts[0], given]
    return args


@pytest.fixture(scope="module")
def runner():
    return CliRunner()


CASES = list(hostile_cases())


def test_the_fuzz_covers_every_command():
    commands = {case.values[0] for case in CASES}
    assert len(commands) >= 30 and ("member", "remove") in commands and ("import", "watch") in commands


def test_every_command_refuses_every_hostile_value_in_one_line_and_writes_nothing(home, runner, tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    (work / "benign.txt").write_text("x")
    monkeypatch.chdir(work)
    before, files_before = fingerprint(home.owner), sorted(p.name for p in work.rglob("*"))
    failures = []
    for case in CASES:
        path, target, value = case.values
        command = main
        for name in path:
            command = command.commands[name]
        args = list(path) + arguments(command, target, value, work)
        result = runner.invoke(main, args, input="x\nx\nx\n")
        lines = result.stderr.strip().splitlines()
        ok = (
            result.exit_code == 2
            and len(lines) == 1
            and lines[0].startswith("Error: ")
            and "Traceback" not in result.output + result.stderr
            and "unexpected" not in result.stderr
        )
        if not ok:
            failures.append(f"{case.id}: exit {result.exit_code}, stderr {result.stderr[:300]!r} {result.exception!r}")
    assert not failures, f"{len(failures)} of {len(CASES)} runs:\n" + "\n".join(failures[:40])
    assert fingerprint(home.owner) == before
    assert sorted(p.name for p in work.rglob("*")) == files_before
