"""Message templates for `smscli batch -m "Hi {name}"`: `{column}` placeholders filled from
each row, `{{` and `}}` for literal braces."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from smscli.errors import UsageError

__all__ = ["Template", "brace", "parse_template"]

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


@dataclass(frozen=True, slots=True)
class Template:
    """`literals` has one more item than `fields`: literal, field, literal, …, literal."""

    literals: tuple[str, ...]
    fields: tuple[str, ...]

    @property
    def source(self) -> str:
        """The template as the user wrote it (braces in literals escaped again)."""
        parts = [self.literals[0].replace("{", "{{").replace("}", "}}")]
        for name, literal in zip(self.fields, self.literals[1:], strict=True):
            parts.append(f"{{{name}}}")
            parts.append(literal.replace("{", "{{").replace("}", "}}"))
        return "".join(parts)

    @property
    def names(self) -> tuple[str, ...]:
        """Each placeholder once, in order of first use."""
        return tuple(dict.fromkeys(self.fields))

    def fill(self, values: Mapping[str, str]) -> str:
        """The text with every placeholder replaced by values[name], verbatim."""
        out = [self.literals[0]]
        for name, literal in zip(self.fields, self.literals[1:], strict=True):
            out.append(values[name])
            out.append(literal)
        return "".join(out)


def parse_template(text: str) -> Template:
    """`{name}` is a placeholder (surrounding spaces ignored); `{{` and `}}` are literal braces."""
    literals: list[str] = []
    fields: list[str] = []
    current: list[str] = []
    position = 0
    for match in _TOKEN.finditer(text):
        current.append(text[position : match.start()])
        position = match.end()
        token = match.group(0)
        if token in ("{{", "}}"):
            current.append(token[0])
            continue
        name = match.group(1)
        if name is None:
            raise UsageError(
                f"the message template has an unmatched {token!r} at character {match.start() + 1}",
                hint="write {{ and }} for literal braces",
            )
        if not name.strip():
            raise UsageError(
                "the message template has an empty placeholder {}",
                hint="name a column, e.g. {name}; write {{ and }} for literal braces",
            )
        literals.append("".join(current))
        fields.append(name.strip())
        current = []
    current.append(text[position:])
    literals.append("".join(current))
    return Template(tuple(literals), tuple(fields))



def brace(name: str) -> str:
    """A template placeholder as the user wrote it, escaped when it holds a line break or
    another control character (an error stays one line)."""
    return "{" + (name if name.isprintable() else repr(name)[1:-1]) + "}"

