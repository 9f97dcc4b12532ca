"""A profile as `config list` and completion show it (settings.list_profiles): apart from
smscli.settings so that the commands that only load a profile do not build it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ProfileInfo:
    name: str
    provider: str | None
    default: bool
    built_in: bool
