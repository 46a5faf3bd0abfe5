"""Take one accepted message through its provider chain: the one place the delivery rules live.

Both /send (one message, synchronously) and the dispatcher (each message of a pack) run a
message through `Delivery.deliver`, a short sequence of named steps:

  check sender       the providers of the chain that may send from the message's sender: an SES
                     provider only from the account's verified domains (and their subdomains),
                     the SMTP family too when the account restricts senders. A provider that may
                     not is passed over (a fallback applies its own rule); when none may, the
                     message is final `failed` (SENDER_NOT_VERIFIED), no provider contacted.
  check suppression  a suppressed `to` is final `failed`, no provider contacted; a suppressed
                     cc/bcc is left out, and noted.
  pick provider      the next provider in the chain that is not known to be down and has room
                     under its send limit (the caller's `Quota` strategy reserves the place).
  compose            the MIME message, once, with tracking for the first provider picked; an
                     HTML-only message gains a text/plain part generated from its HTML
                     (`"text": ""` opts out: HTML only).
  hand off           to the provider. A permanent refusal (5xx, a rejected address) is about
                     the message: final `failed`, no other provider tried. Anything else gives
                     the place back and goes to the next provider.
  record outcome     one `Result`: status, note, provider, error, in the same words for both.

What stays with the callers is their own: /send stores its record and raises; the dispatcher
receives, claims, leases, packs, retries with backoff and releases."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from mailpass.errors import ProviderError
from mailpass.mime import Attachment, Composition, OutgoingMessage, build_message
from mailpass.models import Provider, utcnow
from mailpass.observability import logger
from mailpass.ports import SenderFactory
from mailpass.senders import SenderPolicy, identity_for

if TYPE_CHECKING:
    from mailpass.service.tracking import TrackingService

TEST_KEY_NOTE = "test key: the pipeline ran, no provider was contacted"
NO_PROVIDER = "the account has no provider any more"


@dataclass(frozen=True, slots=True)
class Accepted:
    """A message accepted for delivery: validated, with its id and sender settled."""

    account_id: str
    message_id: str
    from_email: str
    to: str
    subject: str
    from_name: str | None = None
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    reply_to: str | None = None
    html: str | None = None
    text: str | None = None
    track_opens: bool | None = None
    track_clicks: bool | None = None
    tracking_base: str | None = None  # the URL the request came in on, for tracking links
    test: bool = False
    date: datetime | None = None  # the Date header; now when not given
    attachments: tuple[Attachment, ...] = ()


class Status(StrEnum):
    SENT = "sent"
    FAILED = "failed"  # final
    RETRY = "retry"  # every provider tried failed transiently: another try may get through
    WAIT = "wait"  # every provider is over its send limit: none was tried


class Step(StrEnum):
    """The step that decided the outcome."""

    CHAIN = "chain"
    SENDER = "check sender"
    SUPPRESSION = "suppression"
    PICK = "pick provider"
    SIZE = "size"  # the composed message is larger than the provider takes
    HAND_OFF = "hand off"


@dataclass(frozen=True, slots=True)
class Result:
    status: Status
    step: Step
    provider: Provider | None = None  # that took it, or refused it last
    provider_message_id: str | None = None
    note: str | None = None
    error: str | None = None
    # Seconds until the soonest provider found over its limit has room (None: none was).
    limited_for: int | None = None
    failovers: int = 0
    hand_off_ms: float | None = None


class Quota(Protocol):
    """How a send's place under its provider's limit is held: one reservation per message
    (/send), or one per pack and provider (the dispatcher)."""

    def take(self, provider: Provider) -> int | None:
        """None: a place is taken. Otherwise the seconds until the provider has room."""
        ...

    def unused(self, provider: Provider) -> None:
        """The provider did not take the message: its place goes back."""
        ...


def explain(failures: list[tuple[Provider, str]], *, named: bool = False) -> str:
    """The providers' own words; each named when there is more than one (or when asked)."""
    if len(failures) == 1 and not named:
        return failures[0][1]
    return "; ".join(f"{p.name} ({p.provider_id}): {why}" for p, why in failures)


def check_sender(
    from_email: str, chain: list[Provider], policy: SenderPolicy
) -> tuple[list[Provider], list[Provider]]:
    """Step: (the providers that may send from `from_email`, in order; those passed over)."""
    usable: list[Provider] = []
    passed: list[Provider] = []
    for provider in chain:
        (usable if policy.allows(provider, from_email) else passed).append(provider)
    return usable, passed


