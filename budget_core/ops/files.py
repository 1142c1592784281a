"""Files a person names (exports, backups): never overwritten unless asked, never left half-written.

``new_file(path)`` yields a temporary file beside ``path``; when the body succeeds the file gets its
mode (0600 by default: a family's money is private) and is moved into place in one step; when it
fails, the temporary file is removed and ``path`` is untouched. Without ``force`` an existing
``path`` is refused, and the final step links rather than renames, so a file that appears
meanwhile is not replaced either.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import ValidationError

PRIVATE = 0o600


def check_target(path: str | os.PathLike, *, force: bool = False) -> Path:
    """``path`` as a Path if a new file can be written there; ValidationError naming what is wrong."""
    raw = os.fspath(path) if path is not None else ""
    if not isinstance(raw, str) or not raw.strip():
        raise ValidationError("Name the file to write, for example -o spending.csv.")
    if "\x00" in raw or len(raw) > 4096 or any(len(part) > 255 for part in Path(raw).parts):
        raise ValidationError("That file name cannot be used; choose a shorter, plain name.")
    target = Path(raw)
    if target.is_dir():
        raise ValidationError(f"{raw} is a folder; name a file inside it.")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise ValidationError(f"The folder {folder} does not exist.")
    if (target.exists() or target.is_symlink()) and not force:
        raise ValidationError(f"{raw} already exists; choose another name, or add --force to replace it.")
    return target


@contextmanager
def new_file(path: str | os.PathLike, *, force: bool = False, mode: int = PRIVATE) -> Iterator[Path]:
    """Write to the yielded temporary path; it becomes ``path`` (with ``mode``) when the body returns."""
    target = check_target(path, force=force)
    fd, tmp_name = tempfile.mkstemp(
        dir=target.parent if str(target.parent) else ".", prefix=f".{target.name}.", suffix=".partial"
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, mode)
        if force:
            os.replace(tmp, target)
        else:
            try:
                os.link(tmp, target)  # fails if the name was taken meanwhile
            except FileExistsError:
                raise ValidationError(
                    f"{target} already exists; choose another name, or add --force to replace it."
                ) from None
    finally:
        tmp.unlink(missing_ok=True)
