"""The resources of what an account configures (the `settings` permission): providers,
domains, templates, API keys, webhooks, suppressions and the account. The sending side is in
resources.py, with the base class and the conventions they share. Edit `_async/` and regenerate
`_sync/` (sdks/python/scripts/generate.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from mailpass_sdk._async.resources import Resource
from mailpass_sdk._base import Record
from mailpass_sdk._core import Call, body, items, operation, path, query
from mailpass_sdk.models import (
    AccountSettings,
    Domain,
    DomainDeleted,
    Provider,
    ProviderDeleted,
    ProviderList,
    ProviderTestReport,
    Suppression,
    SuppressionRemoved,
    Template,
    TemplateDeleted,
    Webhook,
    WebhookCreated,
    WebhookDeleted,
)


class Providers(Resource):
    @operation("GET", "/api/v1/smtp-providers")
    async def list(self) -> ProviderList:
        return await self._client._request(
            Call("GET", "/api/v1/smtp-providers", ProviderList.from_dict)
        )

    @operation("POST", "/api/v1/smtp-providers")
    async def create(
        self,
        *,
        name: str,
        kind: str,
        host: str | None = None,
        port: int | None = None,
        security: str | None = None,
        username: str | None = None,
        password: str | None = None,
        region: str | None = None,
        configuration_set: str | None = None,
        from_email: str | None = None,
        from_name: str | None = None,
        hourly_limit: int | None = None,
        daily_limit: int | None = None,
        track_opens: bool | None = None,
        track_clicks: bool | None = None,
        max_message_bytes: int | None = None,
        make_default: bool | None = None,
    ) -> Provider:
        return await self._client._request(
            Call(
                "POST",
                "/api/v1/smtp-providers",
                Provider.from_dict,
                json=body(
                    name=name,
                    kind=kind,
                    host=host,
                    port=port,
                    security=security,
                    username=username,
                    password=password,
                    region=region,
                    configuration_set=configuration_set,
                    from_email=from_email,
                    from_name=from_name,
                    hourly_limit=hourly_limit,
                    daily_limit=daily_limit,
                    track_opens=track_opens,
                    track_clicks=track_clicks,
                    max_message_bytes=max_message_bytes,
                    make_default=make_default,
                ),
            )
        )

    @operation("GET", "/api/v1/smtp-providers/{provider_id}")
    async def get(self, provider_id: str) -> Provider:
        return await self._client._request(
            Call(
                "GET",
                path("/api/v1/smtp-providers/{id}", id=provider_id),
                Provider.from_dict,
            )
        )

    @operation("PATCH", "/api/v1/smtp-providers/{provider_id}")
    async def update(
        self,
        provider_id: str,
        *,
        name: str | None = None,
        host: str | None = None,
        port: int | None = None,
        security: str | None = None,
        username: str | None = None,
        password: str | None = None,
        region: str | None = None,
        configuration_set: str | None = None,
        from_email: str | None = None,
        from_name: str | None = None,
        hourly_limit: int | None = None,
        daily_limit: int | None = None,
        track_opens: bool | None = None,
        track_clicks: bool | None = None,
        max_message_bytes: int | None = None,
    ) -> Provider:
        """Change the fields given (those left None stay as they are)."""
        return await self._client._request(
            Call(
                "PATCH",
                path("/api/v1/smtp-providers/{id}", id=provider_id),
                Provider.from_dict,
                json=body(
                    name=name,
                    host=host,
                    port=port,
                    security=security,
                    username=username,
                    password=password,
                    region=region,
                    configuration_set=configuration_set,
                    from_email=from_email,
                    from_name=from_name,
                    hourly_limit=hourly_limit,
                    daily_limit=daily_limit,
                    track_opens=track_opens,
                    track_clicks=track_clicks,
                    max_message_bytes=max_message_bytes,
                ),
            )
        )

    @operation("DELETE", "/api/v1/smtp-providers/{provider_id}")
    async def delete(self, provider_id: str) -> ProviderDeleted:
        return await self._client._request(
            Call(
                "DELETE",
                path("/api/v1/smtp-providers/{id}", id=provider_id),
                ProviderDeleted.from_dict,
            )
        )

    @operation("POST", "/api/v1/smtp-providers/{provider_id}/default")
    async def make_default(self, provider_id: str) -> ProviderList:
        return await self._client._request(
            Call(
                "POST",
                path("/api/v1/smtp-providers/{id}/default", id=provider_id),
                ProviderList.from_dict,
            )
        )

    @operation("POST", "/api/v1/smtp-providers/{provider_id}/test")
    async def test(self, provider_id: str) -> ProviderTestReport:
        """Probe the provider step by step (connect, TLS, auth) without sending mail."""
        return await self._client._request(
            Call(
                "POST",
                path("/api/v1/smtp-providers/{id}/test", id=provider_id),
                ProviderTestReport.from_dict,
            )
        )

    @operation("PUT", "/api/v1/smtp-providers/fallbacks")
    async def set_fallbacks(self, provider_ids: Sequence[str]) -> ProviderList:
        """The providers tried in order when the default one fails."""
        return await self._client._request(
            Call(
                "PUT",
                "/api/v1/smtp-providers/fallbacks",
                ProviderList.from_dict,
                json=body(provider_ids=provider_ids),
            )
        )


class Domains(Resource):
    @operation("GET", "/api/v1/domains")
    async def list(self) -> list[Domain]:
        return await self._client._request(Call("GET", "/api/v1/domains", _domains))

    @operation("POST", "/api/v1/domains")
    async def create(self, name: str) -> Domain:
        """Add a sender domain; publish its `records` in DNS, then `verify` it."""
        return await self._client._request(
            Call("POST", "/api/v1/domains", Domain.from_dict, json=body(name=name))
        )

    @operation("GET", "/api/v1/domains/{domain_id}")
    async def get(self, domain_id: str) -> Domain:
        return await self._client._request(
            Call("GET", path("/api/v1/domains/{id}", id=domain_id), Domain.from_dict)
        )

    @operation("DELETE", "/api/v1/domains/{domain_id}")
    async def delete(self, domain_id: str) -> DomainDeleted:
        return await self._client._request(
            Call("DELETE", path("/api/v1/domains/{id}", id=domain_id), DomainDeleted.from_dict)
        )

    @operation("POST", "/api/v1/domains/{domain_id}/verify")
    async def verify(self, domain_id: str) -> Domain:
        return await self._client._request(
            Call("POST", path("/api/v1/domains/{id}/verify", id=domain_id), Domain.from_dict)
        )


def _domains(data: Any) -> list[Domain]:
    return [Domain.from_dict(d) for d in items(data, "domains")]


class Templates(Resource):
    @operation("GET", "/api/v1/templates")
    async def list(self) -> list[Template]:
        return await self._client._request(Call("GET", "/api/v1/templates", _templates))

    @operation("POST", "/api/v1/templates")
    async def create(
        self, *, name: str, subject: str, html: str | None = None, text: str | None = None
    ) -> Template:
        """A template with `{{ variable }}` placeholders, sent with `mail.send(template_id=...)`."""
        return await self._client._request(
            Call(
                "POST",
                "/api/v1/templates",
                Template.from_dict,
                json=body(name=name, subject=subject, html=html, text=text),
            )
        )

    @operation("GET", "/api/v1/templates/{template_id}")
    async def get(self, template_id: str) -> Template:
        return await self._client._request(
            Call("GET", path("/api/v1/templates/{id}", id=template_id), Template.from_dict)
        )

    @operation("PATCH", "/api/v1/templates/{template_id}")
    async def update(
        self,
        template_id: str,
        *,
        name: str | None = None,
        subject: str | None = None,
        html: str | None = None,
        text: str | None = None,
    ) -> Template:
        return await self._client._request(
            Call(
                "PATCH",
                path("/api/v1/templates/{id}", id=template_id),
                Template.from_dict,
                json=body(name=name, subject=subject, html=html, text=text),
            )
        )

    @operation("DELETE", "/api/v1/templates/{template_id}")
    async def delete(self, template_id: str) -> TemplateDeleted:
        return await self._client._request(
            Call(
                "DELETE",
                path("/api/v1/templates/{id}", id=template_id),
                TemplateDeleted.from_dict,
            )
        )


def _templates(data: Any) -> list[Template]:
    return [Template.from_dict(t) for t in items(data, "templates")]


class ApiKeys(Resource):
    """API keys over HTTP (needs a key with the `settings` permission)."""

    @operation("GET", "/api/v1/api-keys")
    async def list(self) -> list[Record]:
        """The account's keys: prefix and last four only, never the key itself."""
        return await self._client._request(Call("GET", "/api/v1/api-keys", _records("api_keys")))

    @operation("POST", "/api/v1/api-keys")
    async def create(
        self, *, name: str, permissions: Sequence[str], test: bool | None = None
    ) -> Record:
        """A new key; its `key` is shown this once."""
        return await self._client._request(
            Call(
                "POST",
                "/api/v1/api-keys",
                Record,
                json=body(name=name, permissions=permissions, test=test),
            )
        )

    @operation("DELETE", "/api/v1/api-keys/{key_id}")
    async def delete(self, key_id: str) -> Record:
        """Revoke a key (409 for the account's last key with `settings`)."""
        return await self._client._request(
            Call("DELETE", path("/api/v1/api-keys/{id}", id=key_id), Record)
        )


