"""Which key of a batch record plays which part: the numbers, the content, the sender, the
order ids, and the column each template placeholder reads. Header and key names are matched
loosely ("Sender ID", "sender_id" and "senderId" are one)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from smscli.batchtemplate import Template

__all__ = ["Keys", "key_name", "resolve_keys"]

# Header / key names, compared after key_name(): "Sender ID", "sender_id" and "senderId" are one.
NUMBER_KEYS = (
    "number",
    "numbers",
    "phone",
    "phones",
    "mobile",
    "mobiles",
    "msisdn",
    "phonenumber",
    "mobilenumber",
)
CONTENT_KEYS = ("content", "message")
SENDER_KEYS = ("senderid", "sender")
ORDER_KEYS = ("orderid",)


def key_name(name: str) -> str:
    return re.sub(r"[\s_\-]", "", name).casefold()


@dataclass(frozen=True, slots=True)
class Keys:
    """Which key of a record plays which part; None when the record has no such key."""

    number: str | None
    content: str | None
    sender: str | None
    order: str | None
    fields: Mapping[str, str | None]  # template placeholder -> key


def _role(by_key: Mapping[str, str], candidates: Sequence[str]) -> str | None:
    return next((by_key[c] for c in candidates if c in by_key), None)


def _field_key(keys: Sequence[str], name: str) -> str | None:
    if name in keys:
        return name
    # "{name}" for a spreadsheet's "Name" column, as long as that is not ambiguous.
    folded = [k for k in keys if k.casefold() == name.casefold()]
    return folded[0] if len(folded) == 1 else None


def resolve_keys(keys: Sequence[str], template: Template | None) -> Keys:
    by_key: dict[str, str] = {}
    for k in keys:
        by_key.setdefault(key_name(k), k)
    names = template.names if template else ()
    return Keys(
        number=_role(by_key, NUMBER_KEYS),
        content=_role(by_key, CONTENT_KEYS),
        sender=_role(by_key, SENDER_KEYS),
        order=_role(by_key, ORDER_KEYS),
        fields={name: _field_key(keys, name) for name in names},
    )
