"""Text a person typed, as PostgreSQL can store and compare it.

PostgreSQL text cannot hold the NUL character, and a lone surrogate (what undecodable bytes in a
command-line argument become in Python) cannot be encoded as UTF-8; the driver raises a
``DataError`` / ``UnicodeEncodeError`` for either. A browser or a script can send both, so every
text that is stored is checked here first, and text that is only looked up drops them.
"""

from __future__ import annotations

from ..errors import ValidationError


def check_storable(text: str, what: str) -> str:
    """``text`` unchanged, or ValidationError naming ``what`` when the database cannot store it."""
    if "\x00" in text:
        raise ValidationError(f"The {what} contains a NUL character (\\0), which cannot be saved; remove it.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(f"The {what} contains a character that is not valid Unicode; type it again.") from None
    return text


def lookup_text(text: str) -> str:
    """``text`` without the characters no stored row can contain, for searches and look-ups by name."""
    return text.replace("\x00", "").encode("utf-8", "ignore").decode("utf-8")
