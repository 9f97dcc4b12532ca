"""Secrets in the OS keyring (an in-memory keyring backend stands in for it), the 0600 file
as the fallback, and one command to move a profile's secrets between the two."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import keyring.backends.fail
import keyring.errors
import pytest
from typer.testing import CliRunner

from smscli import configfile, profilekeys, secrets, settings
from smscli.cli import app

runner = CliRunner()
SECRET = "s3cr3t-Value-42"


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring that lives in a dict, like the OS one from smscli's point of view."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.store.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError(username)


@pytest.fixture
def memory() -> Iterator[MemoryKeyring]:
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(keyring.backends.fail.Keyring())


@pytest.fixture
def no_keyring() -> Iterator[None]:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    yield


def invoke(*args: str, input: str | None = None) -> object:
    return runner.invoke(app, list(args), input=input, catch_exceptions=False)


def config_file() -> dict[str, object]:
    return tomllib.loads(configfile.config_path().read_text())


def make_profile(name: str = "prod") -> None:
    result = invoke(
        "config", "set", "provider", "laaffic", "-p", name,
    )
    assert result.exit_code == 0, result.stderr  # type: ignore[attr-defined]
    for key, value in (("api_key", "KEY12345"), ("app_id", "APP1")):
        assert invoke("config", "set", key, value, "-p", name).exit_code == 0  # type: ignore[attr-defined]


def test_set_secret_goes_to_the_keyring_when_there_is_one(memory: MemoryKeyring) -> None:
    make_profile()
    result = invoke("config", "set", "api_secret", "-", "-p", "prod", input=SECRET + "\n")
    assert result.exit_code == 0, result.stderr  # type: ignore[attr-defined]
    label = f"OS keyring ({secrets.backend_name()})"
    assert "MemoryKeyring" in label and f"in the {label}" in result.stderr  # type: ignore[attr-defined]
    assert memory.store == {("smscli", "prod:api_secret"): SECRET}
    saved = config_file()["profiles"]["prod"]  # type: ignore[index]
    assert "api_secret" not in saved and saved["secrets"] == "keyring"
    assert SECRET not in configfile.config_path().read_text()
    prof = settings.load_profile("prod")
    assert prof.get("api_secret") == SECRET
    assert prof.values["api_secret"].source == label
    shown = invoke("config", "show", "-p", "prod", "-o", "tsv")
    line = next(x for x in shown.stdout.splitlines() if x.startswith("api_secret"))  # type: ignore[attr-defined]
    assert line.split("\t")[1:] == [profilekeys.SECRET_MASK, label]
    assert SECRET not in shown.stdout + shown.stderr  # type: ignore[attr-defined]


def test_without_a_keyring_the_secret_goes_to_the_0600_file(no_keyring: None) -> None:
    make_profile()
    result = invoke("config", "set", "api_secret", "-", "-p", "prod", input=SECRET + "\n")
    assert result.exit_code == 0, result.stderr  # type: ignore[attr-defined]
    assert "(mode 0600)" in result.stderr  # type: ignore[attr-defined]
    saved = config_file()["profiles"]["prod"]  # type: ignore[index]
    assert saved["api_secret"] == SECRET and "secrets" not in saved
    assert configfile.config_path().stat().st_mode & 0o777 == 0o600
    shown = invoke("config", "show", "-p", "prod", "-o", "tsv").stdout  # type: ignore[attr-defined]
    line = next(x for x in shown.splitlines() if x.startswith("api_secret"))
    assert line.split("\t")[2] == f"profile prod ({configfile.config_path()})"


def test_move_secrets_out_of_and_back_into_the_keyring(memory: MemoryKeyring) -> None:
    make_profile()
    # Written to the file first (as by an older smscli, or on a machine without a keyring).
    configfile.set_value("prod", "api_secret", SECRET)
    moved = invoke("config", "move-secrets", "keyring", "-p", "prod")
    assert moved.exit_code == 0, moved.stderr  # type: ignore[attr-defined]
    assert "api_secret" in moved.stderr  # type: ignore[attr-defined]
    assert memory.store == {("smscli", "prod:api_secret"): SECRET}
    assert SECRET not in configfile.config_path().read_text()
    back = invoke("config", "move-secrets", "file", "-p", "prod")
    assert back.exit_code == 0, back.stderr  # type: ignore[attr-defined]
    assert memory.store == {}
    saved = config_file()["profiles"]["prod"]  # type: ignore[index]
    assert saved["api_secret"] == SECRET and saved["secrets"] == "file"
    # A profile that chose the file keeps using it, keyring or not.
    again = invoke("config", "set", "api_secret", "-", "-p", "prod", input="other\n")
    assert again.exit_code == 0 and memory.store == {}  # type: ignore[attr-defined]
    assert config_file()["profiles"]["prod"]["api_secret"] == "other"  # type: ignore[index]


def test_move_to_a_keyring_that_is_not_there_is_refused(no_keyring: None) -> None:
    make_profile()
    configfile.set_value("prod", "api_secret", SECRET)
    result = invoke("config", "move-secrets", "keyring", "-p", "prod")
    assert result.exit_code == 2
    assert "no OS keyring is available here" in result.stderr  # type: ignore[attr-defined]
    assert config_file()["profiles"]["prod"]["api_secret"] == SECRET  # type: ignore[index]
    assert invoke("config", "move-secrets", "elsewhere").exit_code == 2  # type: ignore[attr-defined]


def test_env_wins_and_a_missing_keyring_is_a_warning(memory: MemoryKeyring) -> None:
    make_profile()
    invoke("config", "set", "api_secret", "-", "-p", "prod", input=SECRET + "\n")
    env = {"SMSCLI_API_SECRET": "from-env"}
    prof = settings.load_profile("prod", env=env)
    assert prof.values["api_secret"] == settings.Setting("from-env", "env SMSCLI_API_SECRET")
    keyring.set_keyring(keyring.backends.fail.Keyring())
    prof = settings.load_profile("prod", env={})
    assert prof.get("api_secret") is None
    assert any("keeps its api_secret in the OS keyring" in w for w in prof.warnings)


def test_unset_and_remove_take_the_secret_out_of_the_keyring(memory: MemoryKeyring) -> None:
    make_profile()
    invoke("config", "set", "api_secret", "-", "-p", "prod", input=SECRET + "\n")
    assert invoke("config", "unset", "api_secret", "-p", "prod").exit_code == 0  # type: ignore[attr-defined]
    assert memory.store == {}
    invoke("config", "set", "api_secret", "-", "-p", "prod", input=SECRET + "\n")
    assert invoke("config", "remove", "prod", "-y").exit_code == 0  # type: ignore[attr-defined]
    assert memory.store == {}


def test_keyring_is_imported_only_when_a_profile_uses_it(tmp_path: Path) -> None:
    config = tmp_path / "config" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        '[profiles.p]\nprovider = "laaffic"\napi_key = "KEY12345"\napp_id = "A"\n'
        'api_secret = "x"\n'
    )
    code = (
        "import sys; from smscli.settings import load_profile; load_profile('p'); "
        "load_profile('sandbox'); print('keyring' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        env={**os.environ, "SMSCLI_CONFIG": str(config)},
    )
    assert out.stdout.strip() == "False"


def test_secrets_never_in_argv(memory: MemoryKeyring) -> None:
    make_profile()
    result = invoke("config", "set", "api_secret", SECRET, "-p", "prod")
    assert result.exit_code == 2 and memory.store == {}  # type: ignore[attr-defined]
    assert secrets.secret_keys("mobset") == ["password"]


def test_show_says_where_the_next_secret_goes(memory: MemoryKeyring) -> None:
    make_profile()
    shown = invoke("config", "show", "-p", "prod", "-o", "tsv").stdout  # type: ignore[attr-defined]
    line = next(x for x in shown.splitlines() if x.startswith("secrets\t"))
    assert line.endswith("not set: a secret set now goes to the OS keyring")
    keyring.set_keyring(keyring.backends.fail.Keyring())
    shown = invoke("config", "show", "-p", "prod", "-o", "tsv").stdout  # type: ignore[attr-defined]
    assert "goes to the config file (no keyring here)" in shown
