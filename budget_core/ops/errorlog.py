"""Unexpected errors: logged with a short reference a person can quote, without personal data.

The log line holds the reference, the exception type and the stack of code locations, but not
the exception's message or argument values (they may carry amounts, names or e-mails).
"""

from __future__ import annotations

import logging
import os
import secrets
import traceback
from logging.handlers import RotatingFileHandler

from ..config import settings

_handlers: dict[str, logging.Handler] = {}


class _PrivateFileHandler(RotatingFileHandler):
    """The error log and its rotated copies are private to the app's user (0600)."""

    def _open(self):
        stream = super()._open()
        os.chmod(self.baseFilename, 0o600)
        return stream


def _log() -> logging.Logger:
    """The error logger, writing to ``<data dir>/logs/errors.log`` of the current settings."""
    logger = logging.getLogger("family_budget.errors")
    folder = settings().data_dir / "logs"
    if str(folder) not in _handlers:
        try:
            from .files import private_folder

            private_folder(folder)
            handler = _PrivateFileHandler(folder / "errors.log", maxBytes=5_000_000, backupCount=3)
        except OSError:
            return logger  # the root logger's stream handler still gets it
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        _handlers[str(folder)] = handler
    current = _handlers[str(folder)]
    for other in _handlers.values():  # the data dir may change (tests): write to the current one only
        if other is not current:
            logger.removeHandler(other)
    if current not in logger.handlers:
        logger.addHandler(current)
    return logger


def log_unexpected(err: BaseException) -> str:
    """Log ``err`` and return its reference, e.g. 'E-7K2Q9M'."""
    ref = "E-" + secrets.token_hex(3).upper()
    frames = traceback.extract_tb(err.__traceback__)
    where = " < ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in reversed(frames[-8:]))
    _log().error("ref=%s type=%s at %s", ref, type(err).__name__, where)
    return ref
