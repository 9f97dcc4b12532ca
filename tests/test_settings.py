"""smscli.settings: precedence, the built-in sandbox, errors that name the file and never a
secret, atomic 0600 writes, and a round-trip property."""

from __future__ import annotations

import os
import pathlib
import stat
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from smscli import configfile, profilekeys, settings
from smscli.errors import ConfigError, ExitCode
from smscli.profileinfo import ProfileInfo

SECRET = "S3cr3t-xyz-777"
API_KEY = "bDqJFiq9"

MAIN = f"""\
default_profile = "main"

[profiles.main]
provider = "laaffic"
api_key = "{API_KEY}"
api_secret = "{SECRET}"
app_id = "4luaKsL2"
sender_id = "FILE"
timeout = 12
"""


@pytest.fixture(autouse=True)
def cfg(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> pathlib.Path:
    for name in list(os.environ):
        if name.startswith("SMSCLI_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    path = tmp_path / "conf" / "config.toml"
    monkeypatch.setenv("SMSCLI_CONFIG", str(path))
    return path


def write(path: pathlib.Path, text: str, mode: int = 0o600) -> pathlib.Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    path.chmod(mode)
    return path


def config_error(**kwargs: Any) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        settings.load_profile(**kwargs)
    assert info.value.exit_code == ExitCode.USAGE
    return info.value


def full_text(exc: ConfigError) -> str:
    return f"{exc.message} {exc.hint or ''}"


# --------------------------------------------------------------------------- precedence


def test_option_beats_env_beats_file_beats_default(cfg: pathlib.Path) -> None:
    write(cfg, MAIN)
    env = {"SMSCLI_API_KEY": "envkey-123456", "SMSCLI_APP_ID": "4luaKsL2"}
    prof = settings.load_profile(overrides={"sender_id": "OPT", "timeout": None}, env=env)
    file_source = f"profile main ({cfg})"
    assert prof.values["sender_id"] == settings.Setting("OPT", "option --sender-id")
    assert prof.values["api_key"] == settings.Setting("envkey-123456", "env SMSCLI_API_KEY")
    assert prof.values["app_id"].source == "env SMSCLI_APP_ID"
    assert prof.values["api_secret"] == settings.Setting(SECRET, file_source)
    assert prof.values["timeout"] == settings.Setting(12.0, file_source)
    assert prof.values["concurrency"] == settings.Setting(4, "built-in default")
    assert prof.name_source == f"default_profile in {cfg}"
    # An env var hiding a saved value is worth a warning only when it changes something.
    assert "SMSCLI_API_KEY overrides the api_key saved in profile main" in prof.warnings
    assert not any("SMSCLI_APP_ID" in w for w in prof.warnings)


def test_option_beats_env(cfg: pathlib.Path) -> None:
    write(cfg, MAIN)
    prof = settings.load_profile(
        overrides={"api_key": "optkey-99999"}, env={"SMSCLI_API_KEY": "envkey-123456"}
    )
    assert prof.values["api_key"] == settings.Setting("optkey-99999", "option --api-key")


def test_env_is_os_environ_by_default(cfg: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(cfg, MAIN)
    monkeypatch.setenv("SMSCLI_API_SECRET", "from-env")
    prof = settings.load_profile()
    assert prof.require("api_secret") == "from-env"
    assert prof.values["api_secret"].source == "env SMSCLI_API_SECRET"
    assert all(SECRET not in w and "from-env" not in w for w in prof.warnings)


def test_typed_accessors(cfg: pathlib.Path) -> None:
    write(cfg, MAIN)
    prof = settings.load_profile(env={})
    assert prof.get_float("timeout") == 12.0
    assert prof.get_int("confirm_over") == 100
    assert prof.get_bool("history") is True
    assert prof.get_str("sender_id") == "FILE"
    assert prof.get("low_balance") is None
    assert prof.get_float("low_balance") is None
    with pytest.raises(TypeError):
        prof.get_str("timeout")


def test_smscli_profile_env_picks_the_profile(cfg: pathlib.Path) -> None:
    write(cfg, MAIN + '\n[profiles.work]\nprovider = "onbuka"\napi_key = "k"\n')
    prof = settings.load_profile(env={"SMSCLI_PROFILE": "work"})
    assert (prof.name, prof.provider) == ("work", "onbuka")
    assert prof.name_source == "env SMSCLI_PROFILE"
    assert prof.base_url == "https://api.onbuka.com/v3"
    # An explicit name beats the env var.
    assert settings.load_profile("main", env={"SMSCLI_PROFILE": "work"}).name == "main"


def test_single_profile_needs_no_default(cfg: pathlib.Path) -> None:
    write(cfg, '[profiles.only]\nprovider = "itniotech"\n')
    prof = settings.load_profile(env={})
    assert prof.name == "only"
    assert prof.base_url == "https://api.itniotech.com/sms"
    assert prof.name_source == f"the only profile in {cfg}"


def test_several_profiles_and_no_default_is_an_error(cfg: pathlib.Path) -> None:
    write(cfg, '[profiles.a]\nprovider = "laaffic"\n[profiles.b]\nprovider = "onbuka"\n')
    exc = config_error(env={})
    assert str(cfg) in exc.message
    assert "a, b, sandbox" in (exc.hint or "")


def test_base_url_overrides_the_provider_default(cfg: pathlib.Path) -> None:
    write(cfg, '[profiles.x]\nprovider = "laaffic"\nbase_url = "https://sms.example.com/v3/"\n')
    assert settings.load_profile(env={}).base_url == "https://sms.example.com/v3"


# --------------------------------------------------------------------------- sandbox


def test_builtin_sandbox_needs_no_file(cfg: pathlib.Path) -> None:
    assert not cfg.exists()
    prof = settings.load_profile("sandbox", env={})
    assert prof.provider == "sandbox"
    assert prof.values["provider"].source == "built-in sandbox profile"
    assert prof.path == cfg
    assert prof.base_url is None
    prof.check_required()  # the sandbox has built-in credentials: nothing is required
    assert prof.warnings == ()


def test_builtin_sandbox_via_env_and_next_to_a_file(cfg: pathlib.Path) -> None:
    assert settings.load_profile(env={"SMSCLI_PROFILE": "sandbox"}).provider == "sandbox"
    write(cfg, MAIN)
    assert settings.load_profile("sandbox", env={}).provider == "sandbox"


def test_env_credentials_do_not_reach_the_sandbox(cfg: pathlib.Path) -> None:
    prof = settings.load_profile("sandbox", env={"SMSCLI_API_KEY": "real-account-key"})
    assert prof.get("api_key") is None


def test_file_sandbox_profile_replaces_the_builtin(cfg: pathlib.Path) -> None:
    write(cfg, '[profiles.sandbox]\nprovider = "sandbox"\nbase_url = "http://127.0.0.1:8765"\n')
    prof = settings.load_profile("sandbox", env={})
    assert prof.values["provider"].source == f"profile sandbox ({cfg})"
    assert prof.base_url == "http://127.0.0.1:8765"


# --------------------------------------------------------------------------- errors


def test_no_config_file(cfg: pathlib.Path) -> None:
    exc = config_error(env={})
    assert str(cfg) in exc.message
    assert "smscli config init" in (exc.hint or "")
    assert "--sandbox" in (exc.hint or "") and "-p sandbox" in (exc.hint or "")
    exc = config_error(name="main", env={})
    assert str(cfg) in exc.message


def test_unknown_profile_lists_known_ones(cfg: pathlib.Path) -> None:
    write(cfg, MAIN)
    exc = config_error(name="nope", env={})
    assert "'nope'" in exc.message and str(cfg) in exc.message
    assert "main, sandbox" in (exc.hint or "")


def test_default_profile_that_does_not_exist(cfg: pathlib.Path) -> None:
    write(cfg, 'default_profile = "gone"\n[profiles.main]\nprovider = "laaffic"\n')
    exc = config_error(env={})
    assert "'gone'" in exc.message


@pytest.mark.parametrize(
    "body",
    [
        f'[profiles.main]\nprovider = "laaffic"\napi_secret = "{SECRET}\n',  # unterminated
        f'[profiles.main]\nprovider = "laaffic"\napi_secret = {SECRET}\n',  # bare value
        f'[profiles.main]\napi_secret = "{SECRET}"\n{SECRET} = 1 2\n',
        f'[profiles.main]\napi_secret = "{SECRET}"\n[profiles.main]\n',  # declared twice
        f'api_secret = "{SECRET}"\n"{SECRET}\x01" = 1\n',
    ],
)
def test_malformed_toml_names_file_and_line_never_content(cfg: pathlib.Path, body: str) -> None:
    write(cfg, body)
    exc = config_error(env={})
    text = full_text(exc)
    assert str(cfg) in exc.message
    assert "line " in exc.message or "end of document" in exc.message
    assert SECRET not in text and "S3cr" not in text


def test_malformed_toml_keeps_the_reason(cfg: pathlib.Path) -> None:
    write(cfg, '[profiles.main]\nprovider "laaffic"\n')
    exc = config_error(env={})
    assert "line 2, column" in exc.message
    assert "Expected '=' after a key" in exc.message


def test_unknown_provider_lists_valid_ones(cfg: pathlib.Path) -> None:
    write(cfg, '[profiles.main]\nprovider = "twilio"\n')
    exc = config_error(env={})
    assert str(cfg) in exc.message
    assert "laaffic, onbuka, itniotech, sandbox" in exc.message


def test_missing_provider(cfg: pathlib.Path) -> None:
    write(cfg, '[profiles.main]\napi_key = "k"\n')
    exc = config_error(env={})
    assert str(cfg) in exc.message and "provider" in exc.message
    assert "smscli config set provider" in (exc.hint or "")


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ('timeout = "abc"', "timeout must be a number"),
        ("timeout = 0", "timeout must be between 0.1 and 3600"),
        ("concurrency = 2.5", "concurrency must be a whole number"),
        ("history = 1", "history must be true or false"),
        ("confirm_over = true", "confirm_over must be a whole number"),
        ("api_secret = 123456789", "api_secret must be text"),
    ],
)
def test_wrong_type(cfg: pathlib.Path, line: str, words: str) -> None:
    write(cfg, f'[profiles.main]\nprovider = "laaffic"\n{line}\n')
    exc = config_error(env={})
    assert words in exc.message
    assert str(cfg) in exc.message
    assert "123456789" not in full_text(exc)
    assert "smscli config set" in (exc.hint or "")


def test_require_names_file_and_exact_command(cfg: pathlib.Path) -> None:
    write(cfg, '[profiles.main]\nprovider = "laaffic"\napi_key = "k"\napi_secret = ""\n')
    prof = settings.load_profile(env={})
    with pytest.raises(ConfigError) as info:
        prof.require("api_secret")
    assert info.value.message == f"profile 'main' has no api_secret in {cfg}"
    assert "run: smscli config set api_secret - --profile main (reads the value from stdin)" in (
        info.value.hint or ""
    )
    with pytest.raises(ConfigError) as info:
        prof.check_required()
    assert "api_secret" in info.value.message
    with pytest.raises(ConfigError) as info:
        prof.require("app_id")
    assert "smscli config set app_id VALUE --profile main" in (info.value.hint or "")


def test_env_value_of_wrong_shape(cfg: pathlib.Path) -> None:
    write(cfg, MAIN)
    # An empty env var reads as unset rather than as an empty key.
    assert settings.load_profile(env={"SMSCLI_API_KEY": ""}).get("api_key") == API_KEY


def test_option_value_errors_name_the_option(cfg: pathlib.Path) -> None:
    write(cfg, MAIN)
    exc = config_error(overrides={"timeout": "-1"}, env={})
    assert exc.message == "option --timeout must be between 0.1 and 3600"


def test_bad_top_level_shapes(cfg: pathlib.Path) -> None:
    write(cfg, "profiles = 3\n")
    assert "profiles" in config_error(env={}).message
    write(cfg, 'default_profile = 3\n[profiles.a]\nprovider = "laaffic"\n')
    assert "default_profile" in config_error(env={}).message
    write(cfg, "[profiles]\nmain = 3\n")
    assert "profiles.main" in config_error(name="main", env={}).message


def test_unreadable_config_path(cfg: pathlib.Path) -> None:
    cfg.mkdir(parents=True)
    exc = config_error(env={})
    assert "is a directory" in exc.message


# --------------------------------------------------------------------------- warnings


def test_unknown_keys_warn_and_do_not_fail(cfg: pathlib.Path) -> None:
    write(cfg, MAIN + 'colour = "blue"\n' + "[extras]\nx = 1\n")
    prof = settings.load_profile(env={})
    assert f"unknown key 'colour' in profile main ({cfg}) ignored" in prof.warnings
    assert f"unknown top-level key 'extras' in {cfg} ignored" in prof.warnings
    assert "colour" not in prof.values


def test_group_readable_file_warns(cfg: pathlib.Path) -> None:
    write(cfg, MAIN, mode=0o640)
    prof = settings.load_profile(env={})
    assert f"config file {cfg} is readable by other users; run: chmod 600 {cfg}" in prof.warnings
    write(cfg, MAIN, mode=0o600)
    assert settings.load_profile(env={}).warnings == ()


# --------------------------------------------------------------------------- base_url


@pytest.mark.parametrize(
    "url",
    [
        "https://api.example.com/v3",
        "http://127.0.0.1:8080/v3",
        "http://localhost:9000",
        "http://[::1]:9000/v3",
        "http://127.0.0.2",
    ],
)
def test_base_url_accepted(cfg: pathlib.Path, url: str) -> None:
    write(cfg, f'[profiles.main]\nprovider = "laaffic"\nbase_url = "{url}"\n')
    assert settings.load_profile(env={}).get("base_url") == url


@pytest.mark.parametrize(
    "url",
    [
        "http://api.example.com/v3",
        "http://10.0.0.1",
        "ftp://api.example.com",
        "api.example.com",
        "https://",
        "https://host:notaport/",
    ],
)
def test_base_url_rejected(cfg: pathlib.Path, url: str) -> None:
    write(cfg, f'[profiles.main]\nprovider = "laaffic"\nbase_url = "{url}"\n')
    exc = config_error(env={})
    assert "base_url" in exc.message and str(cfg) in exc.message
    write(cfg, MAIN)
    with pytest.raises(ConfigError, match="option --base-url"):
        settings.load_profile(overrides={"base_url": url}, env={})


# --------------------------------------------------------------------------- paths


def test_paths_follow_env_and_platformdirs(
    cfg: pathlib.Path, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert configfile.config_path() == cfg
    monkeypatch.setenv("SMSCLI_DATA_DIR", str(tmp_path / "data"))
    assert settings.data_dir() == tmp_path / "data"
    monkeypatch.delenv("SMSCLI_CONFIG")
    monkeypatch.delenv("SMSCLI_DATA_DIR")
    assert configfile.config_path().name == "config.toml"
    assert configfile.config_path().parent.name == "smscli"
    if sys.platform.startswith("linux"):
        assert configfile.config_path() == tmp_path / "xdg-config" / "smscli" / "config.toml"
        assert settings.data_dir() == tmp_path / "xdg-data" / "smscli"


def test_settings_module_stays_pure() -> None:
    code = (
        "import sys, smscli.settings; print(sorted({'typer', 'rich', 'httpx'} & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


# --------------------------------------------------------------------------- writing


def mode(path: pathlib.Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_save_creates_0600_file_in_0700_dir(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "new" / "dir" / "config.toml"
    data = {"default_profile": "main", "profiles": {"main": {"provider": "laaffic"}}}
    configfile.save_config(path, data)
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    assert configfile.read_config_for_update(path) == data
    assert [p.name for p in path.parent.iterdir()] == ["config.toml"]


def test_save_replaces_and_tightens_an_existing_file(cfg: pathlib.Path) -> None:
    write(cfg, MAIN, mode=0o644)
    configfile.save_config(cfg, {"profiles": {}})
    assert mode(cfg) == 0o600
    assert configfile.read_config_for_update(cfg) == {"profiles": {}}


def test_save_refuses_a_symlink(tmp_path: pathlib.Path) -> None:
    target = write(tmp_path / "real.toml", MAIN)
    link = tmp_path / "link.toml"
    link.symlink_to(target)
    with pytest.raises(ConfigError, match="symlink"):
        configfile.save_config(link, {"profiles": {}})
    assert target.read_text(encoding="utf-8") == MAIN
    assert link.is_symlink()


def test_failed_save_leaves_the_old_file_and_no_temp(
    cfg: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(cfg, MAIN)

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(ConfigError, match=f"cannot write config file {cfg}: No space left"):
        configfile.save_config(cfg, {"profiles": {}})
    assert cfg.read_text(encoding="utf-8") == MAIN
    assert [p.name for p in cfg.parent.iterdir()] == ["config.toml"]


def test_read_for_update(cfg: pathlib.Path) -> None:
    assert configfile.read_config_for_update(cfg) == {}
    write(cfg, "[broken\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        configfile.read_config_for_update(cfg)


def test_write_profile_and_helpers(cfg: pathlib.Path) -> None:
    configfile.write_profile("main", {"provider": "laaffic", "api_key": API_KEY, "sender_id": None})
    data = configfile.read_config_for_update(cfg)
    assert data == {
        "profiles": {"main": {"provider": "laaffic", "api_key": API_KEY}},
        "default_profile": "main",
    }
    with pytest.raises(ConfigError, match="already exists"):
        configfile.write_profile("main", {"provider": "onbuka"})
    # A second profile does not take over the default unless asked.
    configfile.write_profile("work", {"provider": "onbuka"})
    assert configfile.read_config_for_update(cfg)["default_profile"] == "main"
    configfile.write_profile("work", {"provider": "onbuka"}, force=True, make_default=True)
    assert configfile.read_config_for_update(cfg)["default_profile"] == "work"

    assert configfile.set_value("main", "timeout", "7") == 7.0
    assert configfile.set_value("main", "history", "no") is False
    assert configfile.unset_value("main", "history") is True
    assert configfile.unset_value("main", "history") is False
    prof = settings.load_profile("main", env={})
    assert prof.values["timeout"].value == 7.0 and prof.get("history") is True

    configfile.set_default("main")
    assert configfile.remove_profile("main") is True
    assert "default_profile" not in configfile.read_config_for_update(cfg)
    assert configfile.remove_profile("work") is False
    with pytest.raises(ConfigError, match="'work'"):
        configfile.remove_profile("work")
    with pytest.raises(ConfigError, match="built-in"):
        configfile.remove_profile("sandbox")
    with pytest.raises(ConfigError, match="'ghost'"):
        configfile.set_default("ghost")
    configfile.set_default("sandbox")
    assert settings.load_profile(env={}).provider == "sandbox"
    assert mode(cfg) == 0o600


def test_set_value_creates_a_profile_only_through_its_provider(cfg: pathlib.Path) -> None:
    with pytest.raises(ConfigError, match="no profile 'new'") as info:
        configfile.set_value("new", "api_key", "k")
    assert "smscli config set provider" in (info.value.hint or "")
    configfile.set_value("new", "provider", "onbuka")
    configfile.set_value("new", "api_key", "k")
    assert configfile.read_config_for_update(cfg)["profiles"]["new"] == {
        "provider": "onbuka",
        "api_key": "k",
    }
    # The built-in sandbox turns into a saved one on its first set.
    configfile.set_value("sandbox", "timeout", 3)
    assert configfile.read_config_for_update(cfg)["profiles"]["sandbox"] == {
        "provider": "sandbox",
        "timeout": 3.0,
    }
    with pytest.raises(ConfigError, match="invalid profile name"):
        configfile.set_value("bad name", "provider", "laaffic")
    with pytest.raises(ConfigError, match="unknown config key"):
        configfile.set_value("new", "colour", "blue")
    with pytest.raises(ConfigError, match="cannot be without a provider"):
        configfile.unset_value("new", "provider")


def test_list_profiles(cfg: pathlib.Path) -> None:
    assert settings.list_profiles() == [ProfileInfo("sandbox", "sandbox", False, True)]
    write(cfg, MAIN + '[profiles.half]\napi_key = "k"\n')
    assert settings.list_profiles() == [
        ProfileInfo("main", "laaffic", True, False),
        ProfileInfo("half", None, False, False),
        ProfileInfo("sandbox", "sandbox", False, True),
    ]


# --------------------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("key", "raw", "value"),
    [
        ("history", "yes", True),
        ("history", "OFF", False),
        ("history", False, False),
        ("timeout", "2.5", 2.5),
        ("timeout", 3, 3.0),
        ("concurrency", " 8 ", 8),
        ("low_balance", 0, 0.0),
        ("provider", "sandbox", "sandbox"),
    ],
)
def test_parse_value(key: str, raw: object, value: object) -> None:
    parsed = profilekeys.parse_value(key, raw)
    assert parsed == value and type(parsed) is type(value)


@pytest.mark.parametrize(
    ("key", "raw"),
    [
        ("history", "maybe"),
        ("concurrency", True),
        ("concurrency", "1.5"),
        ("timeout", "nan"),
        ("timeout", "inf"),
        ("sender_id", ""),
        ("sender_id", 5),
        ("confirm_over", -1),
    ],
)
def test_parse_value_rejects(key: str, raw: object) -> None:
    with pytest.raises(ValueError):
        profilekeys.parse_value(key, raw)


def test_mask() -> None:
    assert profilekeys.mask("api_secret", SECRET) == "********"
    assert profilekeys.mask("api_key", API_KEY) == "bDq…q9"
    assert profilekeys.mask("api_key", "short") == "…"
    assert profilekeys.mask("app_id", "4luaKsL2") == "4luaKsL2"
    assert profilekeys.mask("api_secret", None) is None


def test_registry_shape() -> None:
    assert set(profilekeys.PROVIDERS) == {
        "laaffic",
        "onbuka",
        "itniotech",
        "sandbox",
        "mobset",
        "sandbox-mobset",
    }
    assert profilekeys.required_keys("laaffic") == ("api_key", "api_secret", "app_id")
    assert profilekeys.required_keys("sandbox") == ()
    assert profilekeys.required_keys("mobset") == ("corp_id", "login_name", "password")
    assert profilekeys.required_keys("sandbox-mobset") == ()
    assert [k.name for k in profilekeys.KEYS.values() if k.secret] == ["api_secret", "password"]
    assert all(k.description for k in profilekeys.KEYS.values())
    assert "batch_max_numbers" in profilekeys.keys_help()


# --------------------------------------------------------------------------- property

TEXT = st.text(st.characters(codec="utf-8"), min_size=1, max_size=40)  # no lone surrogates
HOST = st.from_regex(r"[a-z][a-z0-9-]{0,20}\.[a-z]{2,6}", fullmatch=True)
POSITIVE = st.floats(min_value=0, exclude_min=True, allow_nan=False, allow_infinity=False)
BASE_URL = st.one_of(
    HOST.map(lambda h: f"https://{h}/v3"),
    st.integers(1, 65535).map(lambda p: f"http://127.0.0.1:{p}"),
    st.just("http://localhost/sms"),
    st.sampled_from(["http://sms.mobset.com:8095/SDK3/Sms", "http://sms3.mobset.com:8095"]),
)
# Credentials travel in HTTP headers: printable ASCII without spaces.
CREDENTIAL = st.text(
    st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40
)
VALUES: dict[str, st.SearchStrategy[Any]] = {
    "api_key": CREDENTIAL,
    "api_secret": CREDENTIAL,
    "app_id": CREDENTIAL,
    "corp_id": st.from_regex(r"[0-9]{1,12}", fullmatch=True),
    "login_name": TEXT,
    "password": TEXT,
    # A sender ID is one token: no control characters (smscli.argtext.sender_problem).
    "sender_id": st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=32),
    "base_url": BASE_URL,
    # The same bounds as the command-line options (smscli.limits).
    "timeout": st.floats(min_value=0.1, max_value=3600),
    "confirm_over": st.integers(0, 10**9),
    "concurrency": st.integers(1, 64),
    "rate": st.floats(min_value=0.01, max_value=10_000),
    "retries": st.integers(1, 20),
    "low_balance": st.floats(min_value=0, max_value=1e12),
    "batch_max_numbers": st.integers(1, 10_000),
    "secrets": st.just("file"),  # "keyring": tests/test_secrets.py
    "default_country": st.sampled_from(["GB", "US", "ID", "de"]),
    "history": st.booleans(),
    "store_content": st.booleans(),
    "drain_reports": st.booleans(),
    "sandbox_quirks": st.sampled_from(["bom", "numbers,no-credit", "gbk,repeat-reports"]),
}
assert set(VALUES) | {"provider"} == set(profilekeys.KEYS)


@st.composite
def profiles(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    name = draw(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,15}", fullmatch=True))
    provider = draw(st.sampled_from(sorted(profilekeys.PROVIDERS)))
    usable = sorted(k for k in VALUES if provider in profilekeys.KEYS[k].providers)
    keys = draw(st.sets(st.sampled_from(usable)))
    values: dict[str, Any] = {"provider": provider}
    values.update({key: draw(VALUES[key]) for key in sorted(keys)})
    return name, values


@hyp_settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=150, deadline=None
)
@given(profile=profiles())
def test_any_valid_profile_round_trips(cfg: pathlib.Path, profile: tuple[str, Any]) -> None:
    name, values = profile
    configfile.save_config(cfg, {"default_profile": name, "profiles": {name: values}})
    loaded = settings.load_profile(env={})
    assert loaded.name == name and loaded.provider == values["provider"]
    assert loaded.warnings == ()
    source = f"profile {name} ({cfg})"
    for key, value in values.items():
        assert loaded.values[key] == settings.Setting(value, source)
    assert configfile.read_config_for_update(cfg) == {
        "default_profile": name,
        "profiles": {name: values},
    }
    assert tomli_w.dumps(configfile.read_config_for_update(cfg)) == cfg.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- mobset keys

MOBSET = """\
default_profile = "m"

[profiles.m]
provider = "mobset"
corp_id = "212345"
login_name = "me"
password = "pw-Secret-42"
"""


def test_mobset_profile_resolves_and_hides_the_password(cfg: pathlib.Path) -> None:
    write(cfg, MOBSET)
    prof = settings.load_profile(env={})
    prof.check_required()
    assert (prof.provider, prof.get("corp_id"), prof.get("login_name")) == (
        "mobset",
        "212345",
        "me",
    )
    assert prof.base_url is None  # the host follows from corp_id
    assert profilekeys.mask("password", prof.get("password")) == profilekeys.SECRET_MASK
    assert profilekeys.mask("corp_id", "212345") == "212345"
    assert [k.name for k in profilekeys.keys_for("mobset") if k.credential] == [
        "corp_id",
        "login_name",
        "password",
        "base_url",
    ]
    assert prof.warnings == ()


def test_mobset_missing_password_says_to_read_it_from_stdin(cfg: pathlib.Path) -> None:
    write(cfg, MOBSET.replace('password = "pw-Secret-42"\n', ""))
    prof = settings.load_profile(env={})
    with pytest.raises(ConfigError) as info:
        prof.check_required()
    assert info.value.message == f"profile 'm' has no password in {cfg}"
    assert "smscli config set password - --profile m (reads the value from stdin)" in (
        info.value.hint or ""
    )


def test_mobset_env_credentials(cfg: pathlib.Path) -> None:
    write(cfg, MOBSET)
    env = {
        "SMSCLI_CORP_ID": "312345",
        "SMSCLI_LOGIN_NAME": "env-me",
        "SMSCLI_PASSWORD": "env-pw",
        "SMSCLI_API_KEY": "not-for-mobset",  # another provider's: silently not applied
    }
    prof = settings.load_profile(env=env)
    assert prof.values["corp_id"] == settings.Setting("312345", "env SMSCLI_CORP_ID")
    assert prof.values["password"] == settings.Setting("env-pw", "env SMSCLI_PASSWORD")
    assert prof.get("login_name") == "env-me" and "api_key" not in prof.values
    assert "SMSCLI_PASSWORD overrides the password saved in profile m" in prof.warnings
    assert not any("api_key" in w for w in prof.warnings)
    assert "env-pw" not in " ".join(prof.warnings)


def test_sandbox_mobset_ignores_env_credentials(cfg: pathlib.Path) -> None:
    write(cfg, '[profiles.play]\nprovider = "sandbox-mobset"\n')
    prof = settings.load_profile(env={"SMSCLI_PASSWORD": "real-pw", "SMSCLI_CORP_ID": "1"})
    assert prof.get("password") is None and prof.get("corp_id") is None
    prof.check_required()  # nothing required: the sandbox has its own credentials


@pytest.mark.parametrize("corp_id", ["21234a", "-1", "１２３", " 212345"])
def test_corp_id_must_be_digits(cfg: pathlib.Path, corp_id: str) -> None:
    write(cfg, MOBSET.replace('"212345"', json_str(corp_id)))
    exc = config_error(env={})
    assert "corp_id must be digits only" in exc.message
    with pytest.raises(ValueError, match="digits"):
        profilekeys.parse_value("corp_id", corp_id)


def json_str(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)


def test_mobset_has_no_sender_id(cfg: pathlib.Path) -> None:
    write(cfg, MOBSET + 'sender_id = "ACME"\n')
    assert "key 'sender_id' is not used by provider mobset (profile m)" in (
        settings.load_profile(env={}).warnings
    )
    with pytest.raises(ConfigError, match="sender_id is not used by provider mobset") as info:
        configfile.set_value("m", "sender_id", "ACME")
    assert "corp_id" in (info.value.hint or "")
    write(cfg, MAIN)
    with pytest.raises(ConfigError, match="corp_id is not used by provider laaffic"):
        configfile.set_value("main", "corp_id", "100000")


@pytest.mark.parametrize(
    "url",
    [
        "http://sms.mobset.com:8095/SDK3/Sms",
        "http://sms2.mobset.com:8095/SDK3/Sms",
        "http://SMS3.mobset.com:8095",
        "https://sms.mobset.com:843/SDK3/SMS",
    ],
)
def test_mobset_documented_http_hosts_are_allowed(cfg: pathlib.Path, url: str) -> None:
    write(cfg, MOBSET + f'base_url = "{url}"\n')
    assert settings.load_profile(env={}).get("base_url") == url


@pytest.mark.parametrize(
    "url", ["http://sms4.mobset.com", "http://mobset.com", "http://x.sms.mobset.com"]
)
def test_other_plain_http_hosts_stay_refused(url: str) -> None:
    with pytest.raises(ValueError, match="must use https"):
        profilekeys.parse_value("base_url", url)


def _config_cli() -> Any:
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", r"'click\.", DeprecationWarning)
        import typer
        from typer.testing import CliRunner

    from smscli.cli import config

    app = typer.Typer(rich_markup_mode=None, pretty_exceptions_enable=False)

    @app.callback()
    def root() -> None:
        """A root like the real app's, so `config` is a group."""

    app.add_typer(config.app, name="config")

    def run(*args: str, input: str | None = None) -> Any:
        env = {"SMSCLI_CONFIG": os.environ["SMSCLI_CONFIG"], "NO_COLOR": "1", "COLUMNS": "200"}
        return CliRunner().invoke(app, ["config", *args], input=input, env=env)

    return run


def test_config_show_and_set_for_mobset(cfg: pathlib.Path) -> None:
    import json

    write(cfg, MOBSET)
    run = _config_cli()
    result = run("show", "-p", "m", "-o", "json")
    assert result.exit_code == 0, result.output
    rows = {row["key"]: row for row in json.loads(result.stdout)}
    assert rows["password"]["value"] == profilekeys.SECRET_MASK
    assert rows["corp_id"]["value"] == "212345" and rows["login_name"]["value"] == "me"
    assert "sender_id" not in rows and "api_key" not in rows
    assert "pw-Secret-42" not in result.output

    refused = run("set", "password", "new-pw", "-p", "m")
    assert refused.exit_code == 2
    assert "smscli config set password - --profile m" in refused.output
    assert settings.load_profile(env={}).get("password") == "pw-Secret-42"

    piped = run("set", "password", "-", "-p", "m", input="new-pw\n")
    assert piped.exit_code == 0, piped.output
    assert "new-pw" not in piped.output
    assert settings.load_profile(env={}).get("password") == "new-pw"
    assert run("set", "corp_id", "312345", "-p", "m").exit_code == 0
    assert run("set", "corp_id", "x", "-p", "m").exit_code == 2


def test_config_init_for_mobset_interactively(
    cfg: pathlib.Path, monkeypatch: pytest.MonkeyPatch, console_env: Any
) -> None:

    console_env(stdin_isatty=True, stdout_isatty=True)
    run = _config_cli()
    # profile name, provider, corp_id, login_name, password (hidden), base_url (skipped)
    result = run("init", input="\nmobset\n212345\nme\npw-Secret-42\n\n")
    assert result.exit_code == 0, result.output
    assert "pw-Secret-42" not in result.output
    assert configfile.read_config_for_update(cfg)["profiles"]["main"] == {
        "provider": "mobset",
        "corp_id": "212345",
        "login_name": "me",
        "password": "pw-Secret-42",
    }


def test_config_init_for_sandbox_mobset_in_a_script(cfg: pathlib.Path) -> None:
    run = _config_cli()
    result = run("init", "-p", "play", "--provider", "sandbox-mobset")
    assert result.exit_code == 0, result.output
    assert configfile.read_config_for_update(cfg)["profiles"]["play"] == {
        "provider": "sandbox-mobset"
    }


def test_data_dir_is_created_private(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "fresh" / "smscli"
    monkeypatch.setenv("SMSCLI_DATA_DIR", str(target))
    assert settings.data_dir() == target
    assert target.is_dir() and (target.stat().st_mode & 0o777) == 0o700


def test_defaulted_settings_come_from_the_registry_and_the_profile() -> None:
    empty = settings.ResolvedProfile("p", "laaffic", {}, Path("x"))
    assert empty.int_setting("concurrency") == profilekeys.KEYS["concurrency"].default == 4
    assert empty.float_setting("timeout") == 30.0
    assert empty.bool_setting("history") is True
    assert empty.int_setting("batch_max_numbers") == 1000
    values = {"retries": settings.Setting(7, "file"), "timeout": settings.Setting(5, "env")}
    given = settings.ResolvedProfile("p", "laaffic", values, Path("x"))
    assert given.int_setting("retries") == 7 and given.float_setting("timeout") == 5.0
    with pytest.raises(KeyError):
        empty.float_setting("rate")  # no default: unset means "no pacing"
