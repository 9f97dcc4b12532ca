"""Profiles: the TOML config file, the key registry and the precedence resolver.

Precedence, highest first: command-line option > environment > profile in the file > built-in
default. Every resolved value carries its source so `config show` can say where it came from.

Pure on purpose (no typer, no rich, no printing): the gateway factory and every command import
it, and warnings are returned for the caller to show.
"""

from __future__ import annotations

import contextlib
import math
import os
import pathlib
import re
import stat
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import platformdirs
import tomli_w

from smscli.errors import ConfigError
from smscli.limits import (
    MAX_AMOUNT,
    MAX_BATCH_NUMBERS,
    MAX_CONCURRENCY,
    MAX_RATE,
    MAX_RETRIES,
    MAX_TIMEOUT,
    MIN_RATE,
)

APP_NAME = "smscli"
CONFIG_ENV = "SMSCLI_CONFIG"
DATA_DIR_ENV = "SMSCLI_DATA_DIR"
PROFILE_ENV = "SMSCLI_PROFILE"
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
SOURCE_DEFAULT = "built-in default"
SOURCE_BUILTIN_SANDBOX = "built-in sandbox profile"
_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
# mobset publishes plain-HTTP endpoints (providers.md B.1); its client warns when one is used.
_MOBSET_HTTP_HOSTS = frozenset({"sms.mobset.com", "sms2.mobset.com", "sms3.mobset.com"})
_PROFILE_NAME = r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}"
_TOP_LEVEL_KEYS = frozenset({"default_profile", "profiles"})


# --------------------------------------------------------------------------- key registry

Validator = Callable[[Any], str | None]  # returns a problem ("must be > 0") or None


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


