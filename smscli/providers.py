"""From a resolved profile to a gateway client. The only place that knows which class serves
which provider, so commands stay provider-agnostic; and scheduled sending (`--at`) for a
client that declares it can."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from smscli.errors import ConfigError, NotSupported
from smscli.profilekeys import MOBSET, SANDBOX, SANDBOX_MOBSET, SANDBOX_PROVIDERS, V3_PROVIDERS

if TYPE_CHECKING:
    import httpx  # noqa: TID251 - type names only (the transport a test passes in)

    from smscli.gateways.base import (
        Balance,
        BatchElement,
        Gateway,
        PlannedRequest,
        ReportResult,
        SchedulingGateway,
        SendResult,
        Trace,
    )
    from smscli.gateways.mobset import MobsetClient
    from smscli.gateways.v3 import V3Client
    from smscli.settings import ResolvedProfile

# The in-process sandbox needs a URL for httpx to route to its MockTransport; never resolved.
SANDBOX_URL = "https://sandbox.smscli.invalid/v3"
MOBSET_SANDBOX_URL = "https://sandbox-mobset.smscli.invalid/SDK3/SMS"


def is_sandbox(profile: ResolvedProfile) -> bool:
    """The v3 or the mobset simulator: nothing real is sent, whatever its base_url."""
    return profile.provider in SANDBOX_PROVIDERS


# -- scheduled sending (`send --at`) ------------------------------------------------------------


def scheduled(gateway: Gateway, at: datetime) -> Gateway:
    """The gateway with every send (and planned send) scheduled for `at`. NotSupported (exit 2)
    when the provider declares no scheduled sending (v3), so nothing goes out at the wrong
    time."""
    if not gateway.can_schedule:
        raise NotSupported(
            "scheduled sending is not supported by this provider",
            hint=f"drop --at ({gateway.name} sends at once)",
        )
    return _Scheduled(cast("SchedulingGateway", gateway), at)


class _Scheduled:
    """A Gateway whose sends carry `at`. Anything else is the wrapped client's own (the
    queue calls of a report drain included)."""

    def __init__(self, gateway: SchedulingGateway, at: datetime) -> None:
        self._gateway = gateway
        self.at = at
        self.name = gateway.name
        self.max_numbers_per_send = gateway.max_numbers_per_send
        self.max_content_chars = gateway.max_content_chars
        self.max_ids_per_report = gateway.max_ids_per_report
        self.max_sender_id = gateway.max_sender_id
        self.report_mode = gateway.report_mode
        self.can_schedule = True
        self.multi_content = False  # one scheduled request per content, never a batch call
        self.balance_unit = gateway.balance_unit
        self.warnings = gateway.warnings

    @property
    def clock_offset(self) -> float:
        # The client's own: it changes when the gateway says this machine's clock is off.
        return self._gateway.clock_offset

    def __getattr__(self, name: str) -> Any:
        return getattr(self._gateway, name)

    def plan_send(
        self,
        numbers: Sequence[str],
        content: str,
        *,
        sender_id: str | None = None,
        order_ids: Sequence[str] | None = None,
    ) -> PlannedRequest:
        return self._gateway.plan_send(
            numbers, content, sender_id=sender_id, order_ids=order_ids, at=self.at
        )

    def send(
        self,
        numbers: Sequence[str],
        content: str,
        *,
        sender_id: str | None = None,
        order_ids: Sequence[str] | None = None,
    ) -> SendResult:
        return self._gateway.send(
            numbers, content, sender_id=sender_id, order_ids=order_ids, at=self.at
        )

    def plan_batch(self, elements: Sequence[BatchElement]) -> PlannedRequest:
        from smscli.gateways.base import plan_one_element

        return plan_one_element(self, elements)

    def send_batch(self, elements: Sequence[BatchElement]) -> SendResult:
        # Never fall through to the client's unscheduled batch call.
        raise NotSupported("scheduled sending of a batch is not supported")

    def get_report(self, msg_ids: Sequence[str]) -> ReportResult:
        return self._gateway.get_report(msg_ids)

    def get_balance(self) -> Balance:
        return self._gateway.get_balance()

    def close(self) -> None:
        self._gateway.close()


def open_gateway(
    profile: ResolvedProfile,
    *,
    trace: Trace | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Gateway:
    """A client for the profile's provider. `transport` is for tests (httpx.MockTransport)."""
    from smscli.gateways.v3 import V3Client

    timeout = profile.float_setting("timeout")
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
    if profile.provider == SANDBOX:
        return _sandbox_client(profile, trace=trace, transport=transport, timeout=timeout)
    if profile.provider == MOBSET:
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
    if profile.provider == SANDBOX_MOBSET:
        return _mobset_sandbox_client(profile, trace=trace, transport=transport, timeout=timeout)
    raise ConfigError(f"provider '{profile.provider}' is not supported")


def _quirks(profile: ResolvedProfile) -> tuple[str, ...]:
    """The in-process simulator's quirk modes: the profile's sandbox_quirks plus any named in
    SMSCLI_SANDBOX_QUIRKS."""
    import os

    from smscli.sandbox.quirks import parse

    given = [profile.get_str("sandbox_quirks") or "", os.environ.get("SMSCLI_SANDBOX_QUIRKS", "")]
    try:
        return tuple(sorted(parse(given)))
    except ValueError as exc:
        raise ConfigError(str(exc), hint="smscli sandbox quirks lists them") from None


def _sandbox_client(
    profile: ResolvedProfile,
    *,
    trace: Trace | None,
    transport: httpx.BaseTransport | None,
    timeout: float,
) -> V3Client:
    from smscli.gateways.v3 import V3Client
    from smscli.sandbox import v3 as sandbox
    from smscli.sandbox.local import open_v3
    from smscli.settings import data_dir

    base_url = profile.get_str("base_url")
    if transport is None and not base_url:
        # No base_url: simulate in-process, state kept in the data dir so that `report` in a
        # later process sees what `send` did.
        transport = open_v3(data_dir(), quirks=_quirks(profile)).transport()
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
    from smscli.gateways.mobset import MobsetClient
    from smscli.sandbox import mobset as mobset_sandbox
    from smscli.sandbox.local import open_mobset
    from smscli.settings import data_dir

    base_url = profile.get_str("base_url")
    corp_id = profile.get_str("corp_id") or mobset_sandbox.MOBSET_SANDBOX_CORP_ID
    login_name = profile.get_str("login_name") or mobset_sandbox.MOBSET_SANDBOX_LOGIN_NAME
    password = profile.get_str("password") or mobset_sandbox.MOBSET_SANDBOX_PASSWORD
    if transport is None and not base_url:
        # In-process, with state in the data dir so a later process pulls the reports of an
        # earlier send. It takes the profile's credentials, if any, so they always match.
        transport = open_mobset(
            data_dir(),
            corp_id=corp_id,
            login_name=login_name,
            password=password,
            quirks=_quirks(profile),
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
