"""What every ``budget`` command shares: the group that turns errors into one line, the engine,
``--json`` output, and the option parsers for dates, UUIDs and members' emails."""

from __future__ import annotations

import json
import math
import sys
import uuid
from datetime import date

import click
from sqlalchemy.exc import DBAPIError, OperationalError

from ..errors import BudgetError


def get_engine():
    """The process's engine (``budget_core.db`` is imported when a command runs, not at start)."""
    from ..db.engine import get_engine as engine

    return engine()


def emit(data: dict, as_json: bool, human: str) -> None:
    """Print ``data`` as one JSON object with ``--json``, else the ``human`` line."""
    click.echo(json.dumps(data, default=str) if as_json else human)


def user_by_email(engine, email: str):
    """The account with that email; NotFound otherwise."""
    from ..services.accounts import user_by_email as find

    return find(engine, email)


def family_as(engine, family_id: int, email: str):
    """The family handle of the member with that email (the one door; PermissionDenied for anyone else)."""
    from ..services.access import open_family

    return open_family(engine, user_by_email(engine, email).id, family_id)


def parse_date(ctx, param, value: str | None) -> date | None:
    """Click callback: an option's YYYY-MM-DD text as a date (``None`` stays ``None``)."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date; write it as YYYY-MM-DD, e.g. 2026-11-25.") from None


def parse_uuid(ctx, param, value: str | None) -> uuid.UUID | None:
    """Click callback: an option's text as a UUID (``None`` stays ``None``)."""
    if value is None:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a UUID such as 1b4e28ba-2fa1-11d2-883f-0016d3cca427.") from None


BIGINT = 2**63
MAX_VALUE = 4096  # characters in one command-line value (paths included); no name or file name is longer


class Checked(click.ParamType):
    """A parameter type wrapped with the checks every value of the ``budget`` command gets: text is
    valid Unicode (no undecodable bytes), holds no NUL, is not empty or absurdly long; a whole number
    fits the database's 64-bit ids; a decimal number is finite. A value that fails is a usage error
    (exit 2, one line, nothing done) instead of an unexpected failure further in."""

    def __init__(self, inner: click.ParamType):
        self.inner = inner
        self.name = inner.name

    def get_metavar(self, param, ctx=None):
        try:
            return self.inner.get_metavar(param, ctx)
        except TypeError:  # an older click
            return self.inner.get_metavar(param)  # type: ignore[call-arg]

    def convert(self, value, param, ctx):
        if isinstance(value, str):
            if any("\ud800" <= ch <= "\udfff" for ch in value):
                self.fail("holds bytes that are not valid text (UTF-8); type it again or rename the file.", param, ctx)
            if "\x00" in value:
                self.fail("holds a NUL character.", param, ctx)
            if not value.strip():
                self.fail("is empty.", param, ctx)
            if len(value) > MAX_VALUE:
                self.fail(f"is {len(value):,} characters long; nothing here is longer than {MAX_VALUE:,}.", param, ctx)
        result = self.inner.convert(value, param, ctx)
        if isinstance(result, int) and not isinstance(result, bool) and not -BIGINT <= result < BIGINT:
            self.fail(f"{value} is out of range (ids and counts are below {BIGINT:,}).", param, ctx)
        if isinstance(result, float) and not math.isfinite(result):
            self.fail(f"{value} is not a finite number.", param, ctx)
        return result


def harden(command: click.Command) -> None:
    """Give every parameter of ``command`` and its subcommands the :class:`Checked` checks."""
    for param in command.params:
        if not isinstance(param.type, (click.types.BoolParamType, Checked)):
            param.type = Checked(param.type)
    for sub in getattr(command, "commands", {}).values():
        harden(sub)


class BudgetGroup(click.Group):
    """Turns the typed errors into one line on stderr (the CLI's one place for that)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except BudgetError as err:
            click.echo(f"Error: {err.message}", err=True)
            sys.exit(1)
        except (OperationalError, DBAPIError) as err:
            if isinstance(err, OperationalError) or err.connection_invalidated:
                click.echo(
                    "Error: cannot reach the database; check that it is running (see 'budget db url').", err=True
                )
                sys.exit(3)
            self._unexpected(err)
        except click.UsageError as err:  # a value that cannot be used: one line, exit 2
            click.echo(f"Error: {err.format_message()}", err=True)
            sys.exit(2)
        except (click.exceptions.Exit, click.ClickException, SystemExit, KeyboardInterrupt):
            raise
        except BrokenPipeError:  # the reader went away (`budget activity | head`): not an error
            sys.stderr.close()
            sys.exit(0)
        except Exception as err:  # the CLI's one catch-all: log it, show a reference, no traceback
            self._unexpected(err)

    @staticmethod
    def _unexpected(err: BaseException) -> None:
        from ..ops.errorlog import log_unexpected

        ref = log_unexpected(err)
        click.echo(
            f"Error: something unexpected failed (reference {ref}); the details are in the log under that reference.",
            err=True,
        )
        sys.exit(4)
