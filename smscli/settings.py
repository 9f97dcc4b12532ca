"""Profiles resolved: which profile, and which value of each key wins, with where it came
from; and the data dir. The key registry is smscli.profilekeys, the file smscli.configfile.

Precedence, highest first: command-line option > environment > profile in the file > built-in
default. Every resolved value carries its source so `config show` can say where it came from.

Pure on purpose (no typer, no rich, no printing): the gateway factory and every command import
it, and warnings are returned for the caller to show.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from smscli.configfile import (
    APP_NAME,
    config_path,
    default_name,
    permission_warning,
    profile_names,
    profiles_table,
    read_toml,
    refuse_if_writable_by_others,
    valid_name,
)
from smscli.errors import ConfigError
from smscli.profilekeys import (
    KEYS,
    PROVIDERS,
    SANDBOX,
    SANDBOX_PROVIDERS,
    Key,
    keys_for,
    missing_key_error,
    parse_value,
    required_keys,
    set_command,
)

if TYPE_CHECKING:
    from smscli.profileinfo import ProfileInfo

DATA_DIR_ENV = "SMSCLI_DATA_DIR"
PROFILE_ENV = "SMSCLI_PROFILE"
SOURCE_DEFAULT = "built-in default"
SOURCE_BUILTIN_SANDBOX = "built-in sandbox profile"
_TOP_LEVEL_KEYS = frozenset({"default_profile", "profiles"})


def data_dir() -> pathlib.Path:
    """The data dir, created 0700 if missing: it holds the history (phone numbers, messages)
    and the sandboxes' state, so whichever of them comes first must not leave it readable."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        path = pathlib.Path(override).expanduser()
    else:
        import platformdirs  # only when no override names the directory

        path = pathlib.Path(platformdirs.user_data_dir(APP_NAME))
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

    # A key the registry gives a default (timeout, concurrency, retries, batch_max_numbers,
    # history, ...) is always set in a resolved profile: these read it without restating the
    # default at the call site ("or 4"); a profile built by hand falls back to the registry.
    def int_setting(self, key: str) -> int:
        value: int = self._defaulted(key, int)
        return value

    def float_setting(self, key: str) -> float:
        return float(self._defaulted(key, (int, float)))

    def bool_setting(self, key: str) -> bool:
        value: bool = self._defaulted(key, bool)
        return value

    def _defaulted(self, key: str, kind: type | tuple[type, ...]) -> Any:
        value = self._typed(key, kind)
        if value is None:
            value = KEYS[key].default
            if value is None:
                raise KeyError(f"{key} has no default in the key registry")
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
    default = default_name(data, path)
    if default:
        return default, f"default_profile in {path}"
    profiles = profiles_table(data, path)
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
    return _chosen_or_error(name, read_toml(path), os.environ if env is None else env, path)


def load_profile(
    name: str | None = None,
    *,
    overrides: Mapping[str, object | None] | None = None,
    env: Mapping[str, str] | None = None,
) -> ResolvedProfile:
    """Resolve one profile: option (`overrides`) > env > file > default."""
    env = os.environ if env is None else env
    path = config_path()
    data = read_toml(path)
    chosen, name_source = _chosen_or_error(name, data, env, path)
    warnings: list[str] = []
    profiles = profiles_table(data, path) if data is not None else {}
    if chosen in profiles:
        raw = profiles[chosen]
        if not isinstance(raw, dict):
            raise ConfigError(
                f"config file {path}: profiles.{chosen} must be a table",
                hint=f"see: smscli config show --profile {chosen}",
            )
        file_source = f"profile {chosen} ({path})"
        refuse_if_writable_by_others(path)
        perm = permission_warning(path)
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
            hint=f"known profiles: {known}" + (init if valid_name(chosen) else ""),
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


def list_profiles(path: pathlib.Path | None = None) -> list[ProfileInfo]:
    """Every profile, tolerant of half-written ones (`config list` must work to fix them)."""
    from smscli.profileinfo import ProfileInfo  # only `config` and completion list profiles

    path = path or config_path()
    data = read_toml(path)
    profiles = profiles_table(data, path) if data else {}
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
