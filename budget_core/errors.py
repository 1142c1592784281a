"""Typed business errors. Each carries a message a person can act on.

The UI and the CLI turn these into messages in one place each; nothing else catches broad
exceptions.
"""

from __future__ import annotations


class BudgetError(Exception):
    """Base of every error a person may see."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ValidationError(BudgetError):
    """The input cannot be accepted as it is; nothing was written."""


class NotFound(BudgetError):
    """The thing asked for does not exist (or is not visible to the actor)."""


class PermissionDenied(BudgetError):
    """The actor is not allowed to do this in this family."""


class Conflict(BudgetError):
    """Someone changed the row first; nothing was overwritten.

    ``expected_version`` is the version the user saw, ``current_version`` the one stored now
    (``None`` when the row was deleted). ``current`` holds the stored row, when there is one;
    ``by`` names the member who made the other change. The message names them, never versions.
    """

    def __init__(
        self,
        message: str,
        *,
        expected_version: int,
        current_version: int | None,
        current: object | None = None,
        by: str | None = None,
    ):
        super().__init__(message)
        self.expected_version = expected_version
        self.current_version = current_version
        self.current = current
        self.by = by


class Unavailable(BudgetError):
    """The database cannot be reached right now."""
