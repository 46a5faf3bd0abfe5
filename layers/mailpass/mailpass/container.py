"""Wiring: builds the services from settings on first use, once per process."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING

from mailpass.adapters import aws
from mailpass.settings import Settings, get_settings

# What one function needs is imported when first used, so each pays only for its own code on a
# cold start (the API never loads the dispatcher, the dispatcher never loads FastAPI).
if TYPE_CHECKING:
    from mailpass.adapters.dynamodb.base import Table
    from mailpass.adapters.dynamodb.delivery import DynamoDelivery
    from mailpass.adapters.dynamodb.domains import DynamoDomains
    from mailpass.adapters.dynamodb.hits import DynamoHits
    from mailpass.adapters.senders import ProviderSenders
    from mailpass.adapters.smtp import SmtpPool
    from mailpass.adapters.webhook_http import HttpPost
    from mailpass.ports import (
        AttachmentStore,
        Idempotency,
        MessageStore,
        PackStore,
        Queue,
        QuotaStore,
        SecretStore,
        SenderFactory,
        SuppressionStore,
    )
    from mailpass.ports_account import AccountStore, ProviderStore, WebhookStore
    from mailpass.service.account import AccountService
    from mailpass.service.admin import AdminService
    from mailpass.service.auth import AuthService
    from mailpass.service.batch import BatchService
    from mailpass.service.dispatch import DispatchService
    from mailpass.service.domains import DomainService
    from mailpass.service.feedback import FeedbackService
    from mailpass.service.keys import KeyService
    from mailpass.service.limits import Limits
    from mailpass.service.message_log import MessageLogService
    from mailpass.service.operations import QueueOperations
    from mailpass.service.providers import ProviderService
    from mailpass.service.schedule import Scheduler
    from mailpass.service.send import SendService
    from mailpass.service.stats import StatsService
    from mailpass.service.status import StatusService
    from mailpass.service.suppressions import SuppressionService
    from mailpass.service.templates import TemplateService
    from mailpass.service.tracking import TrackingService
    from mailpass.service.webhooks import WebhookService


@dataclass
class Container:
    settings: Settings

    # The store: one table, one class per aggregate (adapters/dynamodb/), all on one client.
    @cached_property
    def table(self) -> Table:
        from mailpass.adapters.dynamodb.base import Table

        return Table(aws.dynamodb(), self.settings.table_name)

    @cached_property
    def accounts(self) -> AccountStore:
        from mailpass.adapters.dynamodb.accounts import DynamoAccounts

        return DynamoAccounts(self.table)

    @cached_property
    def provider_store(self) -> ProviderStore:
        from mailpass.adapters.dynamodb.providers import DynamoProviders

        return DynamoProviders(self.table)

    @cached_property
    def webhook_store(self) -> WebhookStore:
        from mailpass.adapters.dynamodb.webhooks import DynamoWebhooks

        return DynamoWebhooks(self.table)

    @cached_property
    def messages(self) -> MessageStore:
        from mailpass.adapters.dynamodb.messages import DynamoMessages

        return DynamoMessages(self.table, self.settings.message_retention_days)

    @cached_property
    def suppressions(self) -> SuppressionStore:
        from mailpass.adapters.dynamodb.suppressions import DynamoSuppressions

        return DynamoSuppressions(self.table)

    @cached_property
    def packs(self) -> PackStore:
        from mailpass.adapters.dynamodb.packs import DynamoPacks

        return DynamoPacks(self.table)

    @cached_property
    def quotas(self) -> QuotaStore:
        from mailpass.adapters.dynamodb.quotas import DynamoQuotas

        return DynamoQuotas(self.table)

    @cached_property
    def store(self) -> DynamoDelivery:
        """For the delivery services, which take one store and use several of its ports."""
        from mailpass.adapters.dynamodb.delivery import DynamoDelivery

        return DynamoDelivery(self.table, self.settings.message_retention_days)

    @cached_property
    def secrets(self) -> SecretStore:
        from mailpass.adapters.secrets import SecretsManagerStore

        return SecretsManagerStore(aws.secretsmanager, self.settings.secret_cache_seconds)

    @cached_property
    def smtp_pool(self) -> SmtpPool:
        from mailpass.adapters.smtp import SmtpPool

        return SmtpPool(
            self.settings.smtp_timeout_seconds,
            self.settings.smtp_idle_seconds,
            allow_loopback=self.settings.allow_local_egress,
        )

    @cached_property
    def provider_senders(self) -> ProviderSenders:
        from mailpass.adapters.senders import ProviderSenders

        return ProviderSenders(
            self.secrets,
            self.smtp_pool,
            aws.sesv2,
            identity_arn_prefix=self.settings.ses_identity_arn_prefix,
        )

    @cached_property
    def senders(self) -> SenderFactory:
        return self.provider_senders

    @cached_property
    def limits(self) -> Limits:
        from mailpass.service.limits import Limits

        return Limits(self.quotas)

    @cached_property
    def queue(self) -> Queue:
        from mailpass.adapters.sqs import SqsQueue

        url = self.settings.queue_url
        if not url:
            raise RuntimeError("MAILPASS_QUEUE_URL is not set")
        return SqsQueue(lambda: aws.client("sqs"), url)

    @cached_property
    def batch(self) -> BatchService:
        from mailpass.service.batch import BatchService

        return BatchService(
            self.store,
            self.queue,
            self.settings,
            templates=self.templates,
            attachments=self.attachments,
            scheduler=self.scheduler,
        )

    @cached_property
    def templates(self) -> TemplateService:
        from mailpass.adapters.dynamodb.templates import DynamoTemplates
        from mailpass.service.templates import TemplateService

        return TemplateService(DynamoTemplates(self.table))

    @cached_property
    def attachments(self) -> AttachmentStore | None:
        """The bucket (S3) for queued files: batches', and scheduled messages'. A /send that
        sends now never uses it."""
        bucket = self.settings.attachment_bucket
        if not bucket:
            return None
        from mailpass.adapters.s3 import S3Attachments

        return S3Attachments(lambda: aws.client("s3"), bucket)

    @cached_property
    def scheduler(self) -> Scheduler:
        from mailpass.service.schedule import Scheduler

        # The queue on first use: a /send that does not schedule never needs it.
        return Scheduler(self.store, lambda: self.queue)

    @cached_property
    def dispatcher(self) -> DispatchService:
        from mailpass.adapters.sqs import SqsQueue
        from mailpass.service.dispatch import DispatchService

        dlq_url = self.settings.dead_letter_queue_url
        dead_letters = SqsQueue(lambda: aws.client("sqs"), dlq_url) if dlq_url else None
        return DispatchService(
            self.store,
            self.queue,
            self.senders,
            self.settings,
            dead_letters=dead_letters,
            limits=self.limits,
            tracking=self.tracking,
            attachments=self.attachments,
        )

    @cached_property
    def operations(self) -> QueueOperations:
        from mailpass.adapters.sqs import SqsQueue
        from mailpass.service.operations import QueueOperations

        dlq_url = self.settings.dead_letter_queue_url
        if not dlq_url:
            raise RuntimeError("MAILPASS_DEAD_LETTER_QUEUE_URL is not set")
        return QueueOperations(self.packs, self.queue, SqsQueue(lambda: aws.client("sqs"), dlq_url))

    @cached_property
    def auth(self) -> AuthService:
        from mailpass.service.auth import AuthService

        return AuthService(self.accounts)

    @cached_property
    def sending(self) -> SendService:
        from mailpass.service.send import SendService

        return SendService(
            self.store,
            self.senders,
            self.settings,
            self.limits,
            self.tracking,
            templates=self.templates,
            scheduler=self.scheduler,
            attachments=lambda: self.attachments,
        )

    @cached_property
    def feedback(self) -> FeedbackService:
        from mailpass.service.feedback import FeedbackService

        return FeedbackService(self.store, self.webhooks, self.domain_store)

    @cached_property
    def tracking(self) -> TrackingService:
        from mailpass.service.tracking import TrackingService

        return TrackingService(
            self.messages, self.secrets, self.settings, self.webhooks, self.tracking_hits
        )

    @cached_property
    def tracking_hits(self) -> DynamoHits:
        from mailpass.adapters.dynamodb.hits import DynamoHits

        return DynamoHits(self.table)

    @cached_property
    def stats(self) -> StatsService:
        from mailpass.adapters.dynamodb.stats import DynamoStats
        from mailpass.service.stats import StatsService

        return StatsService(DynamoStats(self.table))

    @cached_property
    def webhooks(self) -> WebhookService:
        from mailpass.service.webhooks import WebhookService

        return WebhookService(
            self.webhook_store, self.secrets, self.settings, lambda: self.webhook_queue
        )

    @cached_property
    def webhook_queue(self) -> Queue | None:
        from mailpass.adapters.sqs import SqsQueue

        url = self.settings.webhook_queue_url
        return SqsQueue(lambda: aws.client("sqs"), url) if url else None

    @cached_property
    def webhook_post(self) -> HttpPost:
        from mailpass.adapters.webhook_http import HttpPost

        return HttpPost(
            self.settings.webhook_timeout_seconds, allow_local=self.settings.allow_local_egress
        )

    @cached_property
    def status(self) -> StatusService:
        from mailpass.service.status import StatusService

        return StatusService(self.messages)

    @cached_property
    def cursor_secret(self) -> bytes:
        """What page cursors are signed with: the tracking key's secret (service/cursor.py
        derives a key of their own from it). Without one (a bare local run), a key of this
        process: its cursors are good for as long as it lives."""
        import secrets

        secret_id = self.settings.tracking_key_secret
        if not secret_id:
            return secrets.token_bytes(32)
        return self.secrets.get(secret_id).encode("utf-8")

    @cached_property
    def message_log(self) -> MessageLogService:
        from mailpass.adapters.dynamodb.message_log import DynamoMessageLog
        from mailpass.service.cursor import Cursors, derive_key
        from mailpass.service.message_log import MessageLogService

        key = derive_key(self.cursor_secret, "messages")
        return MessageLogService(DynamoMessageLog(self.table), Cursors(key, "messages"))

    @cached_property
    def suppression_list(self) -> SuppressionService:
        from mailpass.adapters.dynamodb.suppressions import DynamoSuppressions
        from mailpass.service.cursor import Cursors, derive_key
        from mailpass.service.suppressions import SuppressionService

        key = derive_key(self.cursor_secret, "suppressions")
        return SuppressionService(DynamoSuppressions(self.table), Cursors(key, "suppressions"))

    @cached_property
    def idempotency(self) -> Idempotency | None:
        table = self.settings.idempotency_table
        if not table:
            return None
        from mailpass.adapters.idempotency import PowertoolsIdempotency

        return PowertoolsIdempotency(table, aws.dynamodb, self.settings.idempotency_hours)

    @cached_property
    def providers(self) -> ProviderService:
        from mailpass.service.providers import ProviderService

        return ProviderService(
            self.provider_store,
            self.secrets,
            self.provider_senders,
            self.settings,
            limits=self.limits,
        )

    @cached_property
    def domain_store(self) -> DynamoDomains:
        from mailpass.adapters.dynamodb.domains import DynamoDomains

        return DynamoDomains(self.table)

    @cached_property
    def domains(self) -> DomainService:
        from mailpass.adapters.dns import DnsResolver
        from mailpass.adapters.ses_identities import SesIdentities
        from mailpass.service.domains import DomainService

        s = self.settings
        region = s.ses_region
        return DomainService(
            self.domain_store,
            DnsResolver(s.dns_resolver, timeout=s.dns_timeout_seconds),
            SesIdentities(lambda: aws.sesv2(region), lambda: aws.client("ses", region)),
            s,
        )

    @cached_property
    def keys(self) -> KeyService:
        from mailpass.service.keys import KeyService

        return KeyService(self.accounts)

    @cached_property
    def account_settings(self) -> AccountService:
        from mailpass.service.account import AccountService

        return AccountService(self.accounts)

    @cached_property
    def admin(self) -> AdminService:
        # Operators' code: imported only by the CLI and `make dev`, never on the API's cold start.
        from mailpass.service.admin import AdminService

        return AdminService(self.accounts, self.providers)


@lru_cache(maxsize=1)
def get_container() -> Container:
    return Container(get_settings())