def base_url_problem(url: str) -> str | None:
    """https everywhere; plain http only for a loopback host (the sandbox server, tests) and
    for mobset's documented HTTP hosts (the mobset client warns when one is used)."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return "is not a valid URL"
    if not host:
        return "must be a full URL such as https://api.example.com/v3"
    if parts.scheme == "https":
        return None
    if parts.scheme == "http":
        if _is_loopback(host) or host.lower() in _MOBSET_HTTP_HOSTS:
            return None
        return (
            "must use https (plain http only for 127.0.0.1, localhost, ::1 or mobset's "
            "sms/sms2/sms3.mobset.com)"
        )
    return "must start with https://"


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    import ipaddress

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _header_safe(value: str) -> str | None:
    # These travel in HTTP headers or the signature: a non-ASCII character, a newline or a
    # space pasted along with the key cannot be sent (or would be a different key). Said here,
    # when the profile is read, instead of as a traceback after the job has started.
    if value.isascii() and value.isprintable() and " " not in value:
        return None
    return (
        "must be printable ASCII with no spaces or line breaks "
        "(copy it again from the account page)"
    )


def _sender_token(value: str) -> str | None:
    from smscli.argtext import sender_problem

    return sender_problem(value)


def _country_code(value: str) -> str | None:
    if len(value) == 2 and value.isascii() and value.isalpha():
        return None
    return "must be a two-letter ISO 3166 country code such as GB, US or ID"


def _between(low: float, high: float, flag: str | None = None) -> Validator:
    """The bounds a value shares with its command-line option, so a profile cannot set what
    the option would refuse (concurrency = 100000, rate = 1e-10)."""
    same = f" (as --{flag})" if flag else ""

    def problem(value: float) -> str | None:
        if low <= value <= high:
            return None
        return f"must be between {low:g} and {high:g}{same}"

    return problem


def _quirks_problem(value: str) -> str | None:
    from smscli.sandbox.quirks import problem

    return problem(value)


def _digits(value: str) -> str | None:
    return None if value.isascii() and value.isdigit() else "must be digits only"


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
            validate=_header_safe,
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
            validate=_header_safe,
            credential=True,
        ),
        Key(
            "app_id",
            str,
            "application id (appId)",
            providers=_V3_CREDENTIAL,
            required_by=V3_PROVIDERS,
            env="SMSCLI_APP_ID",
            validate=_header_safe,
            credential=True,
        ),
        Key(
            "corp_id",
            str,
            "mobset enterprise id (CorpID); picks the gateway host",
            providers=_MOBSET_CREDENTIAL,
            required_by=_MOBSET_REQUIRED,
            env="SMSCLI_CORP_ID",
            validate=_digits,
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
            validate=_sender_token,
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
            validate=_country_code,
        ),
        Key(
            "timeout",
            float,
            "HTTP timeout in seconds",
            default=30.0,
            validate=_between(0.1, MAX_TIMEOUT),
        ),
        Key(
            "confirm_over",
            int,
            "ask before sending to more than this many numbers (terminal)",
            default=100,
            validate=_between(0, 10**9),
        ),
        Key(
            "concurrency",
            int,
            "parallel requests for large sends",
            default=4,
            validate=_between(1, MAX_CONCURRENCY, "concurrency"),
        ),
        Key(
            "rate",
            float,
            "at most this many requests per second (unset: no pacing)",
            validate=_between(MIN_RATE, MAX_RATE, "rate"),
        ),
        Key(
            "retries",
            int,
            "attempts for a request that provably did not arrive (connect error, 429, -15, -16)",
            default=3,
            validate=_between(1, MAX_RETRIES),
        ),
        Key(
            "low_balance",
            float,
            "`balance` exits 3 below this amount (mobset: a number of messages)",
            validate=_between(0, MAX_AMOUNT),
        ),
        Key(
            "batch_max_numbers",
            int,
            "numbers per request chunk (at most the provider's: mobset 50)",
            default=1000,
            validate=_between(1, MAX_BATCH_NUMBERS, "max-numbers"),
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
            validate=_quirks_problem,
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


# --------------------------------------------------------------------------- paths


def config_path() -> pathlib.Path:
    override = os.environ.get(CONFIG_ENV)
    if override:
        return pathlib.Path(override).expanduser()
    return pathlib.Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def data_dir() -> pathlib.Path:
    """The data dir, created 0700 if missing: it holds the history (phone numbers, messages)
    and the sandboxes' state, so whichever of them comes first must not leave it readable."""
    override = os.environ.get(DATA_DIR_ENV)
    path = (
        pathlib.Path(override).expanduser()
        if override
        else pathlib.Path(platformdirs.user_data_dir(APP_NAME))
    )
    # On failure the caller's own open reports the problem, with its path.
    with contextlib.suppress(OSError):
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


# --------------------------------------------------------------------------- resolved profile


@dataclass(frozen=True, slots=True)
class Setting:
    value: object
    source: str


@dataclass(frozen=True, slots=True)
class ResolvedProfile:
    name: str
    provider: str
    values: Mapping[str, Setting]
    path: pathlib.Path
    warnings: tuple[str, ...] = ()
    # How the profile was chosen: "option --profile", "env SMSCLI_PROFILE", ...
    name_source: str = ""

    def get(self, key: str) -> object | None:
        setting = self.values.get(key)
        return None if setting is None else setting.value

    def _typed(self, key: str, kind: type | tuple[type, ...]) -> Any:
        value = self.get(key)
        if value is not None and not isinstance(value, kind):
            raise TypeError(f"{key} is a {type(value).__name__}, not {kind}")
        return value

    def get_str(self, key: str) -> str | None:
        value: str | None = self._typed(key, str)
        return value

    def get_int(self, key: str) -> int | None:
        value: int | None = self._typed(key, int)
        return value

    def get_float(self, key: str) -> float | None:
        value = self._typed(key, (int, float))
        return None if value is None else float(value)

    def get_bool(self, key: str) -> bool | None:
        value: bool | None = self._typed(key, bool)
        return value

    def require(self, key: str) -> str:
        value = self.get(key)
        if value is None or value == "":
            raise missing_key_error(self.name, key, self.path)
        return str(value)

    def check_required(self) -> None:
        """Raise for the first key the provider needs and the profile lacks."""
        for key in required_keys(self.provider):
            self.require(key)

    @property
    def base_url(self) -> str | None:
        url = self.get_str("base_url") or PROVIDERS.get(self.provider)
        # Stored as written; callers join paths onto it.
        return url.rstrip("/") if url else None


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


