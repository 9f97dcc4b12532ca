"""`smscli config ...` driven through typer's CliRunner, on a tiny app holding only the config
group (plus a root --profile like the real app's), so these tests do not depend on the rest."""

from __future__ import annotations

import json
import os
import pathlib
import stat
import tomllib
import warnings
from typing import TYPE_CHECKING, Any

import pytest

# Typer 0.24 imports names (click.utils.get_binary_stream, ...) that Click 8.5 deprecates; with
# filterwarnings = error that would fail collection. Only the import is excused.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", r"'click\.", DeprecationWarning)
    import typer
    from typer.testing import CliRunner

from smscli.cli import config
from smscli.cli.options import ProfileOpt

if TYPE_CHECKING:
    from click.testing import Result

SECRET = "s3cret-Zq8-4242"
NEW_SECRET = "n3w-s3cret-9911"
API_KEY = "bDqJFiq9xyz"


def make_app() -> typer.Typer:
    app = typer.Typer(rich_markup_mode=None, pretty_exceptions_enable=False)

    @app.callback()
    def root(ctx: typer.Context, profile: ProfileOpt = None) -> None:
        ctx.obj = {"profile": profile}

    app.add_typer(config.app, name="config")
    return app


APP = make_app()


@pytest.fixture(autouse=True)
def cfg(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> pathlib.Path:
    for name in list(os.environ):
        if name.startswith("SMSCLI_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    return tmp_path / "conf" / "config.toml"


def run(cfg: pathlib.Path, *args: str, input: str | None = None, **env: str) -> Result:
    environ = {"SMSCLI_CONFIG": str(cfg), "COLUMNS": "200", **env}
    return CliRunner().invoke(APP, ["config", *args], input=input, env=environ)


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return result


def fails(result: Result, code: int = 2) -> Result:
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    assert "Traceback" not in result.stderr
    return result


def saved(cfg: pathlib.Path) -> dict[str, Any]:
    return tomllib.loads(cfg.read_text(encoding="utf-8"))


def no_secret(result: Result, *secrets: str) -> None:
    for secret in secrets or (SECRET, NEW_SECRET, API_KEY):
        assert secret not in result.stdout
        assert secret not in result.stderr


def init_main(cfg: pathlib.Path, *extra: str) -> Result:
    return ok(
        run(
            cfg,
            "init",
            "--provider",
            "laaffic",
            "--api-key",
            API_KEY,
            "--app-id",
            "app1",
            "--api-secret-stdin",
            *extra,
            input=f"{SECRET}\n",
        )
    )


# --------------------------------------------------------------------------- init


def test_init_scripted_reads_the_secret_from_stdin(cfg: pathlib.Path) -> None:
    result = init_main(cfg, "--sender-id", "ACME")
    assert saved(cfg) == {
        "default_profile": "main",
        "profiles": {
            "main": {
                "provider": "laaffic",
                "api_key": API_KEY,
                "api_secret": SECRET,
                "app_id": "app1",
                "sender_id": "ACME",
            }
        },
    }
    assert stat.S_IMODE(cfg.stat().st_mode) == 0o600
    assert stat.S_IMODE(cfg.parent.stat().st_mode) == 0o700
    assert str(cfg) in result.stderr and "next: smscli" in result.stderr
    assert result.stdout == ""
    no_secret(result)


def test_init_scripted_without_the_secret_says_how(cfg: pathlib.Path) -> None:
    result = fails(run(cfg, "init", "--provider", "onbuka", "--api-key", API_KEY))
    assert "--api-secret-stdin" in result.stderr and "--app-id" in result.stderr
    assert not cfg.exists()


def test_init_scripted_empty_stdin(cfg: pathlib.Path) -> None:
    result = fails(
        run(
            cfg,
            "init",
            "--provider",
            "onbuka",
            "--api-key",
            "k",
            "--app-id",
            "a",
            "--api-secret-stdin",
            input="",
        )
    )
    assert "no value for api_secret on stdin" in result.stderr
    assert not cfg.exists()


def test_init_scripted_needs_a_provider(cfg: pathlib.Path) -> None:
    result = fails(run(cfg, "init"))
    assert "--provider" in result.stderr
    result = fails(run(cfg, "init", "--provider", "twilio"))
    assert "laaffic, onbuka, itniotech, sandbox" in result.stderr


def test_init_rejects_plain_http_base_url(cfg: pathlib.Path) -> None:
    result = fails(
        run(
            cfg,
            "init",
            "--provider",
            "laaffic",
            "--api-key",
            "k",
            "--app-id",
            "a",
            "--base-url",
            "http://sms.example.com/v3",
            "--api-secret-stdin",
            input=f"{SECRET}\n",
        )
    )
    assert "https" in result.stderr
    assert not cfg.exists()
    no_secret(result)


def test_init_refuses_to_overwrite_without_force(cfg: pathlib.Path) -> None:
    init_main(cfg)
    result = fails(
        run(
            cfg,
            "init",
            "--provider",
            "onbuka",
            "--api-key",
            "k2",
            "--app-id",
            "a2",
            "--api-secret-stdin",
            input="other\n",
        )
    )
    assert "already exists" in result.stderr and "--force" in result.stderr
    assert saved(cfg)["profiles"]["main"]["provider"] == "laaffic"
    ok(
        run(
            cfg,
            "init",
            "--provider",
            "onbuka",
            "--api-key",
            "k2",
            "--app-id",
            "a2",
            "--api-secret-stdin",
            "--force",
            input="other\n",
        )
    )
    assert saved(cfg)["profiles"]["main"] == {
        "provider": "onbuka",
        "api_key": "k2",
        "api_secret": "other",
        "app_id": "a2",
    }


def test_init_second_profile_keeps_the_default_unless_asked(cfg: pathlib.Path) -> None:
    init_main(cfg)
    ok(run(cfg, "init", "-p", "work", "--provider", "sandbox"))
    assert saved(cfg)["default_profile"] == "main"
    ok(run(cfg, "init", "-p", "work2", "--provider", "sandbox", "--default"))
    assert saved(cfg)["default_profile"] == "work2"


def test_init_sandbox(cfg: pathlib.Path) -> None:
    init_main(cfg)
    result = ok(run(cfg, "init", "--sandbox"))
    data = saved(cfg)
    assert data["profiles"]["sandbox"] == {"provider": "sandbox"}
    assert data["default_profile"] == "sandbox"
    assert "smscli send" in result.stderr
    fails(run(cfg, "init", "--sandbox"))
    ok(run(cfg, "init", "--sandbox", "--force"))


def test_init_interactive_prompts_and_hides_the_secret(
    cfg: pathlib.Path, monkeypatch: pytest.MonkeyPatch, console_env: Any
) -> None:
    console_env(stdin_isatty=True, stdout_isatty=True)
    # profile name, provider, api_key, api_secret (hidden), app_id, sender_id, base_url
    answers = f"\nnope\nonbuka\n{API_KEY}\n{SECRET}\napp9\n\n\n"
    result = ok(run(cfg, "init", input=answers))
    assert saved(cfg)["profiles"]["main"] == {
        "provider": "onbuka",
        "api_key": API_KEY,
        "api_secret": SECRET,
        "app_id": "app9",
    }
    assert "must be one of" in result.stdout  # the bad provider was asked again
    no_secret(result, SECRET)


def test_init_interactive_asks_before_changing_the_default(
    cfg: pathlib.Path, monkeypatch: pytest.MonkeyPatch, console_env: Any
) -> None:
    init_main(cfg)
    console_env(stdin_isatty=True, stdout_isatty=True)
    ok(run(cfg, "init", "-p", "play", "--provider", "sandbox", input="y\n"))
    assert saved(cfg)["default_profile"] == "play"


# --------------------------------------------------------------------------- set / unset / get


def test_set_secret_from_stdin(cfg: pathlib.Path) -> None:
    init_main(cfg)
    result = ok(run(cfg, "set", "api_secret", "-", input=f"{NEW_SECRET}\n"))
    assert saved(cfg)["profiles"]["main"]["api_secret"] == NEW_SECRET
    assert "(hidden)" in result.stderr
    no_secret(result)
    assert stat.S_IMODE(cfg.stat().st_mode) == 0o600


def test_set_secret_from_a_hidden_prompt_on_a_terminal(
    cfg: pathlib.Path, monkeypatch: pytest.MonkeyPatch, console_env: Any
) -> None:
    init_main(cfg)
    console_env(stdin_isatty=True)
    result = ok(run(cfg, "set", "api_secret", "-", input=f"{NEW_SECRET}\n"))
    assert saved(cfg)["profiles"]["main"]["api_secret"] == NEW_SECRET
    no_secret(result)


def test_set_refuses_a_literal_secret(cfg: pathlib.Path) -> None:
    init_main(cfg)
    result = fails(run(cfg, "set", "api_secret", NEW_SECRET))
    assert "refusing api_secret" in result.stderr
    assert "smscli config set api_secret - --profile main" in result.stderr
    assert saved(cfg)["profiles"]["main"]["api_secret"] == SECRET
    no_secret(result)


def test_set_validates_key_and_type(cfg: pathlib.Path) -> None:
    init_main(cfg)
    assert "unknown config key 'colour'" in fails(run(cfg, "set", "colour", "x")).stderr
    assert "timeout must be a number" in fails(run(cfg, "set", "timeout", "abc")).stderr
    assert "https" in fails(run(cfg, "set", "base_url", "http://x.example")).stderr
    ok(run(cfg, "set", "timeout", "2.5"))
    ok(run(cfg, "set", "history", "off"))
    ok(run(cfg, "set", "base_url", "http://127.0.0.1:8080/v3"))
    profile = saved(cfg)["profiles"]["main"]
    assert (profile["timeout"], profile["history"]) == (2.5, False)


def test_set_creates_a_profile_through_its_provider(cfg: pathlib.Path) -> None:
    init_main(cfg)
    result = fails(run(cfg, "set", "app_id", "x", "-p", "new"))
    assert "no profile 'new'" in result.stderr and "config set provider" in result.stderr
    ok(run(cfg, "set", "provider", "itniotech", "-p", "new"))
    ok(run(cfg, "set", "app_id", "x", "--profile", "new"))
    assert saved(cfg)["profiles"]["new"] == {"provider": "itniotech", "app_id": "x"}


def test_set_honours_the_root_profile_option(cfg: pathlib.Path) -> None:
    init_main(cfg)
    result = CliRunner().invoke(
        APP,
        ["-p", "sandbox", "config", "set", "timeout", "9"],
        env={"SMSCLI_CONFIG": str(cfg)},
    )
    ok(result)
    assert saved(cfg)["profiles"]["sandbox"] == {"provider": "sandbox", "timeout": 9.0}


def test_set_without_a_config_file(cfg: pathlib.Path) -> None:
    result = fails(run(cfg, "set", "timeout", "3"))
    assert "smscli config init" in result.stderr
    ok(run(cfg, "set", "timeout", "3", "-p", "sandbox"))


def test_unset(cfg: pathlib.Path) -> None:
    init_main(cfg, "--sender-id", "ACME")
    ok(run(cfg, "unset", "sender_id"))
    assert "sender_id" not in saved(cfg)["profiles"]["main"]
    assert "was not set" in ok(run(cfg, "unset", "sender_id")).stderr
    fails(run(cfg, "unset", "provider"))


def test_get(cfg: pathlib.Path) -> None:
    init_main(cfg)
    assert ok(run(cfg, "get", "app_id")).stdout == "app1\n"
    assert ok(run(cfg, "get", "timeout")).stdout == "30.0\n"
    assert ok(run(cfg, "get", "history")).stdout == "true\n"
    assert ok(run(cfg, "get", "app_id", SMSCLI_APP_ID="envapp")).stdout == "envapp\n"
    result = fails(run(cfg, "get", "api_secret"))
    assert "--reveal" in result.stderr
    no_secret(result)
    no_secret(fails(run(cfg, "get", "api_key")))
    assert ok(run(cfg, "get", "api_secret", "--reveal")).stdout == f"{SECRET}\n"
    assert ok(run(cfg, "get", "api_key", "--reveal")).stdout == f"{API_KEY}\n"
    result = fails(run(cfg, "get", "sender_id"))
    assert f"profile 'main' has no sender_id in {cfg}" in result.stderr
    fails(run(cfg, "get", "colour"))


# --------------------------------------------------------------------------- show / list


def test_show_masks_secrets_and_gives_sources(cfg: pathlib.Path) -> None:
    init_main(cfg)
    result = ok(run(cfg, "show", SMSCLI_APP_ID="envapp"))
    no_secret(result)
    lines = result.stdout.splitlines()
    assert lines[0] == "key\tvalue\tsource"
    rows = {line.split("\t")[0]: line.split("\t")[1:] for line in lines[1:]}
    file_source = f"profile main ({cfg})"
    assert rows["profile"] == ["main", f"default_profile in {cfg}"]
    assert rows["api_key"] == ["bDq…yz", file_source]
    assert rows["api_secret"] == ["********", file_source]
    assert rows["app_id"] == ["envapp", "env SMSCLI_APP_ID"]
    assert rows["timeout"] == ["30.0", "built-in default"]
    assert rows["sender_id"] == ["", "not set"]
    assert "SMSCLI_APP_ID overrides the app_id saved in profile main" in result.stderr


def test_show_json(cfg: pathlib.Path) -> None:
    init_main(cfg)
    result = ok(run(cfg, "show", "-o", "json"))
    no_secret(result)
    rows = {row["key"]: row for row in json.loads(result.stdout)}
    assert rows["api_secret"]["value"] == "********"
    assert rows["concurrency"] == {"key": "concurrency", "value": 4, "source": "built-in default"}
    assert rows["history"]["value"] is True
    assert rows["low_balance"]["value"] is None
    assert json.loads(ok(run(cfg, "show", "--json")).stdout) == json.loads(result.stdout)


def test_show_table(cfg: pathlib.Path) -> None:
    init_main(cfg)
    result = ok(run(cfg, "show", "-o", "table"))
    assert "********" in result.stdout and "built-in default" in result.stdout
    no_secret(result)


def test_show_builtin_sandbox_without_a_file(cfg: pathlib.Path) -> None:
    rows = json.loads(ok(run(cfg, "show", "-p", "sandbox", "-o", "json")).stdout)
    by_key = {row["key"]: row for row in rows}
    assert by_key["provider"]["source"] == "built-in sandbox profile"
    assert by_key["api_key"]["value"] is None
    assert not cfg.exists()


def test_show_errors_are_one_line_without_secrets(cfg: pathlib.Path) -> None:
    fails(run(cfg, "show"))
    cfg.parent.mkdir(parents=True)
    cfg.write_text(
        f'[profiles.main]\nprovider = "laaffic"\napi_secret = "{SECRET}\n', encoding="utf-8"
    )
    result = fails(run(cfg, "show"))
    assert result.stderr.startswith(f"error: config file {cfg} is not valid TOML (line 3")
    no_secret(result)
    cfg.write_text(
        f'[profiles.main]\nprovider = "laaffic"\ntimeout = "{SECRET}"\n', encoding="utf-8"
    )
    result = fails(run(cfg, "show"))
    assert "timeout must be a number" in result.stderr
    no_secret(result)


def test_show_warns_about_a_readable_file(cfg: pathlib.Path) -> None:
    init_main(cfg)
    cfg.chmod(0o644)
    result = ok(run(cfg, "show"))
    assert f"readable by other users; run: chmod 600 {cfg}" in result.stderr


def test_list(cfg: pathlib.Path) -> None:
    assert ok(run(cfg, "list")).stdout.splitlines() == [
        "name\tprovider\tdefault\tbuilt_in",
        "sandbox\tsandbox\tfalse\ttrue",
    ]
    init_main(cfg)
    ok(run(cfg, "init", "-p", "work", "--provider", "sandbox"))
    result = ok(run(cfg, "list", "-o", "json"))
    assert json.loads(result.stdout) == [
        {"name": "main", "provider": "laaffic", "default": True, "built_in": False},
        {"name": "work", "provider": "sandbox", "default": False, "built_in": False},
        {"name": "sandbox", "provider": "sandbox", "default": False, "built_in": True},
    ]
    no_secret(result)
    no_secret(ok(run(cfg, "list", "-o", "table")))


# --------------------------------------------------------------------------- use / remove / path


def test_use(cfg: pathlib.Path) -> None:
    init_main(cfg)
    ok(run(cfg, "init", "-p", "work", "--provider", "sandbox"))
    ok(run(cfg, "use", "work"))
    assert saved(cfg)["default_profile"] == "work"
    result = fails(run(cfg, "use", "ghost"))
    assert "main, work, sandbox" in result.stderr
    ok(run(cfg, "use", "sandbox"))
    assert saved(cfg)["default_profile"] == "sandbox"


def test_remove(cfg: pathlib.Path) -> None:
    init_main(cfg)
    ok(run(cfg, "init", "-p", "work", "--provider", "sandbox"))
    result = ok(run(cfg, "remove", "main", "--yes"))
    assert "was the default" in result.stderr
    data = saved(cfg)
    assert "default_profile" not in data and list(data["profiles"]) == ["work"]
    fails(run(cfg, "remove", "main"))
    fails(run(cfg, "remove", "sandbox"))


def test_remove_asks_on_a_terminal(cfg: pathlib.Path, console_env: Any) -> None:
    init_main(cfg)
    console_env(stdin_isatty=True, stdout_isatty=True)
    fails(run(cfg, "remove", "main", input="n\n"), code=1)
    assert "main" in saved(cfg)["profiles"]
    ok(run(cfg, "remove", "main", input="y\n"))
    assert saved(cfg)["profiles"] == {}


def test_path(cfg: pathlib.Path) -> None:
    assert ok(run(cfg, "path")).stdout == f"{cfg}\n"


def test_refuses_to_write_through_a_symlink(cfg: pathlib.Path, tmp_path: pathlib.Path) -> None:
    real = tmp_path / "real.toml"
    real.write_text('[profiles.main]\nprovider = "laaffic"\n', encoding="utf-8")
    cfg.parent.mkdir(parents=True)
    cfg.symlink_to(real)
    assert "symlink" in fails(run(cfg, "set", "timeout", "3")).stderr
    assert real.read_text(encoding="utf-8") == '[profiles.main]\nprovider = "laaffic"\n'


def test_every_command_is_documented() -> None:
    for name in ("init", "set", "unset", "get", "show", "list", "use", "remove", "path"):
        result = CliRunner().invoke(APP, ["config", name, "--help"])
        assert result.exit_code == 0, name
        assert "Usage:" in result.stdout
    assert "batch_max_numbers" in CliRunner().invoke(APP, ["config", "set", "--help"]).stdout


# --------------------------------------------------------------------------- mobset

PASSWORD = "pa$$-wörd-771"


def test_init_mobset_scripted_reads_the_password_from_stdin(cfg: pathlib.Path) -> None:
    result = ok(
        run(
            cfg,
            "init",
            "--provider",
            "mobset",
            "--corp-id",
            "200001",
            "--login-name",
            "ops",
            "--password-stdin",
            input=f"{PASSWORD}\n",
        )
    )
    assert saved(cfg)["profiles"]["main"] == {
        "provider": "mobset",
        "corp_id": "200001",
        "login_name": "ops",
        "password": PASSWORD,
    }
    assert stat.S_IMODE(cfg.stat().st_mode) == 0o600
    assert "next: smscli config show" in result.stderr
    no_secret(result, PASSWORD)
    shown = ok(run(cfg, "show", "-o", "json"))
    rows = {row["key"]: row for row in json.loads(shown.stdout)}
    assert rows["password"]["value"] == "********"
    assert "sender_id" not in rows and "api_key" not in rows
    no_secret(shown, PASSWORD)


def test_init_mobset_scripted_says_what_is_missing(cfg: pathlib.Path) -> None:
    result = fails(run(cfg, "init", "--provider", "mobset", "--corp-id", "100001"))
    assert "--login-name" in result.stderr and "--password-stdin" in result.stderr
    assert '"$PASSWORD"' in result.stderr and "--api-secret-stdin" not in result.stderr
    assert not cfg.exists()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--corp-id", "12ab"], "corp_id must be digits only"),
        (["--api-secret-stdin"], "--api-secret-stdin is not used by provider mobset"),
        (["--sender-id", "ACME"], "mobset has no sender ID"),
        (["--api-key", API_KEY], "--api-key is not used by provider mobset"),
    ],
)
def test_init_mobset_refuses_what_mobset_does_not_use(
    cfg: pathlib.Path, args: list[str], fragment: str
) -> None:
    base = ["init", "--provider", "mobset", "--login-name", "ops", "--password-stdin"]
    if "--corp-id" not in args:
        base += ["--corp-id", "100001"]
    result = fails(run(cfg, *base, *args, input=f"{PASSWORD}\n"))
    assert fragment in result.stderr
    no_secret(result, PASSWORD)
    assert not cfg.exists()


