"""The key registry: every profile key once, with its type, the providers that use it, its
environment variable, its default and its check. The resolver (smscli.settings), the file
writers (smscli.configfile), `config set` and `config show` all follow this table, and no
default is written anywhere else: read a resolved profile, which carries the defaults.
"""

from __future__ import annotations

import math
import pathlib
from dataclasses import dataclass

from smscli.errors import ConfigError
from smscli.keychecks import (
    Validator,
    base_url_problem,
    between,
    country_code,
    digits,
    header_safe,
    quirks_problem,
    sender_token,
)
from smscli.limits import (
    DEFAULT_CONCURRENCY,
    MAX_AMOUNT,
    MAX_BATCH_NUMBERS,
    MAX_CONCURRENCY,
    MAX_RATE,
    MAX_RETRIES,
    MAX_TIMEOUT,
    MIN_RATE,
)

SANDBOX = "sandbox"
MOBSET = "mobset"
SANDBOX_MOBSET = "sandbox-mobset"
DEFAULT_PROFILE_NAME = "main"

# provider -> default base_url. The sandboxes have none: without base_url they run in-process.
# mobset has none either: its host follows from the corp_id.
PROVIDERS: dict[str, str | None] = {
    "laaffic": "https://api.laaffic.com/v3",
    "onbuka": "https://api.onbuka.com/v3",
    "itniotech": "https://api.itniotech.com/sms",
    SANDBOX: None,
    MOBSET: None,
    SANDBOX_MOBSET: None,
}
V3_PROVIDERS = frozenset({"laaffic", "onbuka", "itniotech"})
SANDBOX_PROVIDERS = frozenset({SANDBOX, SANDBOX_MOBSET})
ALL_PROVIDERS = frozenset(PROVIDERS)

SECRET_MASK = "********"  # noqa: S105 - what a secret looks like on screen


@dataclass(frozen=True, slots=True)
class Key:
    """One profile key. Adding a provider (mobset) means adding its keys here and naming it in
    `providers` / `required_by`; the resolver, `config set` and `config show` follow."""

    name: str
    type: type
    description: str
    providers: frozenset[str] = ALL_PROVIDERS
    required_by: frozenset[str] = frozenset()
    secret: bool = False  # never shown, never accepted as a command-line value
    partly_secret: bool = False  # shown masked (first 3 and last 2 characters)
    env: str | None = None
    default: object | None = None
    validate: Validator | None = None
    credential: bool = False  # asked for by `config init`

    @property
    def type_name(self) -> str:
        return {str: "text", int: "integer", float: "number", bool: "true/false"}[self.type]


def _secrets_place(value: str) -> str | None:
    return None if value in ("keyring", "file") else "must be keyring or file"


def _known_provider(value: str) -> str | None:
    if value in PROVIDERS:
        return None
    return f"must be one of {', '.join(PROVIDERS)}"


_V3_CREDENTIAL = V3_PROVIDERS | {SANDBOX}
_MOBSET_CREDENTIAL = frozenset({MOBSET, SANDBOX_MOBSET})
_MOBSET_REQUIRED = frozenset({MOBSET})

KEYS: dict[str, Key] = {
    k.name: k
    for k in (
        Key("provider", str, "gateway: " + " | ".join(PROVIDERS), validate=_known_provider),
        Key(
            "api_key",
            str,
            "API key (Api-Key header)",
            providers=_V3_CREDENTIAL,
            required_by=V3_PROVIDERS,
            partly_secret=True,
            env="SMSCLI_API_KEY",
            validate=header_safe,
            credential=True,
        ),
        Key(
            "api_secret",
            str,
            "API secret, used to sign requests (secret: give it as -)",
            providers=_V3_CREDENTIAL,
            required_by=V3_PROVIDERS,
            secret=True,
            env="SMSCLI_API_SECRET",
            validate=header_safe,
            credential=True,
        ),
        Key(
            "app_id",
            str,
            "application id (appId)",
            providers=_V3_CREDENTIAL,
            required_by=V3_PROVIDERS,
            env="SMSCLI_APP_ID",
            validate=header_safe,
            credential=True,
        ),
        Key(
            "corp_id",
            str,
            "mobset enterprise id (CorpID); picks the gateway host",
            providers=_MOBSET_CREDENTIAL,
            required_by=_MOBSET_REQUIRED,
            env="SMSCLI_CORP_ID",
            validate=digits,
            credential=True,
        ),
        Key(
            "login_name",
            str,
            "mobset login name (LoginName)",
            providers=_MOBSET_CREDENTIAL,
            required_by=_MOBSET_REQUIRED,
            env="SMSCLI_LOGIN_NAME",
            credential=True,
        ),
        Key(
            "password",
            str,
            "mobset login password, used to sign requests (secret: give it as -)",
            providers=_MOBSET_CREDENTIAL,
            required_by=_MOBSET_REQUIRED,
            secret=True,
            env="SMSCLI_PASSWORD",
            credential=True,
        ),
        Key(
            "sender_id",
            str,
            "default sender id (senderId), optional",
            # mobset has no sender id.
            providers=ALL_PROVIDERS - _MOBSET_CREDENTIAL,
            credential=True,
            validate=sender_token,
        ),
        Key(
            "base_url",
            str,
            "API base URL; overrides the provider's default host (https)",
            validate=base_url_problem,
            credential=True,
        ),
        Key(
            "default_country",
            str,
            "read national numbers (07700 900123) as numbers of this country, e.g. GB",
            validate=country_code,
        ),
        Key(
            "timeout",
            float,
            "HTTP timeout in seconds",
            default=30.0,
            validate=between(0.1, MAX_TIMEOUT),
        ),
        Key(
            "confirm_over",
            int,
            "ask before sending to more than this many numbers (terminal)",
            default=100,
            validate=between(0, 10**9),
        ),
        Key(
            "concurrency",
            int,
            "parallel requests for large sends",
            default=DEFAULT_CONCURRENCY,
            validate=between(1, MAX_CONCURRENCY, "concurrency"),
        ),
        Key(
            "rate",
            float,
            "at most this many requests per second (unset: no pacing)",
            validate=between(MIN_RATE, MAX_RATE, "rate"),
        ),
        Key(
            "retries",
            int,
            "attempts for a request that provably did not arrive (connect error, 429, -15, -16)",
            default=3,
            validate=between(1, MAX_RETRIES),
        ),
        Key(
            "low_balance",
            float,
            "`balance` exits 3 below this amount (mobset: a number of messages)",
            validate=between(0, MAX_AMOUNT),
        ),
        Key(
            "batch_max_numbers",
            int,
            "numbers per request chunk (at most the provider's: mobset 50)",
            default=1000,
            validate=between(1, MAX_BATCH_NUMBERS, "max-numbers"),
        ),
        Key(
            "secrets",
            str,
            "where the profile's secrets live: keyring (the OS keyring) or file (this 0600 "
            "file); chosen by `config set`, changed by `config move-secrets`",
            validate=_secrets_place,
        ),
        Key("history", bool, "record sends in the local history", default=True),
        Key("store_content", bool, "keep message text in the history", default=True),
        Key(
            "drain_reports",
            bool,
            "`report` pulls mobset's report queue (each report is handed out once: on an "
            "account shared with other systems, they lose what smscli takes); unset: pull "
            "and warn once",
            providers=_MOBSET_CREDENTIAL,
        ),
        Key(
            "sandbox_quirks",
            str,
            "answer like real gateways do, e.g. bom,numbers,no-credit "
            "(smscli sandbox quirks lists them)",
            providers=SANDBOX_PROVIDERS,
            # SMSCLI_SANDBOX_QUIRKS adds to it (read by providers._quirks: env overrides are
            # not applied to sandbox profiles).
            validate=quirks_problem,
        ),
    )
}