def sender_refused(from_email: str, chain: list[Provider], policy: SenderPolicy) -> str | None:
    """Why no provider of the chain may send from `from_email`; None when one may. For callers
    that can tell before delivery (a batch at enqueue time)."""
    usable, passed = check_sender(from_email, chain, policy)
    if usable or not passed:
        return None
    return policy.refusal(passed[0], from_email)


def too_large(raw: bytes, provider: Provider) -> str:
    return (
        f"the message is {len(raw)} bytes; {provider.name} ({provider.provider_id}) takes at"
        f" most {provider.message_size_limit}"
    )


class _Chain:
    """One message's walk down its provider chain."""

    def __init__(self, chain: list[Provider], quota: Quota, down: dict[str, str]) -> None:
        self._left = list(chain)
        self._quota = quota
        self._down = down
        self.failures: list[tuple[Provider, str]] = []
        self.limited: list[tuple[Provider, int]] = []

    def pick(self) -> Provider | None:
        """Step: the next provider not down and with room, its place taken."""
        while self._left:
            provider = self._left.pop(0)
            if provider.provider_id in self._down:  # failed for an earlier message just now
                self.failures.append((provider, self._down[provider.provider_id]))
                continue
            wait = self._quota.take(provider)
            if wait is None:
                return provider
            self.limited.append((provider, wait))
        return None

    def limited_for(self) -> int | None:
        return min((w for _, w in self.limited), default=None)

    def unsent(self) -> Result:
        """No provider left: retry if some failed, else wait for a send-limit window."""
        if not self.failures:
            return Result(Status.WAIT, Step.PICK, limited_for=self.limited_for())
        error = explain(self.failures)
        if self.limited:
            error += "; fallbacks over their send limit: " + ", ".join(
                p.provider_id for p, _ in self.limited
            )
        return Result(
            Status.RETRY,
            Step.HAND_OFF,
            provider=self.failures[-1][0],
            error=error,
            limited_for=self.limited_for(),
        )