def test_init_v3_refuses_the_password_flag(cfg: pathlib.Path) -> None:
    result = fails(
        run(
            cfg,
            "init",
            "--provider",
            "laaffic",
            "--api-key",
            API_KEY,
            "--app-id",
            "a",
            "--password-stdin",
            input=f"{SECRET}\n",
        )
    )
    assert "use --api-secret-stdin" in result.stderr


def test_init_mobset_interactive_asks_and_hides_the_password(
    cfg: pathlib.Path, monkeypatch: pytest.MonkeyPatch, console_env: Any
) -> None:
    console_env(stdin_isatty=True, stdout_isatty=True)
    # profile name, provider, corp_id (a bad one first), login_name, password (hidden), base_url
    answers = f"\nmobset\nabc\n100001\nops\n{PASSWORD}\n\n"
    result = ok(run(cfg, "init", input=answers))
    assert saved(cfg)["profiles"]["main"] == {
        "provider": "mobset",
        "corp_id": "100001",
        "login_name": "ops",
        "password": PASSWORD,
    }
    assert "corp_id must be digits only" in result.stdout
    assert "login_name" in result.stdout and "password" in result.stdout
    assert "sender_id" not in result.stdout
    no_secret(result, PASSWORD)


@pytest.mark.parametrize(
    "args",
    [
        ["--sandbox-mobset"],
        ["--sandbox", "--provider", "sandbox-mobset"],
        ["--sandbox-mobset", "--provider", "sandbox-mobset"],
    ],
)
def test_init_sandbox_mobset_in_one_step(cfg: pathlib.Path, args: list[str]) -> None:
    init_main(cfg)
    result = ok(run(cfg, "init", *args))
    data = saved(cfg)
    assert data["profiles"]["sandbox-mobset"] == {"provider": "sandbox-mobset"}
    assert data["default_profile"] == "sandbox-mobset"
    assert "offline, sends nothing" in result.stderr
    fails(run(cfg, "init", *args))
    ok(run(cfg, "init", *args, "--force"))
    ok(run(cfg, "init", "-p", "play", *args, "--no-default"))
    assert saved(cfg)["profiles"]["play"] == {"provider": "sandbox-mobset"}
    assert saved(cfg)["default_profile"] == "sandbox-mobset"


