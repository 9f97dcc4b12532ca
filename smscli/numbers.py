"""Phone numbers: normalising what people write (spacing, punctuation, invisible characters,
"+44 (0)…", "00" prefixes) and checking the result is a full international number. The
readers (smscli.numberfile) and the collector (smscli.numberlist) build on these.
"""

from __future__ import annotations

import re

__all__ = [
    "MAX_DIGITS",
    "MIN_DIGITS",
    "check",
    "check_country",
    "has_letters",
    "looks_like_number",
    "normalize",
    "normalize_lines",
    "to_international",
]

MIN_DIGITS = 6
MAX_DIGITS = 15  # E.164 maximum
STARTS_WITH_ZERO = (
    "starts with 0: write it in international form with the country code, e.g. 6281211111111"
)

# --- normalisation ----------------------------------------------------------------------------

# Every str.isspace() character, written out: scanning the code space for them at import cost
# every command ~0.6 ms. tests/test_numbers.py scans the whole code space, so a Python that
# adds one fails there.
_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
_SEPARATORS = (
    "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"  # dashes, minus signs
    ".\u00b7\uff0e"  # dots
    "()\uff08\uff09"  # parentheses
    "/\u2215\uff0f"  # slashes
)
# Invisible characters that copy-paste from web pages, mail clients and phone contact apps
# wraps numbers in (bidi marks around "+62 812…", zero-width spaces, soft hyphens, a stray BOM).
_INVISIBLE = "\u00ad\u2060\ufeff" + "".join(
    chr(c) for c in (*range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2066, 0x206A))
)
_DELETE = _WHITESPACE + _SEPARATORS + _INVISIBLE

_UNICODE_TABLE = str.maketrans({"\uff0b": "+"} | dict.fromkeys(_DELETE))
# str.translate costs ~2 µs per number even for ASCII; bytes.translate is ~10x faster, and
# nearly every real number is ASCII, so that path gets its own (equivalent) table.
_ASCII_DELETE = "".join(c for c in _DELETE if c.isascii()).encode("ascii")

_PREFIX = re.compile(r"\A(?:\+|00)+")
# "+44 (0) 20 7946 0000": the "(0)" is the trunk prefix, dialled only from inside the country
# and written that way on business cards and web forms. After a country code it must go, or the
# number becomes 4402079460000. Only right after "+" or "00" and a country code (1 to 3
# digits); a "(0" that opens a longer group ("(020) …") is not it.
_TRUNK_MARK = re.compile(
    r"\A(\s*(?:[+\uff0b]|00)[\s.\-]*[1-9][0-9]{0,2})[\s.\-]*[(\uff08]\s*0\s*[)\uff09]"
)


def _clean(raw: str) -> str:
    """`raw` without the trunk marker, spacing, punctuation and invisible characters; an
    international prefix ("+", "00") is kept."""
    if "(" in raw or "\uff08" in raw:
        raw = _TRUNK_MARK.sub(r"\1 ", raw, count=1)
    if raw.isascii():
        return raw.encode().translate(None, _ASCII_DELETE).decode()
    return raw.translate(_UNICODE_TABLE)


def normalize(raw: str) -> str:
    """Remove spacing and punctuation people write numbers with, a "(0)" trunk marker after the
    country code, and the international prefix.

    The result may still be invalid: pass it to check(). Idempotent: "+" and "00" prefixes are
    stripped repeatedly ("+00 44…" → "44…"), so a second call never finds another prefix.
    """
    return _strip_prefix(_clean(raw))


def _strip_prefix(cleaned: str) -> str:
    # lstrip settles the common "+62…" in C; only a "00" left over needs the regex.
    cleaned = cleaned.lstrip("+")
    if cleaned.startswith("00"):
        cleaned = _PREFIX.sub("", cleaned, count=1)
    return cleaned


# normalize_lines: lines joined by a character that neither normalising nor a valid number
# keeps, cleaned and checked in a few C calls instead of one Python call per line.
_JOIN = "|"
_BLOCK_PREFIXES = re.compile(rb"\|(?:\+|00)+")  # after the separator put before every line
_VALID_BLOCK = re.compile(
    rb"[1-9][0-9]{%d,%d}(?:\|[1-9][0-9]{%d,%d})*"
    % (MIN_DIGITS - 1, MAX_DIGITS - 1, MIN_DIGITS - 1, MAX_DIGITS - 1)
)


