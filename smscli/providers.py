"""From a resolved profile to a gateway client. The only place that knows which class serves
which provider, so commands stay provider-agnostic."""

from __future__ import annotations

from typing import TYPE_CHECKING

from smscli.errors import ConfigError

if TYPE_CHECKING:
    import httpx

    from smscli.gateways.base import Gateway, Trace
    from smscli.gateways.mobset import MobsetClient
    from smscli.gateways.v3 import V3Client
    from smscli.settings import ResolvedProfile

V3_PROVIDERS = ("laaffic", "onbuka", "itniotech")
# The in-process sandbox needs a URL for httpx to route to its MockTransport; never resolved.
SANDBOX_URL = "https://sandbox.smscli.invalid/v3"
# Enough simulated credit for a million messages, so trying a bulk send does not run dry.
SANDBOX_BALANCE = "10000.0000"
# The same for the mobset sandbox, whose balance is a number of messages.
MOBSET_SANDBOX_URL = "https://sandbox-mobset.smscli.invalid/SDK3/SMS"
MOBSET_SANDBOX_BALANCE = 1_000_000


def is_sandbox(profile: ResolvedProfile) -> bool:
    return profile.provider in ("sandbox", "sandbox-mobset")


def open_gateway(
    profile: ResolvedProfile,
    *,
    trace: Trace | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Gateway:
    """A client for the profile's provider. `transport` is for tests (httpx.MockTransport)."""
    from smscli.gateways.v3 import V3Client

    timeout = profile.get_float("timeout") or 30.0
    if profile.provider in V3_PROVIDERS:
        base_url = profile.base_url
        if not base_url:
            raise ConfigError(f"profile '{profile.name}' has no base_url")
        return V3Client(
            api_key=profile.require("api_key"),
            api_secret=profile.require("api_secret"),
            app_id=profile.require("app_id"),
            base_url=base_url,
            timeout=timeout,
            transport=transport,
            trace=trace,
        )
    if profile.provider == "sandbox":
        return _sandbox_client(profile, trace=trace, transport=transport, timeout=timeout)
    if profile.provider == "mobset":
        from smscli.gateways.mobset import MobsetClient

        return MobsetClient(
            corp_id=profile.require("corp_id"),
            login_name=profile.require("login_name"),
            password=profile.require("password"),
            base_url=profile.get_str("base_url"),
            timeout=timeout,
            transport=transport,
            trace=trace,
        )
    if profile.provider == "sandbox-mobset":
        return _mobset_sandbox_client(profile, trace=trace, transport=transport, timeout=timeout)
    raise ConfigError(f"provider '{profile.provider}' is not supported")


def _sandbox_client(
    profile: ResolvedProfile,
    *,
    trace: Trace | None,
    transport: httpx.BaseTransport | None,
    timeout: float,
) -> V3Client:
    from smscli.gateways import sandbox
    from smscli.gateways.v3 import V3Client
    from smscli.settings import data_dir

    base_url = profile.get_str("base_url")
    if transport is None and not base_url:
        # No base_url: simulate in-process, state kept in the data dir so that `report` in a
        # later process sees what `send` did.
        transport = sandbox.Sandbox(data_dir() / "sandbox", balance=SANDBOX_BALANCE).transport()
    return V3Client(
        api_key=profile.get_str("api_key") or sandbox.SANDBOX_API_KEY,
        api_secret=profile.get_str("api_secret") or sandbox.SANDBOX_API_SECRET,
        app_id=profile.get_str("app_id") or sandbox.SANDBOX_APP_ID,
        base_url=base_url or SANDBOX_URL,
        timeout=timeout,
        transport=transport,
        trace=trace,
    )


def _mobset_sandbox_client(
    profile: ResolvedProfile,
    *,
    trace: Trace | None,
    transport: httpx.BaseTransport | None,
    timeout: float,
) -> MobsetClient:
    from smscli.gateways import mobset_sandbox
    from smscli.gateways.mobset import MobsetClient
    from smscli.settings import data_dir

    base_url = profile.get_str("base_url")
    corp_id = profile.get_str("corp_id") or mobset_sandbox.MOBSET_SANDBOX_CORP_ID
    login_name = profile.get_str("login_name") or mobset_sandbox.MOBSET_SANDBOX_LOGIN_NAME
    password = profile.get_str("password") or mobset_sandbox.MOBSET_SANDBOX_PASSWORD
    if transport is None and not base_url:
        # In-process, with state in the data dir so a later process pulls the reports of an
        # earlier send. It takes the profile's credentials, if any, so they always match.
        transport = mobset_sandbox.MobsetSandbox(
            data_dir() / "sandbox-mobset",
            corp_id=corp_id,
            login_name=login_name,
            password=password,
            balance=MOBSET_SANDBOX_BALANCE,
        ).transport()
    return MobsetClient(
        corp_id=corp_id,
        login_name=login_name,
        password=password,
        base_url=base_url or MOBSET_SANDBOX_URL,
        timeout=timeout,
        transport=transport,
        trace=trace,
    )