# --------------------------------------------------------------------------- reading


def _read_toml(path: pathlib.Path) -> dict[str, Any] | None:
    """The parsed file, or None when it does not exist."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise ConfigError(
            f"config path {path} is a directory", hint=f"point {CONFIG_ENV} at a file"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(
            f"config file {path} is not UTF-8 text", hint="re-save it as UTF-8"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(path, exc) from None


# Patterns as strings, compiled (and cached by `re`) on first use: start-up stays cheap.
_COORDS = r"\(at (line \d+, column \d+|end of document)\)"
_QUOTED = r"'[^']*'|\"[^\"]*\"|\([^)]*\)"
_PUNCTUATION = r"['\"][\]\[=,{}\\]{1,2}['\"]"


def _toml_error(path: pathlib.Path, exc: tomllib.TOMLDecodeError) -> ConfigError:
    """Where the file is broken, never what it says: the file holds secrets, and some of
    tomllib's messages quote the offending text."""
    text = str(exc)
    coords = re.search(_COORDS, text)
    where = coords.group(1) if coords else "unknown position"
    reason = text[: coords.start()].strip() if coords else "syntax error"

    def scrub(match: re.Match[str]) -> str:
        token = match.group(0)
        return token if re.fullmatch(_PUNCTUATION, token) else "…"

    reason = re.sub(_QUOTED, scrub, reason)
    return ConfigError(
        f"config file {path} is not valid TOML ({where}: {reason})",
        hint=f"fix that line; or move the file away and run: smscli config init, or set "
        f"{CONFIG_ENV} to use another file",
    )


def _permission_warning(path: pathlib.Path) -> str | None:
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if os.name == "posix" and mode & (stat.S_IRGRP | stat.S_IROTH):
        return f"config file {path} is readable by other users; run: chmod 600 {path}"
    return None


def _refuse_if_writable_by_others(path: pathlib.Path) -> None:
    """A config file that another user can change (itself, or by replacing it in its
    directory) can point base_url at their server and collect the key and every message: its
    profiles are not used until the permissions are fixed."""
    if os.name != "posix":
        return
    try:
        info = path.stat()
        parent = path.parent.stat()
    except OSError:
        return
    writable = stat.S_IWGRP | stat.S_IWOTH
    if info.st_mode & writable:
        raise ConfigError(
            f"config file {path} is writable by other users, so its profiles are not used: "
            "anyone on this machine could change where messages (and the key) go",
            hint=f"run: chmod go-w {path}",
        )
    # The sticky bit (/tmp) stops others from replacing a file they do not own.
    if parent.st_mode & writable and not parent.st_mode & stat.S_ISVTX:
        raise ConfigError(
            f"config directory {path.parent} is writable by other users, so the profiles in "
            f"{path.name} are not used: anyone on this machine could replace the file",
            hint=f"run: chmod go-w {path.parent}",
        )


def _profiles_table(data: Mapping[str, Any], path: pathlib.Path) -> dict[str, Any]:
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigError(
            f"config file {path}: 'profiles' must be a table ([profiles.NAME])",
            hint="see: smscli config init --help",
        )
    return profiles


def _default_name(data: Mapping[str, Any], path: pathlib.Path) -> str | None:
    default = data.get("default_profile")
    if default is not None and not isinstance(default, str):
        raise ConfigError(
            f"config file {path}: default_profile must be text", hint="run: smscli config use NAME"
        )
    return default or None


