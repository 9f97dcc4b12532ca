"""Answers read from bytes as real gateways send them (real-answers.md): a BOM stripped, the
declared charset honoured (GB18030 as a fallback where a client asks for it), and numbers
written as JSON numbers kept exactly as written."""

from __future__ import annotations

import codecs
import json
from typing import Any

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Chinese servers declare the older, smaller charsets; GB18030 decodes all of them.
_CHARSET_ALIASES = {"gbk": "gb18030", "gb2312": "gb18030", "cp936": "gb18030", "x-gbk": "gb18030"}


class JsonNumber(str):
    """A JSON number with a fraction or exponent, kept as the text the gateway wrote (a float
    would turn a 19-digit id into something else). Whole numbers parse to exact ints."""

    __slots__ = ()


def number_text(value: object) -> str | None:
    """A status or count as canonical text: "0", 0, 0.0 and "0.0" all read "0". None for
    anything that is not a whole number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    text = str(value).strip()
    # Plain digits (the usual "0" or "-1") read as Decimal reads them, without Decimal: a
    # send's answers then never import it (~1 ms of a one-number send).
    if text.isdecimal() or (text[:1] == "-" and text[1:].isdecimal()):
        return str(int(text))
    from decimal import Decimal, InvalidOperation

    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or number != number.to_integral_value():
        return None
    return str(int(number))


def decode_text(content: bytes, content_type: str | None, *, fallback: str | None = None) -> str:
    """A body as text: a BOM wins, then the declared charset, then UTF-8, then `fallback`
    (e.g. "gb18030"). UnicodeDecodeError when none of them fits."""
    for bom, encoding in _BOMS:
        if content.startswith(bom):
            try:
                return content[len(bom) :].decode(encoding)
            except UnicodeDecodeError:
                # A BOM on a body in another charset: drop it, let the rest decide.
                content = content[len(bom) :]
                break
    declared = _charset(content_type)
    tried: list[str] = []
    for candidate in (declared, "utf-8", fallback):
        if candidate is None or candidate in tried:
            continue
        tried.append(candidate)
        try:
            return content.decode(candidate).removeprefix("\ufeff")
        except (UnicodeDecodeError, LookupError):
            continue
    raise UnicodeDecodeError("utf-8", content, 0, len(content), f"not {' or '.join(tried)}")


def _charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    for part in content_type.split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
            return _CHARSET_ALIASES.get(charset, charset) or None
    return None


def parse_json(content: bytes, content_type: str | None, *, fallback: str | None = None) -> Any:
    """The JSON in a body (ValueError when there is none). Numbers with a fraction or an
    exponent stay their own text (JsonNumber); whole numbers are exact ints."""
    text = decode_text(content, content_type, fallback=fallback)
    return json.loads(text, parse_float=JsonNumber)
