"""The sender rule (mailpass.senders), where it applies to provider settings, and the SES send's
identity ARN. The delivery cases are in test_delivery_table.py."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from mailpass.adapters.ses import SesSender, identity_arn
from mailpass.errors import SenderNotVerified, ValidationFailed
from mailpass.mime import OutgoingMessage
from mailpass.provider_schemas import ProviderCreate, ProviderUpdate
from mailpass.senders import identity_for, sender_domain_allowed
from mailpass.service.account import AccountService
from mailpass.service.auth import AuthService
from mailpass.service.limits import Limits
from mailpass.service.providers import ProviderService
from mailpass.service.send import SendService
from mailpass_api.app import container, create_app

from tests.fakes import NoProbe
from tests.fakes.domains import set_verified
from tests.unit.conftest import World, public_dns
from tests.unit.test_tracking_feedback import RecordingSes

VERIFIED = frozenset({"mail.acme.com", "example.org", "bücher.example"})

# from_email, the identity that covers it (None: not allowed)
RULE = [
    ("x@mail.acme.com", "mail.acme.com"),
    ("x@eu.mail.acme.com", "mail.acme.com"),  # a subdomain of a verified domain
    ("x@a.b.eu.mail.acme.com", "mail.acme.com"),
    ("x@MAIL.Acme.COM", "mail.acme.com"),  # domains compare without case
    ("x@acme.com", None),  # the parent of a verified domain is not verified
    ("x@othermail.acme.com", None),  # a label is matched whole, not as a suffix of text
    ("x@mail.acme.com.evil.test", None),
    ("x@notexample.org", None),
    ("x@example.org", "example.org"),
    ("x@xn--bcher-kva.example", "xn--bcher-kva.example"),  # IDN: compared in ASCII
    ("x@shop.bücher.example", "xn--bcher-kva.example"),
    ("x@", None),
    ("no-at-sign", None),
]


@pytest.mark.parametrize(("from_email", "identity"), RULE, ids=[r[0] for r in RULE])
def test_the_domain_rule(from_email: str, identity: str | None) -> None:
    assert identity_for(from_email, VERIFIED) == identity
    assert sender_domain_allowed(from_email, VERIFIED) is (identity is not None)


def test_the_longest_verified_domain_is_the_identity() -> None:
    both = frozenset({"acme.com", "mail.acme.com"})
    assert identity_for("x@eu.mail.acme.com", both) == "mail.acme.com"
    assert identity_for("x@acme.com", both) == "acme.com"
    assert identity_for("x@acme.com", frozenset()) is None


def test_the_identity_arn_is_in_the_providers_region() -> None:
    prefix = "arn:aws:ses:us-east-1:123456789012:identity/"
    assert identity_arn(prefix, "acme.com", None) == prefix + "acme.com"
    assert (
        identity_arn(prefix, "acme.com", "eu-west-1")
        == "arn:aws:ses:eu-west-1:123456789012:identity/acme.com"
    )


def test_an_ses_send_names_its_identity() -> None:
    client = RecordingSes()
    sender = SesSender(
        client,  # type: ignore[arg-type]
        None,
        identity_arn_prefix="arn:aws:ses:us-east-1:123456789012:identity/",
        region="eu-west-1",
    )
    msg = OutgoingMessage("<a.1@m>", "x@eu.acme.com", ("c@d.co",), b"raw", "acct_1", "acme.com")
    sender.send(msg)
    sender.send(OutgoingMessage("<a.2@m>", "x@eu.acme.com", ("c@d.co",), b"raw", "acct_1"))
    named, unnamed = client.calls
    assert named["FromEmailAddressIdentityArn"] == (
        "arn:aws:ses:eu-west-1:123456789012:identity/acme.com"
    )
    assert "FromEmailAddressIdentityArn" not in unnamed


def _providers(world: World) -> ProviderService:
    return ProviderService(world.store, world.secrets, NoProbe(), world.settings, public_dns)


def _ses(from_email: str | None = None, **extra: object) -> ProviderCreate:
    fields = {"kind": "ses", "name": "ses", "region": "us-east-1", **extra}
    if from_email:
        fields["from_email"] = from_email
    return ProviderCreate.model_validate(fields)


def test_an_ses_providers_default_sender_must_be_verified(world: World) -> None:
    account, _ = world.account_with_key(permissions=("settings",))
    providers = _providers(world)
    with pytest.raises(SenderNotVerified, match=r"acme\.example\.net"):
        providers.create(account, _ses("ceo@acme.example.net"))
    set_verified(world.store.memory, account, {"acme.example.net"})
    created = providers.create(account, _ses("ceo@eu.acme.example.net"))
    assert created["from_email"] == "ceo@eu.acme.example.net"
    # Without a default sender each send's from_email is checked instead.
    bare = providers.create(account, _ses())
    with pytest.raises(SenderNotVerified):
        providers.update(
            account, bare["provider_id"], ProviderUpdate(from_email="x@other.example.net")
        )
    providers.update(account, bare["provider_id"], ProviderUpdate(hourly_limit=5))
    # A domain no longer verified: the provider may not become the default.
    set_verified(world.store.memory, account, set())
    with pytest.raises(SenderNotVerified):
        providers.set_default(account, created["provider_id"])
    assert world.store.accounts[account].default_provider_id != created["provider_id"]


def test_smtp_default_senders_follow_the_accounts_restriction(world: World) -> None:
    account, _ = world.account_with_key(permissions=("settings",))
    providers = _providers(world)
    smtp = {"kind": "smtp", "name": "s", "host": "smtp.example.com", "port": 587}
    providers.create(
        account, ProviderCreate.model_validate({**smtp, "from_email": "a@x.example.net"})
    )
    world.store.update_account_settings(account, restrict_senders_to_verified_domains=True)
    with pytest.raises(SenderNotVerified, match="restrict_senders_to_verified_domains"):
        providers.create(
            account, ProviderCreate.model_validate({**smtp, "from_email": "a@x.example.net"})
        )
    set_verified(world.store.memory, account, {"x.example.net"})
    providers.create(
        account, ProviderCreate.model_validate({**smtp, "from_email": "a@x.example.net"})
    )


@dataclass
class Services:
    auth: AuthService
    sending: SendService
    account_settings: AccountService


def test_the_api_answers_403_and_the_account_setting_round_trips(world: World) -> None:
    app = create_app(max_request_bytes=64 * 1024, inline_blocking=True)
    store = world.store
    app.dependency_overrides[container] = lambda: Services(
        AuthService(store),
        SendService(store, world.senders, world.settings, Limits(store)),
        AccountService(store),
    )
    account, key = world.account_with_key(permissions=("mail", "settings"))
    _providers(world).create(account, _ses(make_default=True))
    auth = {"Authorization": f"Bearer {key}"}
    with TestClient(app) as client:
        mail = {
            "to": "u@example.com",
            "subject": "Hi",
            "text": "Hi",
            "from_email": "ceo@a.example.net",
        }
        resp = client.post("/api/v1/mail/send", json=mail, headers=auth)
        assert resp.status_code == 403
        error = resp.json()["error"]
        assert error["code"] == "SENDER_NOT_VERIFIED"
        assert "a.example.net" in error["message"]
        assert store.messages == {}

        got = client.get("/api/v1/account", headers=auth).json()["data"]
        assert got == {
            "account_id": account,
            "default_provider_id": store.accounts[account].default_provider_id,
            "fallback_provider_ids": [],
            "restrict_senders_to_verified_domains": False,
        }
        on = {"restrict_senders_to_verified_domains": True}
        changed = client.patch("/api/v1/account", json=on, headers=auth).json()["data"]
        assert changed == {**got, **on}
        assert store.accounts[account].restrict_senders_to_verified_domains is True
        for bad in ({"restrict_senders_to_verified_domains": "yes"}, {}, {**on, "other": 1}):
            resp = client.patch("/api/v1/account", json=bad, headers=auth)
            assert resp.json()["error"]["code"] == "VALIDATION_ERROR", bad
        _, mail_only = world.account_with_key(permissions=("mail",))
        resp = client.get("/api/v1/account", headers={"Authorization": f"Bearer {mail_only}"})
        assert resp.json()["error"]["code"] == "FORBIDDEN"


def test_the_mailpass_relay_logs_in_as_the_account_itself(world: World) -> None:
    account, _ = world.account_with_key(permissions=("settings",))
    other, _ = world.account_with_key(permissions=("settings",))
    providers = _providers(world)
    relay = {"kind": "mailpass", "name": "relay", "password": "relay-key"}
    own = providers.create(account, ProviderCreate.model_validate(relay))
    assert own["username"] == account
    with pytest.raises(ValidationFailed, match="account id"):
        providers.create(account, ProviderCreate.model_validate({**relay, "username": other}))
    with pytest.raises(ValidationFailed, match="account id"):
        providers.update(account, own["provider_id"], ProviderUpdate(username=other))