def _choose_name(
    name: str | None,
    data: Mapping[str, Any] | None,
    env: Mapping[str, str],
    path: pathlib.Path,
) -> tuple[str | None, str]:
    if name is not None:
        if not name.strip():
            # Not "the default": an empty -p is most often an unset shell variable.
            raise ConfigError(
                "--profile is empty", hint="name a profile (smscli config list), or leave -p out"
            )
        return name, "option --profile"
    if env.get(PROFILE_ENV):
        return env[PROFILE_ENV], f"env {PROFILE_ENV}"
    if data is None:
        return None, ""
    default = _default_name(data, path)
    if default:
        return default, f"default_profile in {path}"
    profiles = _profiles_table(data, path)
    if len(profiles) == 1:
        return next(iter(profiles)), f"the only profile in {path}"
    return None, ""


def _no_config_error(path: pathlib.Path) -> ConfigError:
    return ConfigError(
        f"no config file at {path}",
        hint="run: smscli config init, or smscli config init --sandbox (or use -p sandbox) "
        "to try the offline sandbox",
    )


def _chosen_or_error(
    name: str | None,
    data: Mapping[str, Any] | None,
    env: Mapping[str, str],
    path: pathlib.Path,
) -> tuple[str, str]:
    chosen, source = _choose_name(name, data, env, path)
    if chosen is not None:
        from smscli.argtext import token_problem

        problem = token_problem(chosen)
        if problem is not None:
            # Shown with repr escaping: a raw line break would split the one-line error.
            raise ConfigError(f"invalid profile name {chosen!r} ({source}): it {problem}")
        return chosen, source
    if data is None:
        raise _no_config_error(path)
    known = ", ".join(profile_names(data, path))
    raise ConfigError(
        f"no profile chosen and no default_profile in {path}",
        hint=f"pass --profile NAME or run: smscli config use NAME (profiles: {known})",
    )


def choose_profile_name(
    name: str | None = None, *, env: Mapping[str, str] | None = None
) -> tuple[str, str]:
    """The profile `load_profile` would use, and why: (name, source). Needs the profile to be
    named or defaulted, not to exist or be complete (`config set` fixes incomplete ones)."""
    path = config_path()
    return _chosen_or_error(name, _read_toml(path), os.environ if env is None else env, path)


def profile_names(data: Mapping[str, Any] | None, path: pathlib.Path) -> list[str]:
    """The file's profiles, then the built-in sandbox when the file does not define one."""
    names = list(_profiles_table(data, path)) if data else []
    if SANDBOX not in names:
        names.append(SANDBOX)
    return names


def load_profile(
    name: str | None = None,
    *,
    overrides: Mapping[str, object | None] | None = None,
    env: Mapping[str, str] | None = None,
) -> ResolvedProfile:
    """Resolve one profile: option (`overrides`) > env > file > default."""
    env = os.environ if env is None else env
    path = config_path()
    data = _read_toml(path)
    chosen, name_source = _chosen_or_error(name, data, env, path)
    warnings: list[str] = []
    profiles = _profiles_table(data, path) if data is not None else {}
    if chosen in profiles:
        raw = profiles[chosen]
        if not isinstance(raw, dict):
            raise ConfigError(
                f"config file {path}: profiles.{chosen} must be a table",
                hint=f"see: smscli config show --profile {chosen}",
            )
        file_source = f"profile {chosen} ({path})"
        _refuse_if_writable_by_others(path)
        perm = _permission_warning(path)
        if perm:
            warnings.append(perm)
    elif chosen == SANDBOX:
        raw, file_source = {"provider": SANDBOX}, SOURCE_BUILTIN_SANDBOX
    elif data is None:
        raise _no_config_error(path)
    else:
        known = ", ".join(profile_names(data, path))
        init = f"; or run: smscli config init --profile {chosen}"
        raise ConfigError(
            f"no profile {chosen!r} in {path}",
            hint=f"known profiles: {known}" + (init if _valid_name(chosen) else ""),
        )
    if data is not None:
        warnings.extend(_unknown_top_level(data, path))
    values = _resolve(chosen, raw, file_source, path, overrides or {}, env, warnings)
    provider = values["provider"].value
    assert isinstance(provider, str)  # noqa: S101 - validated by _resolve
    return ResolvedProfile(
        name=chosen,
        provider=provider,
        values=values,
        path=path,
        warnings=tuple(warnings),
        name_source=name_source,
    )


