"""A bank file's bytes: in memory or on disk, the size limit, opening it, and its text encoding.

``Source`` is what every reader takes: the bytes of an upload, or the path of a file in the inbox
folder. Errors are ``ValidationError`` with a message a person can act on.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from ..errors import ValidationError
from . import MAX_FILE_BYTES

Source = bytes | Path


def size_of(source: Source) -> int:
    return len(source) if isinstance(source, (bytes, bytearray)) else Path(source).stat().st_size


def check_size(source: Source) -> None:
    """Refuse a file above MAX_FILE_BYTES before reading it."""
    size = size_of(source)
    if size > MAX_FILE_BYTES:
        raise ValidationError(
            f"The file is {size / 2**20:.1f} MB; bank files up to {MAX_FILE_BYTES // 2**20} MB "
            "are accepted. Download a shorter date range and import it in parts."
        )
    if size == 0:
        raise ValidationError("The file is empty.")


@contextmanager
def open_binary(source: Source) -> Iterator[BinaryIO]:
    if isinstance(source, (bytes, bytearray)):
        yield io.BytesIO(source)
    else:
        with open(source, "rb") as fh:
            yield fh


@contextmanager
def open_text(source: Source, encoding: str) -> Iterator[io.TextIOWrapper]:
    with open_binary(source) as raw:
        text = io.TextIOWrapper(raw, encoding=encoding, newline="")
        try:
            yield text
        finally:
            text.detach()


def detect_encoding(source: Source) -> str:
    """'utf-8-sig', 'utf-16', 'utf-8', 'cp1252' or 'latin-1', from a streamed pass over the bytes.

    A file that is valid UTF-8 in places and broken in others is refused (naming the line): it was
    damaged, and reading it as Latin-1 would silently garble its descriptions.
    """
    with open_binary(source) as fh:
        start = fh.read(4)
        if start.startswith(codecs.BOM_UTF8):
            encoding = "utf-8-sig"
        elif start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            _check_utf16(fh)
            return "utf-16"
        else:
            encoding = "utf-8"
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")("strict")
        line, saw_multibyte, cp1252_holes = 1, False, False
        while chunk := fh.read(1 << 20):
            if b"\x00" in chunk:
                raise ValidationError(
                    "This is not a text file (it contains NUL bytes); export the statement "
                    "from your bank as CSV or OFX."
                )
            if encoding != "latin":
                try:
                    decoder.decode(chunk)
                    saw_multibyte = saw_multibyte or not chunk.isascii()
                except UnicodeDecodeError as err:
                    bad_line = line + chunk.count(b"\n", 0, err.start)
                    if saw_multibyte or not chunk[: err.start].isascii():
                        raise ValidationError(
                            f"Line {bad_line} is not valid UTF-8 although the rest of the file is: the file "
                            "looks damaged. Download it from your bank again."
                        ) from None
                    encoding = "latin"
            if encoding == "latin":
                cp1252_holes = cp1252_holes or any(b in chunk for b in (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d"))
            line += chunk.count(b"\n")
        if encoding in ("utf-8", "utf-8-sig"):  # with a BOM too: a last character cut in half
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                raise ValidationError(
                    f"The last line ({line}) ends in the middle of a character: the file "
                    "is cut short. Download it from your bank again."
                ) from None
    if encoding == "latin":
        return "latin-1" if cp1252_holes else "cp1252"
    return encoding


def _check_utf16(fh: BinaryIO) -> None:
    """Refuse UTF-16 text that does not decode (an odd byte, a broken surrogate pair): a damaged file."""
    fh.seek(0)
    decoder = codecs.getincrementaldecoder("utf-16")("strict")
    try:
        while chunk := fh.read(1 << 20):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise ValidationError(
            "The file is UTF-16 text that is damaged or cut short. Download it from your bank again."
        ) from None
