"""Which sender addresses an account may use: its verified domains, and their subdomains.

A verified `mail.acme.com` allows `x@mail.acme.com` and `x@eu.mail.acme.com`, never
`x@acme.com`. Names compare lowercased in their ASCII (IDNA) form, as the API stores addresses.
SES providers always follow the rule (SES identities belong to the operator's AWS account, not to
a MailPass account); the SMTP family follows it when the account turns it on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import idna

if TYPE_CHECKING:
    from mailpass.models import Provider
    from mailpass.ports import AccountConfig


def ascii_domain(name: str) -> str | None:
    """`name` lowercased in its ASCII form; None when it is no valid domain name."""
    name = name.strip().rstrip(".").lower()
    if name.isascii():  # already ASCII (the API's addresses are): no IDNA tables needed
        return name or None
    try:
        return idna.encode(name, uts46=True).decode("ascii").lower()
    except idna.IDNAError:
        return None


def domain_of(from_email: str) -> str:
    return from_email.rpartition("@")[2]


def identity_for(from_email: str, verified: frozenset[str] | set[str]) -> str | None:
    """The verified domain that covers the address's domain (the longest, so the nearest SES
    identity), or None."""
    domain = ascii_domain(domain_of(from_email))
    if not domain or not verified:
        return None
    names = {n for n in (ascii_domain(v) for v in verified) if n}
    labels = domain.split(".")
    for start in range(len(labels)):
        candidate = ".".join(labels[start:])
        if candidate in names:
            return candidate
    return None


def sender_domain_allowed(from_email: str, verified: frozenset[str] | set[str]) -> bool:
    return identity_for(from_email, verified) is not None


@dataclass(frozen=True, slots=True)
class SenderPolicy:
    """An account's rule for sender addresses. The default allows no SES sender at all."""

    verified: frozenset[str] = frozenset()
    restrict_smtp: bool = False

    @classmethod
    def of(cls, config: AccountConfig | None) -> SenderPolicy:
        if config is None:
            return cls()
        return cls(config.verified_domains, config.account.restrict_senders_to_verified_domains)

    def applies_to(self, provider: Provider) -> bool:
        return provider.kind.is_ses or self.restrict_smtp

    def allows(self, provider: Provider, from_email: str) -> bool:
        return not self.applies_to(provider) or sender_domain_allowed(from_email, self.verified)

    def refusal(self, provider: Provider, from_email: str) -> str:
        """Why `provider` may not send from `from_email`, in words for the caller."""
        domain = domain_of(from_email)
        if provider.kind.is_ses:
            return (
                f"The sender domain {domain} is not one of this account's verified domains; "
                "SES providers send only from them (verify it with POST /api/v1/domains)"
            )
        return (
            f"The sender domain {domain} is not one of this account's verified domains, and the "
            "account sends only from them (restrict_senders_to_verified_domains)"
        )