def _unknown_top_level(data: Mapping[str, Any], path: pathlib.Path) -> list[str]:
    return [
        f"unknown top-level key '{k}' in {path} ignored" for k in data if k not in _TOP_LEVEL_KEYS
    ]


def _resolve(
    name: str,
    raw: Mapping[str, Any],
    file_source: str,
    path: pathlib.Path,
    overrides: Mapping[str, object | None],
    env: Mapping[str, str],
    warnings: list[str],
) -> dict[str, Setting]:
    values = _saved_values(name, raw, file_source, path, warnings)
    if overrides.get("provider") is not None:
        values["provider"] = Setting(
            _option_value("provider", overrides["provider"]), "option --provider"
        )
    if "provider" not in values:
        raise ConfigError(
            f"profile {name!r} has no provider in {path}",
            hint=f"run: {set_command('provider', name)}",
        )
    provider = values["provider"].value
    assert isinstance(provider, str)  # noqa: S101 - parse_value checked it
    if provider not in SANDBOX_PROVIDERS:
        # Env credentials belong to a real account: the simulator has its own test ones, and
        # a real key sent to it would only fail its signature check.
        for info in KEYS.values():
            if info.env and provider in info.providers and env.get(info.env):
                _env_override(name, info, env[info.env], values, warnings)
    for key, raw_value in overrides.items():
        if raw_value is not None and key != "provider":
            values[key] = Setting(_option_value(key, raw_value), f"option --{_flag(key)}")
    if raw.get("secrets") == "keyring":
        _keyring_values(name, provider, raw, values, warnings)
    for info in keys_for(provider):
        if info.name not in values and info.default is not None:
            values[info.name] = Setting(info.default, SOURCE_DEFAULT)
    for key in list(values):
        if provider not in KEYS[key].providers:
            warnings.append(f"key '{key}' is not used by provider {provider} (profile {name})")
    return values


def _keyring_values(
    name: str,
    provider: str,
    raw: Mapping[str, Any],
    values: dict[str, Setting],
    warnings: list[str],
) -> None:
    """The secrets a profile keeps in the OS keyring, unless the environment or the file
    already gave them (the keyring is then never asked, nor imported)."""
    from smscli import secrets

    wanted = [k for k in secrets.secret_keys(provider) if k not in values]
    if not wanted:
        return
    if not secrets.available():
        warnings.append(
            f"profile {name} keeps its {', '.join(wanted)} in the OS keyring, and none is "
            f"available here (keyring backend: {secrets.backend_name()})"
        )
        return
    for key in wanted:
        value = secrets.get(name, key)
        if value:
            values[key] = Setting(value, f"OS keyring ({secrets.backend_name()})")


def _saved_values(
    name: str, raw: Mapping[str, Any], source: str, path: pathlib.Path, warnings: list[str]
) -> dict[str, Setting]:
    values: dict[str, Setting] = {}
    for key, raw_value in raw.items():
        if key not in KEYS:
            warnings.append(f"unknown key '{key}' in profile {name} ({path}) ignored")
            continue
        if raw_value == "":
            continue  # an empty placeholder reads as "not set": `require` explains what to do
        try:
            values[key] = Setting(parse_value(key, raw_value), source)
        except ValueError as exc:
            raise ConfigError(
                f"profile {name!r} in {path}: {key} {exc}", hint=f"run: {set_command(key, name)}"
            ) from None
    return values


def _env_override(
    name: str, info: Key, text: str, values: dict[str, Setting], warnings: list[str]
) -> None:
    try:
        value = parse_value(info.name, text)
    except ValueError as exc:
        raise ConfigError(f"env {info.env}: {exc}") from None
    saved = values.get(info.name)
    if saved is not None and saved.value != value:
        warnings.append(f"{info.env} overrides the {info.name} saved in profile {name}")
    values[info.name] = Setting(value, f"env {info.env}")


