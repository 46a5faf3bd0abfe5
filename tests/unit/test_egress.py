"""The egress guard over every spelling of a non-public address, and its use by the provider and
webhook services before anything connects. Names resolve through a table, never real DNS."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field

import pytest
from mailpass.egress import Address, resolve_public
from mailpass.errors import EgressRefused, ValidationFailed
from mailpass.models import Provider
from mailpass.provider_schemas import ProviderCreate, ProviderUpdate
from mailpass.service.providers import ProviderService
from mailpass.service.webhooks import WebhookService

from tests.unit.conftest import World

DNS: dict[str, list[Address]] = {
    "public.example": [(socket.AF_INET, "93.184.216.34")],
    "v6.example": [(socket.AF_INET6, "2606:2800:220:1:248:1893:25c8:1946")],
    "intranet.example": [(socket.AF_INET, "10.1.2.3")],
    "metadata.example": [(socket.AF_INET, "169.254.169.254")],
    "localhost.example": [(socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")],
    # One good answer does not excuse a bad one.
    "split.example": [(socket.AF_INET, "93.184.216.34"), (socket.AF_INET, "192.168.0.7")],
    "mapped.example": [(socket.AF_INET6, "::ffff:10.0.0.1")],
}


def table(host: str, port: int) -> list[Address]:
    if host not in DNS:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return DNS[host]


def check(host: str, *, allow_loopback: bool = False) -> list[Address]:
    return resolve_public(host, 25, allow_loopback=allow_loopback, resolve=table)


LOOPBACK = ["127.0.0.1", "127.1", "0x7f000001", "2130706433", "0177.0.0.1", "127.255.255.254"]
LOOPBACK_V6 = ["::1", "[::1]", "::ffff:127.0.0.1", "::ffff:7f00:1", "localhost.example"]
NEVER = [
    "169.254.169.254",  # the metadata service
    "0xa9fea9fe",
    "2852039166",
    "0251.0376.0251.0376",
    "64:ff9b::a9fe:a9fe",  # NAT64 of the metadata service
    "2002:a9fe:a9fe::",  # 6to4 of it
    "::ffff:169.254.169.254",
    "fe80::1",
    "fd00::1",
    "fd00:ec2::254",  # AWS's IPv6 metadata endpoint
    "fec0::1",
    "100.64.0.1",  # shared address space (carrier NAT; Alibaba's metadata is 100.100.100.200)
    "100.100.100.200",
    "224.0.0.1",
    "ff02::1",
    "0.0.0.0",  # noqa: S104  # a destination here, not a bind
    "0",
    "::",
    "10.0.0.1",
    "012.0.0.1",
    "192.168.1.1",
    "172.16.0.1",
    "172.31.255.255",
    "240.0.0.1",
    "255.255.255.255",
    "192.0.2.1",  # documentation
    "198.18.0.1",  # benchmarking
    "2001:db8::1",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    "::7f00:1",  # IPv4-compatible (deprecated) loopback
    "64:ff9b::7f00:1",
    "2002:7f00:1::",
    "64:ff9b::a00:1",
    "intranet.example",
    "metadata.example",
    "split.example",
    "mapped.example",
]


@pytest.mark.parametrize("host", NEVER + LOOPBACK + LOOPBACK_V6)
def test_non_public_addresses_are_refused_in_every_spelling(host: str) -> None:
    with pytest.raises(EgressRefused) as refused:
        check(host)
    assert refused.value.permanent
    assert isinstance(refused.value, ValidationFailed)  # a 400 VALIDATION_ERROR at the API
    assert "not a public internet address" in refused.value.message


@pytest.mark.parametrize("host", NEVER)
def test_the_local_relaxation_does_not_open_link_local_metadata_or_private(host: str) -> None:
    with pytest.raises(EgressRefused):
        check(host, allow_loopback=True)


@pytest.mark.parametrize("host", LOOPBACK + LOOPBACK_V6)
def test_the_local_relaxation_opens_loopback(host: str) -> None:
    assert check(host, allow_loopback=True)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("93.184.216.34", [(socket.AF_INET, "93.184.216.34")]),
        ("8.8.8.8", [(socket.AF_INET, "8.8.8.8")]),
        ("0x08080808", [(socket.AF_INET, "8.8.8.8")]),  # checked and connected as it resolves
        ("2606:4700::1111", [(socket.AF_INET6, "2606:4700::1111")]),
        ("64:ff9b::808:808", [(socket.AF_INET6, "64:ff9b::808:808")]),  # NAT64 of a public one
        ("2002:808:808::", [(socket.AF_INET6, "2002:808:808::")]),
        ("public.example", DNS["public.example"]),
        ("v6.example", DNS["v6.example"]),
    ],
)
def test_public_addresses_pass_as_the_addresses_to_connect_to(
    host: str, expected: list[Address]
) -> None:
    assert check(host) == expected


def test_a_name_that_does_not_resolve_is_refused_for_now() -> None:
    with pytest.raises(EgressRefused) as refused:
        check("nowhere.example")
    assert not refused.value.permanent
    assert refused.value.message == "cannot resolve nowhere.example"


def test_every_refusal_reads_the_same_whatever_the_reason() -> None:
    messages = set()
    for reason in ("127.0.0.1", "169.254.169.254", "10.0.0.1"):
        with pytest.raises(EgressRefused) as refused:
            check(reason)
        messages.add(refused.value.message.removeprefix(reason))
    assert len(messages) == 1


# --- the services check before anything is written or connected -------------------------------


@dataclass
class RecordingProbe:
    probed: list[str] = field(default_factory=list)

    def probe(self, provider: Provider) -> list[dict[str, object]]:
        self.probed.append(provider.provider_id)
        return [{"step": "connect", "ok": True, "detail": "pretend", "ms": 0.0}]


def providers(world: World, probe: RecordingProbe, *, local: bool = False) -> ProviderService:
    settings = world.settings.model_copy(update={"allow_local_egress": local})
    return ProviderService(world.store, world.secrets, probe, settings, table)


def smtp(host: str, port: int = 25) -> ProviderCreate:
    return ProviderCreate(kind="smtp", name="relay", host=host, port=port)


@pytest.mark.parametrize("host", ["127.0.0.1", "0177.0.0.1", "169.254.169.254", "intranet.example"])
def test_an_smtp_provider_cannot_be_aimed_inside(world: World, host: str) -> None:
    account, _ = world.account_with_key(provider=False)
    service = providers(world, RecordingProbe())
    with pytest.raises(EgressRefused):
        service.create(account, smtp(host))
    assert world.store.providers.get(account, {}) == {}
    made = service.create(account, smtp("public.example"))
    with pytest.raises(EgressRefused):
        service.update(account, made["provider_id"], ProviderUpdate(host=host))
    assert service.get(account, made["provider_id"])["host"] == "public.example"


def test_the_local_stack_may_aim_at_loopback_but_never_at_link_local(world: World) -> None:
    account, _ = world.account_with_key(provider=False)
    service = providers(world, RecordingProbe(), local=True)
    assert service.create(account, smtp("127.0.0.1", 2525))["host"] == "127.0.0.1"
    with pytest.raises(EgressRefused):
        service.create(account, smtp("169.254.169.254", 80))


def test_test_refuses_before_connecting_and_the_same_for_every_port(world: World) -> None:
    account, _ = world.account_with_key(provider=False)
    probe = RecordingProbe()
    # Providers aimed at loopback exist (made in the local mode, or before this check).
    local = providers(world, probe, local=True)
    ids = [local.create(account, smtp("127.0.0.1", port))["provider_id"] for port in (22, 2525)]
    strict = providers(world, probe)
    answers = []
    for provider_id in ids:
        with pytest.raises(EgressRefused) as refused:
            strict.test(account, provider_id)
        answers.append((refused.value.code, refused.value.message))
    assert answers[0] == answers[1]
    assert answers[0][0] == "VALIDATION_ERROR"
    assert probe.probed == []  # nothing was connected to
    public = strict.create(account, smtp("public.example"))["provider_id"]
    assert strict.test(account, public)["ok"]
    assert probe.probed == [public]


def test_presets_are_not_resolved_when_made(world: World) -> None:
    # smtp.sendgrid.net is the vendor's, not the tenant's aim; the table does not know it.
    account, _ = world.account_with_key(provider=False)
    made = providers(world, RecordingProbe()).create(
        account, ProviderCreate(kind="sendgrid", name="sg", password="SG.key")
    )
    assert made["host"] == "smtp.sendgrid.net"


def webhooks(world: World, *, local: bool = False) -> WebhookService:
    settings = world.settings.model_copy(update={"allow_local_egress": local})
    return WebhookService(world.store, world.secrets, settings, lambda: None, resolve=table)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.1/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[64:ff9b::a9fe:a9fe]/",
        "https://intranet.example/hook",
        "https://split.example/hook",
        "http://public.example/hook",
        "https://public.example:0x50/hook",
    ],
)
def test_a_webhook_cannot_be_aimed_inside(world: World, url: str) -> None:
    account, _ = world.account_with_key(provider=False)
    with pytest.raises(ValidationFailed):
        webhooks(world).create(account, url, ["open"])


def test_the_local_stack_may_post_webhooks_to_loopback_over_http_but_not_to_metadata(
    world: World,
) -> None:
    account, _ = world.account_with_key(provider=False)
    local = webhooks(world, local=True)
    assert local.create(account, "http://127.0.0.1:8080/hook", ["open"])["url"]
    for url in ("http://169.254.169.254/latest", "http://10.0.0.1/hook"):
        with pytest.raises(EgressRefused):
            local.create(account, url, ["open"])
    assert webhooks(world).create(account, "https://public.example/hook", ["open"])["url"]