class Webhooks(Resource):
    @operation("GET", "/api/v1/webhooks")
    async def list(self) -> list[Webhook]:
        return await self._client._request(Call("GET", "/api/v1/webhooks", _webhooks))

    @operation("POST", "/api/v1/webhooks")
    async def create(self, *, url: str, event_types: Sequence[str]) -> WebhookCreated:
        """A new endpoint; its `secret` (`whsec_...`) verifies deliveries (see `webhooks`)."""
        return await self._client._request(
            Call(
                "POST",
                "/api/v1/webhooks",
                WebhookCreated.from_dict,
                json=body(url=url, event_types=event_types),
            )
        )

    @operation("GET", "/api/v1/webhooks/{webhook_id}")
    async def get(self, webhook_id: str) -> Record:
        return await self._client._request(
            Call("GET", path("/api/v1/webhooks/{id}", id=webhook_id), Record)
        )

    @operation("PATCH", "/api/v1/webhooks/{webhook_id}")
    async def update(
        self,
        webhook_id: str,
        *,
        url: str | None = None,
        event_types: Sequence[str] | None = None,
        enabled: bool | None = None,
    ) -> Record:
        """Change the URL or event types, or re-enable an endpoint that was disabled."""
        return await self._client._request(
            Call(
                "PATCH",
                path("/api/v1/webhooks/{id}", id=webhook_id),
                Record,
                json=body(url=url, event_types=event_types, enabled=enabled),
            )
        )

    @operation("DELETE", "/api/v1/webhooks/{webhook_id}")
    async def delete(self, webhook_id: str) -> WebhookDeleted:
        return await self._client._request(
            Call(
                "DELETE",
                path("/api/v1/webhooks/{id}", id=webhook_id),
                WebhookDeleted.from_dict,
            )
        )

    @operation("GET", "/api/v1/webhooks/{webhook_id}/deliveries")
    async def deliveries(
        self, webhook_id: str, *, limit: int | None = None
    ) -> AsyncIterator[Record]:
        """Every delivery attempt to the endpoint, following pages."""
        call = Call(
            "GET",
            path("/api/v1/webhooks/{id}/deliveries", id=webhook_id),
            _records("deliveries"),
            params=query(limit=limit),
        )
        async for page in self._client._pages(call):
            for delivery in page:
                yield delivery

    @operation("POST", "/api/v1/webhooks/{webhook_id}/test")
    async def test(self, webhook_id: str) -> Record:
        """Send a `test` event to the endpoint through the real queue."""
        return await self._client._request(
            Call("POST", path("/api/v1/webhooks/{id}/test", id=webhook_id), Record)
        )

    @operation("POST", "/api/v1/webhooks/{webhook_id}/rotate-secret")
    async def rotate_secret(self, webhook_id: str) -> Record:
        """A new secret; for 24 hours deliveries are signed with both."""
        return await self._client._request(
            Call("POST", path("/api/v1/webhooks/{id}/rotate-secret", id=webhook_id), Record)
        )