def key_info(key: str) -> Key:
    try:
        return KEYS[key]
    except KeyError:
        raise ConfigError(
            f"unknown config key {key!r}", hint=f"valid keys: {', '.join(KEYS)}"
        ) from None


def keys_for(provider: str) -> list[Key]:
    return [k for k in KEYS.values() if provider in k.providers]


def required_keys(provider: str) -> tuple[str, ...]:
    return tuple(k.name for k in KEYS.values() if provider in k.required_by)


def keys_help() -> str:
    """The key list for `config set --help` (\\b keeps Click from rewrapping it)."""
    width = max(len(k) for k in KEYS)
    lines = [f"  {k.name.ljust(width)}  {k.type_name}: {k.description}" for k in KEYS.values()]
    return "\b\nKeys:\n" + "\n".join(lines)


def mask(key: str, value: object) -> object:
    """The value as it may be displayed: secrets hidden, the api key partly."""
    if value is None:
        return None
    info = KEYS.get(key)
    if info is not None and info.secret:
        return SECRET_MASK
    if info is not None and info.partly_secret:
        text = str(value)
        # Same shape as the gateways' trace: enough to tell keys apart, not enough to use.
        return "…" if len(text) <= 6 else f"{text[:3]}…{text[-2:]}"
    return value


# --------------------------------------------------------------------------- values

_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


def parse_value(key: str, raw: object) -> object:
    """A typed, validated value for `key`, from the file's TOML value or from text (option,
    env, `config set`). The problem is raised as ValueError without the value: callers add
    where it came from, and the value may be a secret."""
    info = key_info(key)
    value = _coerce(info, raw)
    if info.validate is not None:
        problem = info.validate(value)
        if problem:
            raise ValueError(problem)
    return value


def _coerce(info: Key, raw: object) -> object:
    if info.type is str:
        if not isinstance(raw, str):
            raise ValueError("must be text (in quotes in the file)")
        if not raw:
            raise ValueError("must not be empty")
        if any("\ud800" <= char <= "\udfff" for char in raw):
            # An argv or env byte the locale could not decode: no file or request can hold it.
            raise ValueError("is not UTF-8 text (retype it, or use a UTF-8 locale)")
        return raw
    if info.type is bool:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
            return raw.strip().lower() in _TRUE
        raise ValueError("must be true or false")
    if info.type is int:
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if isinstance(raw, str):
            try:
                return int(raw.strip())
            except ValueError:
                pass
        raise ValueError("must be a whole number")
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        number = float(raw)
    elif isinstance(raw, str):
        try:
            number = float(raw.strip())
        except ValueError:
            raise ValueError("must be a number") from None
    else:
        raise ValueError("must be a number")
    if not math.isfinite(number):
        raise ValueError("must be a finite number")
    return number


def set_command(key: str, profile: str) -> str:
    """The exact command that fixes a missing or wrong `key` (secrets are read from stdin)."""
    info = KEYS.get(key)
    if info is not None and info.secret:
        return f"smscli config set {key} - --profile {profile} (reads the value from stdin)"
    if key == "provider":
        return f"smscli config set provider {'|'.join(PROVIDERS)} --profile {profile}"
    return f"smscli config set {key} VALUE --profile {profile}"


def missing_key_error(profile: str, key: str, path: pathlib.Path) -> ConfigError:
    info = KEYS.get(key)
    hint = f"run: {set_command(key, profile)}"
    if info is not None and info.env:
        hint += f", or set {info.env}"
    return ConfigError(f"profile {profile!r} has no {key} in {path}", hint=hint)
