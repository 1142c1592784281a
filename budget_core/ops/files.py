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
PRIVATE_FOLDER = 0o700


def private_folder(path: str | os.PathLike, *, tighten: bool = True) -> Path:
    """``path`` as a folder only its owner can enter (0700). Missing folders, its parents included,
    are made 0700; an existing one is set to 0700 when ``tighten`` (and it is ours)."""
    folder = Path(path)
    missing = []
    probe = folder
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for made in reversed(missing):
        try:
            made.mkdir(mode=PRIVATE_FOLDER)
        except FileExistsError:
            continue  # made meanwhile by another process
        os.chmod(made, PRIVATE_FOLDER)  # mkdir's mode passes through the umask
    if tighten and folder.stat().st_uid == os.geteuid():
        os.chmod(folder, PRIVATE_FOLDER)
    return folder


def parse_mode(text: str) -> int:
    """A file mode written in octal ('600', '0640') for a file a person names: read and write bits
    only (no execute, no set-id), and always readable and writable by its owner."""
    raw = (text or "").strip()
    try:
        mode = int(raw, 8)
    except ValueError:
        mode = -1
    if not 0 <= mode <= 0o777 or mode & 0o111 or mode & 0o600 != 0o600:
        raise ValidationError(
            f"'{text}' is not a file mode we write; use an octal mode such as 600 (only you), 640 or 644."
        )
    return mode


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
