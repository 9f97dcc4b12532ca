"""Secrets (api_secret, mobset's password) in the OS keyring, with the 0600 config file as the
fallback that headless servers and cron jobs use.

A profile whose secrets live in the keyring says so in the file (`secrets = "keyring"`); its
secrets are stored under the service "smscli", user "PROFILE:KEY". The `keyring` library is
imported only when a secret is read from or written to it: every other command, and every
profile whose secrets are in the file, never touches it (nor pays its import)."""

from __future__ import annotations

import pathlib
from typing import Any

from smscli import configfile, profilekeys
from smscli.errors import ConfigError

SERVICE = "smscli"
KEYRING = "keyring"
FILE = "file"
WHERE_KEY = "secrets"


def _username(profile: str, key: str) -> str:
    return f"{profile}:{key}"


def _backend() -> Any:
    import keyring

    return keyring.get_keyring()


def available() -> bool:
    """A keyring that can store secrets (not keyring's "fail" or "null" stand-ins)."""
    try:
        backend = _backend()
    except Exception:  # a broken keyring setup means: use the file
        return False
    priority = getattr(backend, "priority", 0)
    return isinstance(priority, int | float) and priority > 0


def backend_name() -> str:
    try:
        backend = _backend()
    except Exception:
        return "unavailable"
    name = getattr(backend, "name", None) or type(backend).__name__
    return str(name)


def _error(action: str, exc: Exception) -> ConfigError:
    # The keyring's message, never a value: they do not carry the secret.
    return ConfigError(
        f"the OS keyring could not {action}: {type(exc).__name__}: {exc}",
        hint="set SMSCLI_API_SECRET / SMSCLI_PASSWORD for this run, or keep the profile's "
        "secrets in the config file: smscli config move-secrets file",
    )


def get(profile: str, key: str) -> str | None:
    import keyring

    try:
        value = keyring.get_password(SERVICE, _username(profile, key))
    except Exception as exc:  # keyring backends raise their own errors
        raise _error(f"read {key} of profile {profile!r}", exc) from None
    return value


def put(profile: str, key: str, value: str) -> None:
    import keyring

    try:
        keyring.set_password(SERVICE, _username(profile, key), value)
    except Exception as exc:
        raise _error(f"store {key} of profile {profile!r}", exc) from None
    if get(profile, key) != value:
        raise ConfigError(f"the OS keyring did not keep {key} of profile {profile!r}")


def delete(profile: str, key: str) -> bool:
    import keyring
    import keyring.errors

    try:
        keyring.delete_password(SERVICE, _username(profile, key))
    except keyring.errors.PasswordDeleteError:
        return False
    except Exception as exc:
        raise _error(f"delete {key} of profile {profile!r}", exc) from None
    return True


def secret_keys(provider: str | None) -> list[str]:
    return [
        k.name
        for k in profilekeys.KEYS.values()
        if k.secret and (provider is None or provider in k.providers)
    ]


def where(table: dict[str, Any]) -> str:
    """Where a profile table says its secrets live: keyring or file (the default)."""
    return KEYRING if table.get(WHERE_KEY) == KEYRING else FILE


def _table(data: dict[str, Any], name: str, path: pathlib.Path) -> dict[str, Any]:
    profiles = data.get("profiles")
    table = profiles.get(name) if isinstance(profiles, dict) else None
    if not isinstance(table, dict):
        raise ConfigError(
            f"no profile {name!r} in {path}",
            hint=f"run: smscli config init --profile {name}",
        )
    return table


def store(name: str, key: str, value: str, *, path: pathlib.Path | None = None) -> str:
    """Save a secret where the profile keeps its secrets; a profile that has not chosen yet
    uses the keyring when one is available, else the file. Returns where it went."""
    path = path or configfile.config_path()
    data = configfile.read_config_for_update(path)
    profiles = data.get("profiles")
    if not isinstance(profiles, dict) or not isinstance(profiles.get(name), dict):
        # No saved profile yet: set_value explains (or saves the built-in sandbox one).
        configfile.set_value(name, key, value, path=path)
        return FILE
    table = _table(data, name, path)
    chosen = table.get(WHERE_KEY)
    use_keyring = chosen == KEYRING or (chosen is None and available())
    if not use_keyring:
        configfile.set_value(name, key, value, path=path)
        return FILE
    profilekeys.key_info(key)  # a known key, checked like any other before it is stored
    put(name, key, value)
    table[WHERE_KEY] = KEYRING
    table.pop(key, None)  # an older copy in the file would shadow the keyring's
    configfile.save_config(path, data)
    return KEYRING


def move(name: str, to: str, *, path: pathlib.Path | None = None) -> list[str]:
    """Move every secret of a profile into the keyring or back into the file; returns the
    keys moved. Each secret is written (and read back) at its destination before the source
    copy is removed, so an interruption leaves it in both places, never in neither."""
    path = path or configfile.config_path()
    data = configfile.read_config_for_update(path)
    table = _table(data, name, path)
    provider = table.get("provider") if isinstance(table.get("provider"), str) else None
    moved = []
    if to == KEYRING:
        if not available():
            raise ConfigError(
                "no OS keyring is available here (keyring backend: "
                f"{backend_name()})",
                hint="on a headless server or in cron the 0600 config file is the place",
            )
        for key in secret_keys(provider):
            value = table.get(key)
            if isinstance(value, str) and value:
                put(name, key, value)
                moved.append(key)
        for key in moved:
            del table[key]
        table[WHERE_KEY] = KEYRING
        configfile.save_config(path, data)
        return moved
    values = {}
    if where(table) == KEYRING:
        for key in secret_keys(provider):
            value = get(name, key)
            if value:
                values[key] = value
    table.update(values)
    table[WHERE_KEY] = FILE
    configfile.save_config(path, data)
    for key in values:
        delete(name, key)
        moved.append(key)
    return moved


def forget(name: str, provider: str | None) -> None:
    """A removed profile's secrets leave the keyring with it."""
    if not available():
        return
    for key in secret_keys(provider):
        delete(name, key)