class Delivery:
    def __init__(self, senders: SenderFactory, tracking: TrackingService | None = None) -> None:
        self._senders = senders
        self._tracking = tracking

    def deliver(
        self,
        msg: Accepted,
        chain: list[Provider],
        blocked: dict[str, str],
        quota: Quota,
        *,
        down: dict[str, str] | None = None,
        before_hand_off: Callable[[Provider, bytes], None] | None = None,
        senders: SenderPolicy | None = None,
    ) -> Result:
        """`blocked`: suppressed addresses (lower case) and why; may name other messages'.
        `down`: providers that failed transiently for earlier messages, and why; updated.
        `before_hand_off`: called with the provider and the MIME bytes before any send.
        `senders`: the account's sender rule (default: no verified domain)."""
        if not chain:
            return Result(Status.FAILED, Step.CHAIN, error=NO_PROVIDER)
        policy = senders or SenderPolicy()
        usable, passed = check_sender(msg.from_email, chain, policy)
        if not usable:
            error = policy.refusal(passed[0], msg.from_email)
            return Result(Status.FAILED, Step.SENDER, provider=passed[0], error=error)
        refused = self.check_suppression(msg, blocked)
        if refused is not None:
            return refused
        skipped = sorted({a.lower() for a in (*msg.cc, *msg.bcc)} & blocked.keys())
        notes = ["not sent to suppressed: " + ", ".join(skipped)] if skipped else []
        if passed:
            notes.append(
                "passed over for the sender's unverified domain: "
                + ", ".join(f"{p.name} ({p.provider_id})" for p in passed)
            )
        walk = _Chain(usable, quota, {} if down is None else down)
        provider = walk.pick()
        if provider is None:
            return walk.unsent()
        raw = self.compose(msg, provider)
        if len(raw) > provider.message_size_limit:  # final: no provider sends it smaller
            quota.unused(provider)
            return Result(
                Status.FAILED, Step.SIZE, provider=provider, error=too_large(raw, provider)
            )
        if before_hand_off is not None:
            before_hand_off(provider, raw)
        if msg.test:
            return Result(
                Status.SENT,
                Step.HAND_OFF,
                provider=provider,
                note=" | ".join([*notes, TEST_KEY_NOTE]),
                limited_for=walk.limited_for(),
            )
        recipients = tuple(
            dict.fromkeys(a for a in (msg.to, *msg.cc, *msg.bcc) if a.lower() not in blocked)
        )
        # Only an SES send names an identity, and only a verified domain can be it.
        identity = (
            identity_for(msg.from_email, policy.verified)
            if any(p.kind.is_ses for p in usable)
            else None
        )
        outgoing = OutgoingMessage(
            msg.message_id, msg.from_email, recipients, raw, msg.account_id, identity
        )
        return self._hand_off(outgoing, provider, walk, quota, notes=notes, down=down)

    def check_suppression(self, msg: Accepted, blocked: dict[str, str]) -> Result | None:
        """Step: a suppressed `to` (a hard bounce or complaint put it there) is never sent."""
        why = blocked.get(msg.to.lower())
        if why is None:
            return None
        return Result(
            Status.FAILED, Step.SUPPRESSION, error=f"{msg.to} is on the suppression list ({why})"
        )

    def compose(self, msg: Accepted, provider: Provider) -> bytes:
        """Step: the MIME message; tracked links and pixel unless a test key sent it."""
        html = msg.html
        text = msg.text
        if text == "":  # the caller's explicit opt-out: HTML only
            text = None
        elif text is None and html is not None:
            # From the HTML as given, before tracking: its links name the real targets, not
            # the tracking redirects.
            from mailpass.textpart import html_to_text

            text = html_to_text(html)
        if self._tracking is not None and not msg.test:
            html = self._tracking.html_for(
                html,
                account_id=msg.account_id,
                message_id=msg.message_id,
                provider=provider,
                opens=msg.track_opens,
                clicks=msg.track_clicks,
                base_url=msg.tracking_base,
            )
        return build_message(
            Composition(
                message_id=msg.message_id,
                from_email=msg.from_email,
                from_name=msg.from_name,
                to=msg.to,
                cc=msg.cc,
                reply_to=msg.reply_to,
                subject=msg.subject,
                date=msg.date or utcnow(),
                html=html,
                text=text,
                attachments=msg.attachments,
            )
        )

    def _hand_off(
        self,
        outgoing: OutgoingMessage,
        provider: Provider,
        walk: _Chain,
        quota: Quota,
        *,
        notes: list[str],
        down: dict[str, str] | None,
    ) -> Result:
        """Step: to the provider, and down the chain while the refusals are transient."""
        failovers = 0
        while True:
            started = time.perf_counter()
            try:
                receipt = self._senders.for_provider(provider).send(outgoing)
                break
            except ProviderError as exc:
                quota.unused(provider)  # not taken: it must not count against the limit
                walk.failures.append((provider, exc.reason))
                logger.warning(
                    "send failed",
                    extra={
                        "message_id": outgoing.message_id,
                        "provider_id": provider.provider_id,
                        "reason": exc.reason,
                        "permanent": exc.permanent,
                    },
                )
                if exc.permanent:
                    # About this message (say, the address): the next provider would refuse
                    # it too.
                    return Result(
                        Status.FAILED,
                        Step.HAND_OFF,
                        provider=provider,
                        error=explain(walk.failures),
                        limited_for=walk.limited_for(),
                    )
                if down is not None:
                    down[provider.provider_id] = exc.reason
                picked = walk.pick()
                if picked is None:
                    return walk.unsent()
                provider = picked
                failovers += 1
        elapsed = (time.perf_counter() - started) * 1000
        return Result(
            Status.SENT,
            Step.HAND_OFF,
            provider=provider,
            provider_message_id=receipt.provider_message_id,
            note=self.outcome_note(notes, walk.failures, receipt.refused),
            limited_for=walk.limited_for(),
            failovers=failovers,
            hand_off_ms=elapsed,
        )

    @staticmethod
    def outcome_note(
        notes: list[str], failures: list[tuple[Provider, str]], refused: dict[str, str]
    ) -> str | None:
        """Step (record outcome): what a sent message's status says besides `sent`."""
        notes = list(notes)
        if failures:
            notes.append("sent through a fallback after " + explain(failures, named=True))
        if refused:
            notes.append(
                "refused recipients: "
                + "; ".join(f"{addr}: {why}" for addr, why in sorted(refused.items()))
            )
        return " | ".join(notes) or None
