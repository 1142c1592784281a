"""The family's locale: how its money, dates and times are written ("90,12 €" for a German family).

A family keeps one locale (a CLDR identifier such as ``de_DE``) as a setting; until a manager
chooses one it is derived by :func:`default_locale` from the family's currency and, where known,
the browser's language. The words of the app stay English; only numbers, currency symbols and
dates follow the locale. Everything comes from Babel's CLDR data; nothing here reads a clock or
the database.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import format_interval, format_skeleton, format_time
from babel.numbers import get_decimal_symbol, get_group_symbol

from ..errors import ValidationError

FALLBACK = "en_US"

# The locales offered in the family's settings, besides the one the family already has.
COMMON_LOCALES = (
    "en_US",
    "en_GB",
    "en_CA",
    "en_AU",
    "en_IE",
    "en_IN",
    "de_DE",
    "de_AT",
    "de_CH",
    "fr_FR",
    "fr_CA",
    "fr_CH",
    "es_ES",
    "es_MX",
    "it_IT",
    "nl_NL",
    "pt_BR",
    "pt_PT",
    "sv_SE",
    "nb_NO",
    "da_DK",
    "fi_FI",
    "pl_PL",
    "cs_CZ",
    "hu_HU",
    "ja_JP",
    "zh_Hans_CN",
    "ko_KR",
    "he_IL",
    "tr_TR",
    "en_ZA",
    "en_SG",
)

# Currencies shared by many countries: the territory whose conventions come first.
_MAIN_TERRITORY = {"EUR": "DE", "XAF": "CM", "XOF": "SN", "XCD": "AG", "XPF": "PF", "ANG": "CW"}


def _parse(code: str) -> Locale:
    text = (code or "").strip().replace("-", "_")
    if not text:
        raise ValueError("empty")
    return Locale.parse(text)


def check_locale(code: str) -> str:
    """The canonical identifier of ``code`` ('de-DE' → 'de_DE'), or ValidationError."""
    try:
        locale = _parse(code)
    except (ValueError, TypeError, UnknownLocaleError):
        raise ValidationError(f"'{code}' is not a locale we know; use one such as en_US or de_DE.") from None
    if not locale.territory:
        raise ValidationError(f"'{code}' names no country; choose a locale such as en_US or de_DE.")
    return str(locale)


@lru_cache(maxsize=1)
def _territories_by_currency() -> dict[str, tuple[str, ...]]:
    """Currency → the territories where it is legal tender today."""
    found: dict[str, list[str]] = {}
    for territory, entries in get_global("territory_currencies").items():
        for code, _start, end, tender in entries:
            if end is None and tender:
                found.setdefault(code, []).append(territory)
    return {code: tuple(sorted(ts)) for code, ts in found.items()}


def _currency_territories(currency: str) -> tuple[str, ...]:
    """The territories of ``currency``, its main one first (USD → US, …; EUR → DE)."""
    territories = _territories_by_currency().get(currency.upper(), ())
    main = _MAIN_TERRITORY.get(currency.upper(), currency.upper()[:2])
    return tuple(sorted(territories, key=lambda t: (t != main, t)))


def _exists(code: str) -> str | None:
    try:
        return str(Locale.parse(code))
    except (ValueError, UnknownLocaleError):
        return None


def _home_territory(language: str) -> str | None:
    likely = get_global("likely_subtags").get(language)
    return likely.split("_")[-1] if likely else None


@lru_cache(maxsize=512)
def default_locale(currency: str, browser_language: str | None = None) -> str:
    """The locale a family counting in ``currency`` most likely writes money in.

    The browser's language (``navigator.language``, e.g. 'de-AT') wins when its country uses the
    currency; otherwise that language in its own country when that country uses the currency
    ('fr' + EUR → fr_FR), in the currency's main country ('en' + EUR → en_DE), in another country
    of the currency, and finally the main country's own language (EUR → de_DE,
    JPY → ja_JP, USD → en_US).
    """
    territories = _currency_territories(currency)
    language = None
    if browser_language:
        try:
            browser = _parse(browser_language)
        except (ValueError, TypeError, UnknownLocaleError):
            browser = None
        if browser is not None:
            language = browser.language
            if browser.territory and browser.territory in territories:
                return str(browser)
    if language:
        home = _home_territory(language)  # 'fr' → FR: French in France before French in Belgium
        for territory in sorted(territories, key=lambda t: t != home):
            found = _exists(f"{language}_{territory}")
            if found:
                return found
    for territory in territories:
        found = _exists(f"und_{territory}")
        if found:
            return found
    return FALLBACK


def family_locale(stored: str | None, currency: str, browser_language: str | None = None) -> str:
    """The locale a family's figures are shown in: its setting, else :func:`default_locale`."""
    if stored:
        return stored
    return default_locale(currency, browser_language)


def display_name(code: str) -> str:
    """'German (Germany)' for de_DE (in English, the app's language)."""
    try:
        return Locale.parse(code).get_display_name("en") or code
    except (ValueError, UnknownLocaleError):
        return code


def locale_choices(current: str | None = None) -> list[str]:
    choices = [code for code in COMMON_LOCALES if _exists(code)]
    if current and current not in choices:
        choices.insert(0, current)
    return choices


@lru_cache(maxsize=256)
def separators(locale: str) -> tuple[str, str]:
    """(decimal symbol, group symbol) of ``locale``: ('.', ',') for en_US, (',', '.') for de_DE."""
    return get_decimal_symbol(locale), get_group_symbol(locale)


def short_date(day: date, locale: str, *, with_weekday: bool = True, with_year: bool = False) -> str:
    """A day in the locale's short form: 'Mon, Nov 23' (en_US), 'Mo., 23. Nov.' (de_DE); with the
    year 'Nov 23, 2026' / '23. Nov. 2026'."""
    if with_year:
        return format_skeleton("yMMMd", day, locale=locale)
    return format_skeleton("MMMEd", day, locale=locale) if with_weekday else month_day(day, locale)


def month_day(day: date, locale: str) -> str:
    """A day of the year without weekday or year: 'Dec 5' (en_US), '5. Dez.' (de_DE), '12月5日' (ja_JP)."""
    return format_skeleton("MMMd", day, locale=locale)


def date_range(start: date, end: date, locale: str) -> str:
    """Two days as one span in the locale's way: 'Nov 1 – 30, 2026' (en_US), '1.–30. Nov. 2026' (de_DE)."""
    return format_interval(start, end, "yMMMd", locale=locale)


def date_time(at: datetime, zone: tzinfo, locale: str) -> str:
    """A moment in the family's time zone, in the locale's short form: 'Nov 23, 3:05 PM'."""
    local = at.astimezone(zone)
    return f"{format_skeleton('MMMd', local.date(), locale=locale)}, {format_time(local, 'short', locale=locale)}"


def date_input_format(locale: str) -> str:
    """The format Streamlit's date picker should show for ``locale`` (one of the three it knows)."""
    pattern = Locale.parse(locale).date_formats["short"].pattern.lower()
    separator = next((c for c in pattern if c in "./-"), "/")
    day, month, year = pattern.find("d"), pattern.find("m"), pattern.find("y")
    if year < month and year < day:
        order = "YYYY{s}MM{s}DD"
    elif month < day:
        order = "MM{s}DD{s}YYYY"
    else:
        order = "DD{s}MM{s}YYYY"
    return order.format(s=separator)