def normalize_lines(lines: list[str]) -> list[int] | None:
    """int(normalize(line)) for every line of a one-number-per-line input, when every line is
    ASCII, holds one number (no delimiter, comment or parenthesis), and normalises to a valid
    one; None otherwise, and then each line must go the usual way, which says which is wrong."""
    text = _JOIN.join(lines)
    if (
        not text.isascii()
        or text.count(_JOIN) != len(lines) - 1
        or any(c in text for c in ",;\t#(")
    ):
        return None
    data = b"|" + text.encode().translate(None, _ASCII_DELETE)
    if b"+" in data or b"|00" in data:
        data = _BLOCK_PREFIXES.sub(b"|", data)
    if _VALID_BLOCK.fullmatch(data, 1) is None:
        return None
    return list(map(int, data[1:].split(b"|")))


def to_international(raw: str, country: str | None = None) -> tuple[str, str | None]:
    """(number, None) for a usable international number, else (normalized, reason).

    With `country` (an ISO 3166 code such as "GB", checked by check_country), a number written
    without "+" or "00" is read as a national number of that country when it is a valid one
    there ("07700 900123" → "447700900123"; in the US "202 555 0123" → "12025550123"); a number
    starting with the trunk 0 that is not valid there is refused. Anything else is read as
    international, as without `country`. The phonenumbers library is imported only here.
    """
    cleaned = _clean(raw)
    normalized = _strip_prefix(cleaned)
    if country is None or cleaned.startswith(("+", "00")):
        return normalized, check(normalized)
    national = _national(cleaned, country)
    if national is not None:
        return national, None
    if normalized.startswith("0") and normalized.isascii() and normalized.isdigit():
        return normalized, f"is not a valid number in {country} (--country / default_country)"
    return normalized, check(normalized)


def _national(cleaned: str, country: str) -> str | None:
    import phonenumbers  # ~40 ms and 20 MB of metadata: only for --country

    try:
        parsed = phonenumbers.parse(cleaned, country)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    international = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    number = international.lstrip("+")
    return number if check(number) is None else None


def check_country(code: str) -> str:
    """The ISO 3166 region code, upper-cased; UsageError unless phonenumbers knows it."""
    from smscli.errors import UsageError

    wanted = code.strip().upper()
    import phonenumbers

    if wanted not in phonenumbers.SUPPORTED_REGIONS:
        raise UsageError(
            f"unknown country {code!r}",
            hint="give a two-letter ISO 3166 code such as GB, US, ID or DE",
        )
    return wanted


def check(normalized: str) -> str | None:
    """None when `normalized` is a full international number, else the reason it is not.

    The gateways want country code + subscriber number with no trunk 0, as ASCII digits.
    """
    # isascii() matters: str.isdigit() alone accepts "²" and Arabic-Indic digits.
    if (
        normalized.isascii()
        and normalized.isdigit()
        and MIN_DIGITS <= len(normalized) <= MAX_DIGITS
        and normalized[0] != "0"
    ):
        return None
    return _reason(normalized)


_SCIENTIFIC = re.compile(r"[0-9]+(?:[.,][0-9]+)?[eE][+]?[0-9]+")


def _reason(normalized: str) -> str:
    if not normalized:
        return "empty"
    if _SCIENTIFIC.fullmatch(normalized):
        return (
            "is in scientific notation (as a spreadsheet shows 4.47E+11): its last digits are "
            "probably lost; format the column as text and export it again"
        )
    if has_letters(normalized):
        return "has letters"
    others = [c for c in dict.fromkeys(normalized) if not ("0" <= c <= "9")]
    if others and all(c.isdecimal() for c in others):
        return "has digits other than 0-9 (e.g. Arabic or Persian digits): retype them as 0-9"
    if others:
        shown = ", ".join(repr(c) for c in others[:5])
        return f"has characters that are not digits: {shown}"
    if normalized[0] == "0":
        return STARTS_WITH_ZERO
    if len(normalized) < MIN_DIGITS:
        return f"too short ({len(normalized)} digits, at least {MIN_DIGITS})"
    return f"too long ({len(normalized)} digits, at most {MAX_DIGITS})"


def has_letters(text: str) -> bool:
    # Only reached for invalid numbers and header rows, never on the hot path.
    return any(c.isalpha() for c in text)


def looks_like_number(cell: str) -> bool:
    return check(normalize(cell)) is None
