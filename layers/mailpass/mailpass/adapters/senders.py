"""Picks the sender for a provider, fetching its credential from Secrets Manager when needed."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mailpass.adapters import ses, smtp
from mailpass.adapters.ses import SesSender
from mailpass.adapters.smtp import SmtpPool, SmtpSender, SmtpTarget
from mailpass.errors import ProviderError
from mailpass.models import Provider
from mailpass.ports import SecretStore, Sender

if TYPE_CHECKING:
    from mypy_boto3_sesv2 import SESV2Client


class ProviderSenders:
    def __init__(
        self,
        secrets: SecretStore,
        smtp_pool: SmtpPool,
        ses_client: Callable[[str | None], SESV2Client],
        *,
        identity_arn_prefix: str | None = None,
    ) -> None:
        self._secrets = secrets
        self._pool = smtp_pool
        self._ses_client = ses_client
        self._identity_arn_prefix = identity_arn_prefix

    def for_provider(self, provider: Provider) -> Sender:
        if provider.kind.is_ses:
            return SesSender(
                self._ses_client(provider.region),
                provider.configuration_set,
                identity_arn_prefix=self._identity_arn_prefix,
                region=provider.region,
            )
        return SmtpSender(self._pool, self._target(provider))

    def probe(self, provider: Provider) -> list[dict[str, Any]]:
        if provider.kind.is_ses:
            return ses.probe(self._ses_client(provider.region), provider.from_email)
        try:
            target = self._target(provider)
        except ProviderError as exc:
            return [{"step": "credential", "ok": False, "detail": exc.reason, "ms": 0.0}]
        return smtp.probe(
            target,
            self._pool.timeout,
            allow_loopback=self._pool.allow_loopback,
            resolve=self._pool.resolve,
        )

    def _target(self, provider: Provider) -> SmtpTarget:
        if not provider.host or not provider.port:
            raise ProviderError(f"provider {provider.provider_id} has no host/port", permanent=True)
        password = None
        if provider.secret_id:
            try:
                password = self._secrets.get(provider.secret_id)
            except Exception as exc:
                # Name the secret, never its value.
                raise ProviderError(
                    f"credential {provider.secret_id} unavailable: {type(exc).__name__}",
                    permanent=False,
                ) from exc
        return SmtpTarget(
            host=provider.host,
            port=provider.port,
            security=provider.security,
            username=provider.username,
            password=password,
        )