def _webhooks(data: Any) -> list[Webhook]:
    return [Webhook.from_dict(w) for w in items(data, "webhooks")]


class Suppressions(Resource):
    @operation("GET", "/api/v1/suppressions")
    async def list(
        self, *, reason: str | None = None, limit: int | None = None
    ) -> AsyncIterator[Suppression]:
        """The suppressed addresses, every page."""
        call = Call(
            "GET", "/api/v1/suppressions", _suppressions, params=query(reason=reason, limit=limit)
        )
        async for page in self._client._pages(call):
            for suppression in page:
                yield suppression

    @operation("POST", "/api/v1/suppressions")
    async def add(self, email: str, *, reason: str | None = None) -> Record:
        """Suppress an address by hand."""
        return await self._client._request(
            Call("POST", "/api/v1/suppressions", Record, json=body(email=email, reason=reason))
        )

    @operation("DELETE", "/api/v1/suppressions/{email}")
    async def remove(self, email: str) -> SuppressionRemoved:
        return await self._client._request(
            Call(
                "DELETE",
                path("/api/v1/suppressions/{email}", email=email),
                SuppressionRemoved.from_dict,
            )
        )


def _suppressions(data: Any) -> list[Suppression]:
    return [Suppression.from_dict(s) for s in items(data, "suppressions")]


def _records(key: str) -> Callable[[Any], list[Record]]:
    def parse(data: Any) -> list[Record]:
        return [Record(r) for r in items(data, key)]

    return parse


class Account(Resource):
    @operation("GET", "/api/v1/account")
    async def get(self) -> AccountSettings:
        return await self._client._request(
            Call("GET", "/api/v1/account", AccountSettings.from_dict)
        )

    @operation("PATCH", "/api/v1/account")
    async def update(self, *, restrict_senders_to_verified_domains: bool) -> AccountSettings:
        return await self._client._request(
            Call(
                "PATCH",
                "/api/v1/account",
                AccountSettings.from_dict,
                json=body(
                    restrict_senders_to_verified_domains=restrict_senders_to_verified_domains
                ),
            )
        )
