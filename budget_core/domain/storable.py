"""Text a person typed or a file brought, as PostgreSQL can store and compare it, and as it may be shown.

PostgreSQL text cannot hold the NUL character, and a lone surrogate (what undecodable bytes in a
command-line argument become in Python) cannot be encoded as UTF-8; the driver raises a
``DataError`` / ``UnicodeEncodeError`` for either. A browser or a script can send both, so every
text that is stored is checked here first, and text that is only looked up drops them.

Bidirectional embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069) make text
read differently from what it is ("\u202egnp.exe bill" shows as "llib exe.png"): they are refused in
what a person types and stripped from what a bank file brings.

E-mail addresses have one normal form, :func:`normal_email` (NFKC, case-folded), stored beside the
address as typed and used for every look-up and every sign-in limit, so two spellings of one
address are one account and one limit.
"""

from __future__ import annotations

import re
import unicodedata

from ..errors import ValidationError

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")


def check_storable(text: str, what: str) -> str:
    """``text`` unchanged, or ValidationError naming ``what`` when the database cannot store it or
    it holds a control character that would make it read as something else."""
    if "\x00" in text:
        raise ValidationError(f"The {what} contains a NUL character (\\0), which cannot be saved; remove it.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(f"The {what} contains a character that is not valid Unicode; type it again.") from None
    found = _BIDI.search(text)
    if found:
        raise ValidationError(
            f"The {what} contains an invisible character that reverses the text around it "
            f"(U+{ord(found.group()):04X}); remove it."
        )
    return text


def strip_bidi(text: str) -> str:
    """``text`` without bidirectional embedding, override and isolate controls (text from a file)."""
    return _BIDI.sub("", text)


def lookup_text(text: str) -> str:
    """``text`` without the characters no stored row can contain, for searches and look-ups by name."""
    return strip_bidi(text.replace("\x00", "")).encode("utf-8", "ignore").decode("utf-8")


def normal_email(email: str) -> str:
    """The one normal form of an e-mail address: trimmed, NFKC, case-folded (canonical caseless
    matching), without what no stored address can hold. 'Straße@Example.ORG' → 'strasse@example.org'."""
    text = lookup_text(email or "").strip()
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
