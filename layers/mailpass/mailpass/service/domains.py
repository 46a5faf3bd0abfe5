"""Sender domains: an account sends through SES only from domains it proved it owns.

A domain is the account's once both hold: its own ownership TXT token is in DNS
(`_mailpass.<domain>`, random per account and domain), and SES's Easy DKIM for the name
succeeded. DKIM alone is not enough: the SES identity belongs to the operator's AWS account and
is shared by every MailPass account that adds the name. Several accounts may have a name
pending; the first to prove it holds it (the store's OWNER claim), the others stay pending.

Pending domains are re-checked by the scheduled dispatcher, with growing intervals, for up to
`domain_check_hours` (72 h), then failed. A DNS timeout is a temporary failure: checked again,
never failed for it."""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from mailpass.errors import Conflict, DnsUnavailable, NotFound, ValidationFailed
from mailpass.models import DnsRecord, Domain, DomainStatus, domain_id_for, utcnow
from mailpass.observability import logger
from mailpass.ports_account import DkimState, DnsLookup, DomainStore, DueCheck, SesIdentities
from mailpass.settings import Settings

MAX_NAME_LENGTH = 253
# Names that never reach public DNS (RFC 6761, RFC 6762, RFC 8375, and common private suffixes).
RESERVED_SUFFIXES = (
    "localhost",
    "local",
    "internal",
    "intranet",
    "private",
    "lan",
    "home",
    "corp",
    "localdomain",
    "test",
    "invalid",
    "example",
    "onion",
    "arpa",
    "home.arpa",
    "alt",
)
FIRST_DELAY = timedelta(minutes=5)
MAX_DELAY = timedelta(hours=6)
OWNERSHIP_PREFIX = "mailpass-verification="


def normalize_name(raw: str) -> str:
    """The domain's lowercased ASCII (IDNA 2008, UTS 46) form; refuses what cannot be a public
    sender domain: IP literals, single labels, reserved suffixes, overlong names."""
    import idna

    text = raw.strip().rstrip(".").lower()
    if not text:
        raise ValidationFailed("name must not be empty")
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        pass
    else:
        raise ValidationFailed("name must be a domain name, not an IP address")
    try:
        name = idna.encode(text, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError) as exc:
        raise ValidationFailed(f"name is not a valid domain name: {exc}") from None
    labels = name.split(".")
    if len(name) > MAX_NAME_LENGTH or any(not 0 < len(label) <= 63 for label in labels):
        raise ValidationFailed("name is too long, or has an empty or overlong label")
    if len(labels) < 2:
        raise ValidationFailed("name must have at least two labels (example: mail.acme.com)")
    if labels[-1].isdigit():
        raise ValidationFailed("name must end in a top-level domain, not a number")
    if any(name == s or name.endswith("." + s) for s in RESERVED_SUFFIXES):
        raise ValidationFailed("name is under a reserved or private suffix")
    return name