def _option_value(key: str, raw: object) -> object:
    try:
        return parse_value(key, raw)
    except ValueError as exc:
        raise ConfigError(f"option --{_flag(key)} {exc}") from None


def _flag(key: str) -> str:
    return key.replace("_", "-")


# --------------------------------------------------------------------------- listing


@dataclass(frozen=True, slots=True)
class ProfileInfo:
    name: str
    provider: str | None
    default: bool
    built_in: bool


def list_profiles(path: pathlib.Path | None = None) -> list[ProfileInfo]:
    """Every profile, tolerant of half-written ones (`config list` must work to fix them)."""
    path = path or config_path()
    data = _read_toml(path)
    profiles = _profiles_table(data, path) if data else {}
    chosen, _ = _choose_name(None, data, {}, path)
    result = []
    for name in profile_names(data, path):
        table = profiles.get(name)
        provider = table.get("provider") if isinstance(table, dict) else None
        built_in = name == SANDBOX and name not in profiles
        result.append(
            ProfileInfo(
                name=name,
                provider=SANDBOX if built_in else (provider if isinstance(provider, str) else None),
                default=name == chosen,
                built_in=built_in,
            )
        )
    return result


# --------------------------------------------------------------------------- writing


def read_config_for_update(path: pathlib.Path) -> dict[str, Any]:
    """The file as a plain dict to edit and save; {} when it does not exist yet. A broken
    file is an error rather than {}: saving over it would lose the user's profiles."""
    data = _read_toml(path)
    return {} if data is None else data


def save_config(path: pathlib.Path, data: Mapping[str, Any]) -> None:
    """Atomically replace the file: temp file in the same directory, 0600 before any byte is
    written, fsync, os.replace. Refuses a symlink: writing through it would land the secrets
    wherever it points, and replacing it would silently break the user's setup."""
    if path.is_symlink():
        raise ConfigError(
            f"refusing to write the config file: {path} is a symlink",
            hint=f"point {CONFIG_ENV} at the real file",
        )
    text = tomli_w.dumps(dict(data))
    _make_dir(path.parent)
    try:
        _write_replace(path, text)
    except OSError as exc:
        raise ConfigError(f"cannot write config file {path}: {exc.strerror or exc}") from None
    _fsync_dir(path.parent)


def _write_replace(path: pathlib.Path, text: str) -> None:
    import tempfile  # only writers pay for it

    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = pathlib.Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            if hasattr(os, "fchmod"):  # mkstemp made it 0600 already; be explicit where we can
                os.fchmod(handle.fileno(), 0o600)
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _make_dir(directory: pathlib.Path) -> None:
    if directory.is_dir():
        return  # an existing directory is the user's: leave its mode alone
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create config directory {directory}: {exc.strerror}") from None


def _fsync_dir(directory: pathlib.Path) -> None:
    # Makes the rename durable; not possible everywhere (Windows), so best effort.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _valid_name(name: str) -> bool:
    return re.fullmatch(_PROFILE_NAME, name) is not None


def check_profile_name(name: str) -> str:
    if not _valid_name(name):
        raise ConfigError(
            f"invalid profile name {name!r}",
            hint="use letters, digits, '-' and '_' (up to 64, starting with a letter or digit)",
        )
    return name


def _profile_table(data: dict[str, Any], name: str, path: pathlib.Path) -> dict[str, Any] | None:
    table = _profiles_table(data, path).get(name)
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"config file {path}: profiles.{name} must be a table")
    return table