@pytest.mark.parametrize(
    "args",
    [
        ["--sandbox", "--provider", "laaffic"],
        ["--sandbox-mobset", "--provider", "sandbox"],
    ],
)
def test_init_sandbox_with_a_real_provider_is_refused(cfg: pathlib.Path, args: list[str]) -> None:
    result = fails(run(cfg, "init", *args))
    assert "--provider" in result.stderr
    assert not cfg.exists()


def test_init_sandbox_mobset_interactive_asks_nothing(
    cfg: pathlib.Path, monkeypatch: pytest.MonkeyPatch, console_env: Any
) -> None:
    console_env(stdin_isatty=True, stdout_isatty=True)
    ok(run(cfg, "init", "-p", "play", "--provider", "sandbox-mobset", input=""))
    assert saved(cfg)["profiles"]["play"] == {"provider": "sandbox-mobset"}


def test_show_sandbox_mobset_notes_the_test_credentials(cfg: pathlib.Path) -> None:
    ok(run(cfg, "init", "--sandbox-mobset"))
    rows = {row["key"]: row for row in json.loads(ok(run(cfg, "show", "-o", "json")).stdout)}
    for key in ("corp_id", "login_name", "password"):
        assert rows[key]["value"] is None
        assert "the sandbox uses its own test credentials" in rows[key]["source"]
    assert rows["base_url"]["source"] == "not set"


def test_set_mobset_password_only_from_stdin(cfg: pathlib.Path) -> None:
    ok(
        run(
            cfg,
            "init",
            "--provider",
            "mobset",
            "--corp-id",
            "100001",
            "--login-name",
            "ops",
            "--password-stdin",
            input=f"{PASSWORD}\n",
        )
    )
    refused = fails(run(cfg, "set", "password", "n3w-pw-5511"))
    assert "refusing password" in refused.stderr
    ok(run(cfg, "set", "password", "-", input="n3w-pw-5511\n"))
    assert saved(cfg)["profiles"]["main"]["password"] == "n3w-pw-5511"
    assert (
        "sender_id is not used by provider mobset"
        in fails(run(cfg, "set", "sender_id", "ACME")).stderr
    )
