"""Configuration, read once from the environment into one pydantic settings object."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MAILPASS_", extra="ignore", frozen=True)

    table_name: str = Field(description="The DynamoDB table holding all state")
    # Powertools Idempotency's table (Idempotency-Key records); None: the header is refused.
    idempotency_table: str | None = None
    idempotency_hours: int = 24
    stage: str = "dev"
    # Secrets Manager names for provider credentials start with this, so IAM can scope to it.
    secrets_prefix: str = "mailpass/dev/"
    message_id_domain: str = "mailpass.im"
    # API Gateway accepts 10 MB and Lambda 6 MB; we answer above 5 MB in our own envelope.
    max_request_bytes: int = 5 * 1024 * 1024
    message_retention_days: int = 400
    smtp_timeout_seconds: float = 15.0
    # How long a pooled SMTP connection may sit idle before we open a fresh one.
    smtp_idle_seconds: float = 60.0
    secret_cache_seconds: int = 300
    # Open/click tracking: the HMAC key's secret, and the public base URL of the tracking
    # endpoints (default: the URL the send request came in on).
    tracking_key_secret: str | None = None
    tracking_base_url: str | None = None
    # Webhooks: deliveries go through this queue to the webhook function.
    webhook_queue_url: str | None = None
    # Local development only: webhook receivers over plain http://, and loopback for webhooks and
    # SMTP providers (the local stack's catcher and receivers). Private, link-local and metadata
    # addresses stay refused even then (see mailpass.egress).
    allow_local_egress: bool = False
    webhook_timeout_seconds: float = 5.0
    # MailPass's own SMTP relay, behind the `mailpass` provider preset.
    relay_host: str = "smtp.mailpass.im"
    relay_port: int = 587
    # arn:aws:ses:<region>:<aws account>:identity/ : an SES send names the account's verified
    # domain as its identity (FromEmailAddressIdentityArn). Unset: no identity is named.
    ses_identity_arn_prefix: str | None = None
    # Batch pipeline.
    queue_url: str | None = None
    dead_letter_queue_url: str | None = None
    max_receives: int = 8
    # A claim's lease: longer than one hand-off can take, shorter than the SQS visibility timeout,
    # so a redelivered message always finds an expired lease if its dispatcher died.
    lease_seconds: int = 60
    visibility_seconds: int = 120
    backoff_base_seconds: int = 30
    backoff_max_seconds: int = 900
    # The dispatcher stops taking new messages when less than this is left of its invocation.
    drain_margin_ms: int = 20_000
    max_queued_message_bytes: int = 250 * 1024
    # The S3 bucket batch attachments wait in for the dispatcher (none: batches take no files).
    attachment_bucket: str | None = None
    # Messages per SQS message (see service/batch.py); 1 turns packing off. The pack is the unit
    # of dispatch bookkeeping (two writes a pack) and, so, the most a crash can leave with an
    # unknown outcome. 25: one BatchWriteItem records a whole pack.
    queue_pack_size: int = Field(default=25, ge=1, le=25)
    # Long polling, so an empty receive really means empty (short polls sample some servers).
    receive_wait_seconds: int = Field(default=1, ge=0, le=20)
    # Hand-offs in flight at once in one drain: each SMTP provider is one lane over its pooled
    # connection, each SES call its own. Bounded so a drain stays inside SES's send rate.
    send_concurrency: int = 8
    # Sender domains. The DNS server verification asks, "host:port" (none: the system's
    # resolver); the local stack points it at its own authoritative server.
    dns_resolver: str | None = None
    dns_timeout_seconds: float = 3.0
    # What the SPF record of a sender domain must include, and the custom MAIL FROM subdomain.
    spf_include: str = "include:amazonses.com"
    mail_from_subdomain: str = "send"
    # The SES region the domains' identities live in (MAIL FROM's MX points at it); none: the
    # function's own region.
    ses_region: str | None = None
    # A pending domain is re-checked, with growing intervals, for this long, then failed.
    domain_check_hours: int = 72


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()  # table_name comes from the environment