def write_profile(
    name: str,
    values: Mapping[str, object],
    *,
    make_default: bool | None = None,
    force: bool = False,
    path: pathlib.Path | None = None,
) -> pathlib.Path:
    """Create (or with `force` replace) a whole profile. `make_default` None: only when the
    file has no default yet. Returns the path written."""
    path = path or config_path()
    check_profile_name(name)
    data = read_config_for_update(path)
    if _profile_table(data, name, path) is not None and not force:
        raise ConfigError(
            f"profile '{name}' already exists in {path}",
            hint=f"add --force to replace it, or use: smscli config set KEY VALUE --profile {name}",
        )
    table = {key: _checked(key, value) for key, value in values.items() if value is not None}
    if "provider" not in table:
        raise ConfigError(
            f"profile '{name}' needs a provider", hint=f"one of {', '.join(PROVIDERS)}"
        )
    data.setdefault("profiles", {})[name] = table
    if make_default or (make_default is None and not _default_name(data, path)):
        data["default_profile"] = name
    save_config(path, data)
    return path


def _checked(key: str, value: object) -> object:
    try:
        return parse_value(key, value)
    except ValueError as exc:
        raise ConfigError(f"{key} {exc}", hint=f"{key}: {KEYS[key].description}") from None


def set_value(name: str, key: str, value: object, *, path: pathlib.Path | None = None) -> object:
    """Save one key in a profile; returns the typed value saved. A profile that does not exist
    yet is created only by setting its provider first, so every saved profile has one."""
    path = path or config_path()
    info = key_info(key)
    typed = _checked(key, value)
    data = read_config_for_update(path)
    table = _profile_table(data, name, path)
    if table is None:
        table = _new_profile_table(name, key, data, path)
    provider = typed if key == "provider" else table.get("provider")
    if isinstance(provider, str) and provider not in info.providers:
        raise ConfigError(
            f"{key} is not used by provider {provider}",
            hint=f"keys for {provider}: {', '.join(k.name for k in keys_for(provider))}",
        )
    table[key] = typed
    save_config(path, data)
    return typed


def _new_profile_table(
    name: str, key: str, data: dict[str, Any], path: pathlib.Path
) -> dict[str, Any]:
    if name == SANDBOX:
        table: dict[str, Any] = {"provider": SANDBOX}  # the built-in one, now saved
    elif key == "provider":
        check_profile_name(name)
        table = {}
    else:
        check_profile_name(name)
        raise ConfigError(
            f"no profile {name!r} in {path}",
            hint=f"run: smscli config init --profile {name}, or first: "
            f"{set_command('provider', name)}",
        )
    data.setdefault("profiles", {})[name] = table
    return table


def unset_value(name: str, key: str, *, path: pathlib.Path | None = None) -> bool:
    """Remove one key from a profile; False when it was not set."""
    path = path or config_path()
    key_info(key)
    if key == "provider":
        raise ConfigError(
            "a profile cannot be without a provider", hint=f"run: {set_command('provider', name)}"
        )
    data = read_config_for_update(path)
    table = _profile_table(data, name, path)
    if table is None or key not in table:
        return False
    del table[key]
    save_config(path, data)
    return True


def remove_profile(name: str, *, path: pathlib.Path | None = None) -> bool:
    """Delete a profile; returns True when it was the default (which is then unset)."""
    path = path or config_path()
    data = read_config_for_update(path)
    profiles = _profiles_table(data, path) if data else {}
    if name not in profiles:
        if name == SANDBOX:
            raise ConfigError("the built-in sandbox profile cannot be removed")
        raise _unknown_profile(name, data, path)
    del profiles[name]
    was_default = data.get("default_profile") == name
    if was_default:
        del data["default_profile"]
    save_config(path, data)
    return was_default


def set_default(name: str, *, path: pathlib.Path | None = None) -> None:
    path = path or config_path()
    data = read_config_for_update(path)
    if name not in profile_names(data, path):
        raise _unknown_profile(name, data, path)
    data["default_profile"] = name
    save_config(path, data)


def _unknown_profile(name: str, data: Mapping[str, Any], path: pathlib.Path) -> ConfigError:
    known = ", ".join(profile_names(data, path))
    return ConfigError(f"no profile {name!r} in {path}", hint=f"known profiles: {known}")
