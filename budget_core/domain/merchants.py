"""Who a bank row paid: the normalised merchant of a description, and the built-in suggestions.

Banks write the same shop many ways — "SQ *BLUE BOTTLE COFFEE #12 OAKLAND CA", "PAYPAL *SPOTIFY",
"WHOLEFDS MKT #10234 AUSTIN TX", "REWE Markt GmbH". :func:`merchant_key` reduces a description to the
merchant's name (lower case, accents and umlauts folded, card-processor prefixes such as "SQ *" or
"PAYPAL *", store numbers, dates, months, legal forms and a trailing city or state removed), so a
family's history can be matched by merchant. :func:`merchant_pattern` is the same merchant as the bank
writes it ("BLUE BOTTLE COFFEE"), which a "description contains" rule matches.

:func:`builtin_suggestion` looks a description up in the list of common merchants and keywords that
ships with the package (``budget_core/data/merchants.tsv``: supermarkets, fuel, pharmacies, streaming,
utilities, public transport … in English and German) and answers the reason ("supermarket") and the
category names to try, the first one the family has.

Pure: no database, no clock.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

# Words a card processor, bank or payment service puts around the merchant's name.
PREFIX_NOISE = frozenset(
    """pos sq tst paypal pp visa card debit credit purchase payment contactless ach recurring online mastercard mc
    lastschrift folgelastschrift basislastschrift erstlastschrift sepa kartenzahlung girocard ec zahlung
    uberweisung dauerauftrag gutschrift refund erstattung ruckerstattung return returned reversal storno dd so fpi
    fastpay zelle venmo to from bill pmt pymt autopay auto pay web id ppd ccd des indn co""".split()
)
NOISE = frozenset(
    """january february march april may june july august september october november december jan feb mar apr jun
    jul aug sep sept oct nov dec januar februar marz maerz mai juni juli oktober dezember
    abschlag rechnung invoice ref kdnr kundennr vertragsnr mandat end to end endtoendid eref mref cred svwz abwa
    gmbh ag kg ohg ek e k se inc llc ltd corp co com de net org www uk us eu mkt store nr no web online payment pmt""".split()
)
US_STATES = frozenset(
    """al ak az ar ca co ct de fl ga hi id il in ia ks ky la me md ma mi mn ms mo mt ne nv nh nj nm ny nc nd oh ok
    or pa ri sc sd tn tx ut vt va wa wv wi wy dc""".split()
)
CITIES = frozenset(
    """berlin hamburg munchen muenchen koln frankfurt stuttgart dusseldorf leipzig dresden hannover nurnberg bremen
    essen dortmund bonn mannheim karlsruhe augsburg wiesbaden freiburg heidelberg potsdam mainz
    austin seattle chicago houston boston denver portland oakland brooklyn atlanta miami dallas phoenix
    philadelphia detroit minneapolis baltimore""".split()
)
TWO_WORD_CITY_STARTS = frozenset("new san los las st saint fort salt el".split())
SALARY_WORDS = ("gehalt", "lohn", "salary", "payroll", "direct dep", "direct deposit", "paycheck", "wages", "bezuge")
REFUND_WORDS = ("refund", "erstattung", "ruckerstattung", "gutschrift", "return", "returned", "reversal", "storno")
MAX_WORDS = 3


def fold(text: str) -> str:
    """Lower case with accents and umlauts folded ('München' → 'munchen', 'Straße' → 'strasse')."""
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _tokens(text: str) -> list[str]:
    """Folded words; '&' joins (PG&E → pge, H&M → hm); every other mark separates."""
    return re.sub(r"[^a-z0-9]+", " ", fold(text).replace("&", "")).split()


def _keep(token: str) -> bool:
    return bool(token) and not any(ch.isdigit() for ch in token) and token not in NOISE and len(token) > 1


def _strip_location(words: list[str]) -> list[str]:
    if len(words) >= 3 and words[-1] in US_STATES:
        words = words[:-1]
        cut = 2 if len(words) >= 4 and words[-2] in TWO_WORD_CITY_STARTS else 1
        words = words[:-cut]
    elif len(words) >= 2 and words[-1] in US_STATES:
        words = words[:-1]
    while len(words) >= 2 and words[-1] in CITIES:
        words = words[:-1]
    return words


def merchant_key(description: str) -> str:
    """The normalised merchant of a bank description; '' when nothing of a name is left.

    'SQ *BLUE BOTTLE COFFEE #12 OAKLAND CA' → 'blue bottle coffee'; 'REFUND AMAZON.COM' → 'amazon';
    'Miete Dezember' → 'miete'.
    """
    words = _tokens(description)
    while words and words[0] in PREFIX_NOISE:
        words = words[1:]
    kept: list[str] = []
    for word in words:
        if any(ch.isdigit() for ch in word):
            if kept:  # a store number or reference ends the name
                break
            continue
        if _keep(word):
            kept.append(word)
    return " ".join(_strip_location(kept)[:MAX_WORDS])


def merchant_pattern(description: str) -> str:
    """The merchant as the bank writes it: the first run of the description's words that survive
    :func:`merchant_key` (at most three), for a "description contains" rule. 'POS VISA SPOTIFY P1234
    STOCKHOLM' → 'SPOTIFY'; 'SQ *BLUE BOTTLE COFFEE #12' → 'BLUE BOTTLE COFFEE'."""
    raw = [w for w in re.split(r"[\s*]+", description or "") if w]
    run: list[str] = []
    started = False
    for word in raw:
        parts = _tokens(word)
        noise = not started and all(p in PREFIX_NOISE for p in parts)
        kept = [p for p in parts if _keep(p)]
        if noise or not kept:
            if started:
                break
            continue
        started = True
        run.append(word)
        if len(run) == MAX_WORDS:
            break
    pattern = " ".join(run).strip("*#.,:;/-_ ")
    return pattern or " ".join((description or "").split()[:1])


def _padded(text: str) -> str:
    return " " + " ".join(_tokens(text)) + " "


@dataclass(frozen=True, slots=True)
class BuiltinGroup:
    reason: str  # what the person reads: "supermarket"
    categories: tuple[str, ...]  # names to try, first the family has
    words: tuple[str, ...]


@lru_cache(maxsize=1)
def builtin_groups() -> tuple[BuiltinGroup, ...]:
    """The shipped list (``budget_core/data/merchants.tsv``), read once."""
    text = resources.files("budget_core").joinpath("data/merchants.tsv").read_text(encoding="utf-8")
    groups = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        reason, cats, words = line.split("\t")
        groups.append(
            BuiltinGroup(
                reason,
                tuple(c.strip() for c in cats.split("|") if c.strip()),
                tuple(" ".join(_tokens(w)) for w in words.split("|") if _tokens(w)),
            )
        )
    return tuple(groups)


@lru_cache(maxsize=50_000)
def builtin_suggestion(description: str) -> BuiltinGroup | None:
    """The first built-in group one of whose words appears (as whole words) in ``description``.

    Longer words win over shorter ones across groups ('whole foods' before 'foods'), so a specific
    merchant beats a generic keyword.
    """
    padded = _padded(description)
    best: tuple[int, BuiltinGroup] | None = None
    for group in builtin_groups():
        for word in group.words:
            if f" {word} " in padded and (best is None or len(word) > best[0]):
                best = (len(word), group)
    return best[1] if best else None


def looks_like_salary(description: str) -> bool:
    padded = _padded(description)
    return any(f" {w} " in padded for w in SALARY_WORDS)


def says_refund(description: str) -> bool:
    padded = _padded(description)
    return any(f" {w} " in padded for w in REFUND_WORDS)
