"""Defaults are written once, in the key registry (smscli.profilekeys.KEYS): the commands'
pace, the gateway's timeout and the help texts read them from there."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from smscli import profilekeys, providers, settings
from smscli.cli import app


def _profile(provider: str = "laaffic", **values: object) -> settings.ResolvedProfile:
    given = {k: settings.Setting(v, "file") for k, v in values.items()}
    return settings.ResolvedProfile("p", provider, given, Path("x"))


def test_the_gateway_timeout_is_the_registrys_default_or_the_profiles() -> None:
    for profile, expected in (
        (_profile("sandbox"), profilekeys.KEYS["timeout"].default),
        (_profile("sandbox", timeout=7.5), 7.5),
    ):
        gateway = providers.open_gateway(profile)
        try:
            assert gateway._client.timeout.read == expected  # type: ignore[attr-defined]
        finally:
            gateway.close()


def test_provider_families_are_the_registrys() -> None:
    assert providers.is_sandbox(_profile("sandbox")) and providers.is_sandbox(
        _profile("sandbox-mobset")
    )
    assert not any(providers.is_sandbox(_profile(p)) for p in profilekeys.V3_PROVIDERS)


def test_concurrency_help_names_the_registry_default() -> None:
    default = profilekeys.KEYS["concurrency"].default
    for command in ("send", "batch"):
        done = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"})
        assert done.exit_code == 0
        assert f"the profile's concurrency, {default})" in " ".join(done.output.split())