class DomainService:
    def __init__(
        self,
        store: DomainStore,
        dns: DnsLookup,
        ses: SesIdentities,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._store = store
        self._dns = dns
        self._ses = ses
        self._settings = settings
        self._clock = clock

    # records ------------------------------------------------------------------------------
    def _records(self, name: str, token: str, dkim_tokens: tuple[str, ...]) -> list[DnsRecord]:
        s = self._settings
        region = s.ses_region or os.environ.get("AWS_REGION") or "us-east-1"
        mail_from = f"{s.mail_from_subdomain}.{name}"
        spf = f"v=spf1 {s.spf_include} ~all"
        return [
            *(
                DnsRecord("CNAME", f"{t}._domainkey.{name}", f"{t}.dkim.amazonses.com", "dkim")
                for t in dkim_tokens
            ),
            DnsRecord("TXT", f"_mailpass.{name}", OWNERSHIP_PREFIX + token, "ownership"),
            DnsRecord("TXT", name, spf, "spf", required=False),
            DnsRecord(
                "MX",
                mail_from,
                f"10 feedback-smtp.{region}.amazonses.com",
                "mail_from",
                required=False,
            ),
            DnsRecord("TXT", mail_from, spf, "mail_from", required=False),
            DnsRecord(
                "TXT",
                f"_dmarc.{name}",
                f"v=DMARC1; p=none; rua=mailto:dmarc@{name}",
                "dmarc",
                required=False,
            ),
        ]

    def _check_record(self, record: DnsRecord) -> DnsRecord:
        try:
            found = self._dns.lookup(record.name, record.type)
        except DnsUnavailable as exc:
            return replace(record, status="temporary_failure", reason=f"DNS did not answer: {exc}")
        if _matches(record, found, self._settings.spf_include):
            return replace(record, status="verified", reason=None)
        if not found:
            why = f"no {record.type} record at {record.name}"
        else:
            why = f"found {', '.join(found)[:200]}; expected {record.value}"
        return replace(record, status="failed", reason=why)

    # checks -------------------------------------------------------------------------------
    def _check(self, domain: Domain, dkim: DkimState | None) -> tuple[Domain, bool]:
        """The domain after one check of every record (not stored), as it stands when it is not
        (or cannot be) verified now, and whether the check passed."""
        now = self._clock()
        records = tuple(self._check_record(r) for r in domain.records)
        state = dkim or DkimState("NOT_STARTED")
        ownership = next((r for r in records if r.purpose == "ownership"), None)
        owned = ownership is not None and ownership.status == "verified"
        passed = owned and state.status == "SUCCESS"
        temporary = any(r.required and r.status == "temporary_failure" for r in records) or (
            state.status == "TEMPORARY_FAILURE"
        )
        reasons = [f"{r.purpose}: {r.reason}" for r in records if r.required and r.reason]
        if state.status != "SUCCESS":
            reasons.append(f"dkim: SES reports {state.status.lower()}")
        checked = replace(
            domain,
            records=records,
            last_checked_at=now,
            attempts=domain.attempts + 1,
            failure_reason="; ".join(reasons)[:1000] or None,
        )
        if domain.status is DomainStatus.VERIFIED:
            # Verified stays verified; a check only refreshes what each record shows.
            return replace(checked, failure_reason=None, next_check_at=None), True
        deadline = domain.created_at + timedelta(hours=self._settings.domain_check_hours)
        if temporary:
            status = DomainStatus.TEMPORARY_FAILURE
        elif state.status == "FAILED" or now >= deadline or domain.status is DomainStatus.FAILED:
            return replace(checked, status=DomainStatus.FAILED, next_check_at=None), passed
        else:
            status = DomainStatus.PENDING
        delay = min(FIRST_DELAY * 2 ** min(domain.attempts + 1, 16), MAX_DELAY)
        # The last check falls on the deadline; a temporary failure keeps being retried.
        nxt = now + delay if temporary else min(now + delay, max(deadline, now))
        return replace(checked, status=status, next_check_at=nxt), passed

    def _apply(self, domain: Domain, dkim: DkimState | None) -> Domain:
        """Check and store; raises Conflict when another check of it was stored meanwhile."""
        was_due = domain.next_check_at
        checked, passed = self._check(domain, dkim)
        if passed and domain.status is not DomainStatus.VERIFIED:
            verified = replace(
                checked,
                status=DomainStatus.VERIFIED,
                verified_at=checked.last_checked_at,
                next_check_at=None,
                failure_reason=None,
            )
            if self._store.claim_verified(verified, was_due=was_due):
                logger.info("domain verified", extra={"domain": domain.name})
                return verified
            checked = replace(checked, failure_reason="another account has verified this domain")
        self._store.save_check(checked, was_due=was_due)
        return checked

    # use cases ----------------------------------------------------------------------------
    def create(self, account_id: str, raw_name: str) -> dict[str, Any]:
        name = normalize_name(raw_name)
        domain_id = domain_id_for(account_id, name)
        if self._store.get_domain(account_id, domain_id) is not None:
            raise Conflict(f"The account has the domain {name} already")
        now = self._clock()
        domain = self._create(account_id, domain_id, name, next_check_at=now + FIRST_DELAY)
        return domain.public()

    def _create(
        self, account_id: str, domain_id: str, name: str, *, next_check_at: datetime | None
    ) -> Domain:
        """A new pending domain: its SES identity, its ownership token and its records."""
        dkim = self._ses.create(name)
        token = secrets.token_urlsafe(24)
        domain = Domain(
            domain_id=domain_id,
            account_id=account_id,
            name=name,
            token=token,
            records=tuple(self._records(name, token, dkim.tokens)),
            dkim_tokens=dkim.tokens,
            created_at=self._clock(),
            next_check_at=next_check_at,
        )
        self._store.create_domain(domain)
        return domain

    def add_verified(self, account_id: str, raw_name: str) -> Domain:
        """The operator's `domain add --verified`: for a single-tenant install whose operator
        verified the name in SES already. Still takes the name's one verified hold."""
        name = normalize_name(raw_name)
        domain_id = domain_id_for(account_id, name)
        found = self._store.get_domain(account_id, domain_id)
        if found is None:
            found = self._create(account_id, domain_id, name, next_check_at=None)
        if found.status is DomainStatus.VERIFIED:
            return found
        now = self._clock()
        verified = replace(
            found,
            status=DomainStatus.VERIFIED,
            verified_at=now,
            last_checked_at=now,
            next_check_at=None,
            failure_reason=None,
        )
        if not self._store.claim_verified(verified, was_due=found.next_check_at):
            raise Conflict(f"Another account has verified {name}")
        return verified

    def _get(self, account_id: str, domain_id: str) -> Domain:
        domain = self._store.get_domain(account_id, domain_id)
        if domain is None:
            raise NotFound("No such domain for this account")
        return domain

    def list_all(self, account_id: str) -> dict[str, Any]:
        return {"domains": [d.public() for d in self._store.list_domains(account_id)]}

    def get(self, account_id: str, domain_id: str) -> dict[str, Any]:
        return self._get(account_id, domain_id).public()

    def verify(self, account_id: str, domain_id: str) -> dict[str, Any]:
        domain = self._get(account_id, domain_id)
        dkim = self._ses.dkim([domain.name]).get(domain.name)
        try:
            return self._apply(domain, dkim).public()
        except Conflict:
            # The schedule checked it at the same moment: its answer is as fresh as ours.
            return self._get(account_id, domain_id).public()

    def delete(self, account_id: str, domain_id: str) -> dict[str, Any]:
        for attempt in range(3):
            domain = self._get(account_id, domain_id)
            try:
                remaining = self._store.delete_domain(domain)
                break
            except Conflict:  # checked at the same moment: delete what it is now
                if attempt == 2:
                    raise
        if remaining == 0:
            # No account has the name any more, pending or verified: the shared SES identity
            # goes too. Otherwise another account still needs its DKIM.
            self._ses.delete(domain.name)
        return {"deleted": domain_id}

    def recheck_due(
        self, *, limit: int = 50, time_left_ms: Callable[[], int] | None = None
    ) -> dict[str, int]:
        """Check the domains whose next check is due; stops early when time runs short."""
        counts = {"checked": 0, "verified": 0, "failed": 0, "skipped": 0}
        due = self._store.due_domains(self._clock(), limit)
        if not due:
            return counts
        domains: list[tuple[DueCheck, Domain]] = []
        for entry in due:
            domain = self._store.get_domain(entry.account_id, entry.domain_id)
            if domain is None or domain.next_check_at != entry.at:
                self._store.drop_due(entry)  # left behind by a delete that raced a check
                counts["skipped"] += 1
            else:
                domains.append((entry, domain))
        states = self._ses.dkim(sorted({d.name for _, d in domains})) if domains else {}
        for _, domain in domains:
            if time_left_ms is not None and time_left_ms() < 5_000:
                break
            try:
                after = self._apply(domain, states.get(domain.name))
            except Conflict:
                counts["skipped"] += 1
                continue
            counts["checked"] += 1
            if after.status is DomainStatus.VERIFIED:
                counts["verified"] += 1
            elif after.status is DomainStatus.FAILED:
                counts["failed"] += 1
        return counts


def _matches(record: DnsRecord, found: list[str], spf_include: str) -> bool:
    values = [v.strip().lower() for v in found]
    if record.purpose in {"spf", "mail_from"} and record.type == "TXT":
        return any(v.startswith("v=spf1") and spf_include.lower() in v.split() for v in values)
    if record.purpose == "dmarc":
        return any(v.replace(" ", "").startswith("v=dmarc1;") for v in values)
    if record.type == "MX":
        want = record.value.split()[-1].lower()
        return any(v.split()[-1] == want for v in values)
    if record.type == "TXT":
        return record.value in [v.strip() for v in found]
    return record.value.lower() in values
