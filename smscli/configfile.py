"""The config file: where it is, reading it (TOML, with errors that never quote a secret),
the permission checks, and every change to it (written atomically, 0600, never through a
symlink). No resolution here: which profile and which value wins is smscli.settings."""

from __future__ import annotations

import os
import pathlib
import re
import stat
import tomllib
from collections.abc import Mapping
from typing import Any

from smscli.errors import ConfigError
from smscli.profilekeys import (
    KEYS,
    PROVIDERS,
    SANDBOX,
    key_info,
    keys_for,
    parse_value,
    set_command,
)

APP_NAME = "smscli"
CONFIG_ENV = "SMSCLI_CONFIG"
_PROFILE_NAME = r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}"


def config_path() -> pathlib.Path:
    override = os.environ.get(CONFIG_ENV)
    if override:
        return pathlib.Path(override).expanduser()
    import platformdirs  # only when no override names the file

    return pathlib.Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def read_toml(path: pathlib.Path) -> dict[str, Any] | None:
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


def permission_warning(path: pathlib.Path) -> str | None:
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if os.name == "posix" and mode & (stat.S_IRGRP | stat.S_IROTH):
        return f"config file {path} is readable by other users; run: chmod 600 {path}"
    return None


def refuse_if_writable_by_others(path: pathlib.Path) -> None:
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


def profiles_table(data: Mapping[str, Any], path: pathlib.Path) -> dict[str, Any]:
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigError(
            f"config file {path}: 'profiles' must be a table ([profiles.NAME])",
            hint="see: smscli config init --help",
        )
    return profiles


def default_name(data: Mapping[str, Any], path: pathlib.Path) -> str | None:
    default = data.get("default_profile")
    if default is not None and not isinstance(default, str):
        raise ConfigError(
            f"config file {path}: default_profile must be text", hint="run: smscli config use NAME"
        )
    return default or None


def profile_names(data: Mapping[str, Any] | None, path: pathlib.Path) -> list[str]:
    """The file's profiles, then the built-in sandbox when the file does not define one."""
    names = list(profiles_table(data, path)) if data else []
    if SANDBOX not in names:
        names.append(SANDBOX)
    return names


def read_config_for_update(path: pathlib.Path) -> dict[str, Any]:
    """The file as a plain dict to edit and save; {} when it does not exist yet. A broken
    file is an error rather than {}: saving over it would lose the user's profiles."""
    data = read_toml(path)
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
    import tomli_w  # only writes need it: every command reads the file, few write it

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


def valid_name(name: str) -> bool:
    return re.fullmatch(_PROFILE_NAME, name) is not None


def check_profile_name(name: str) -> str:
    if not valid_name(name):
        raise ConfigError(
            f"invalid profile name {name!r}",
            hint="use letters, digits, '-' and '_' (up to 64, starting with a letter or digit)",
        )
    return name


def _profile_table(data: dict[str, Any], name: str, path: pathlib.Path) -> dict[str, Any] | None:
    table = profiles_table(data, path).get(name)
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
    if make_default or (make_default is None and not default_name(data, path)):
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
    profiles = profiles_table(data, path) if data else {}
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
