"""SMTP provider settings (the spec's "dashboard > SMTP settings"), for the API and the CLI.

Every change is validated whole before anything is written, and is applied in one conditional
DynamoDB step. A credential goes to Secrets Manager under a fresh name before that step and the
old one is deleted after it, so a failure on the way leaves the previous settings working and
nothing orphaned."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

from mailpass.egress import Resolve, resolve_public, system_resolve
from mailpass.errors import NotFound, SenderNotVerified, ValidationFailed
from mailpass.ids import new_id
from mailpass.models import Provider, ProviderKind, SmtpSecurity, utcnow
from mailpass.ports import AccountConfig, SecretStore
from mailpass.ports_account import ProviderStore
from mailpass.provider_schemas import ProviderCreate, ProviderUpdate
from mailpass.senders import SenderPolicy
from mailpass.settings import Settings

if TYPE_CHECKING:
    from mailpass.service.limits import Limits

SMTP_FIELDS = {"host", "port", "security", "username", "password", "max_message_bytes"}
SES_FIELDS = {"region", "configuration_set"}


class ProviderProbe(Protocol):
    def probe(self, provider: Provider) -> list[dict[str, Any]]:
        """Really connect (or call SES) and report each step: {step, ok, detail, ms}."""
        ...


def _preset(kind: ProviderKind, f: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Host, port, security and login of a preset; the user gives the credential and sender."""
    given = sorted(k for k in ("host", "port", "security") if f.get(k) is not None)
    if given:
        raise ValidationFailed(f"{kind.value} sets {', '.join(given)} itself; leave them out")
    if kind is ProviderKind.SENDGRID:
        if f.get("username") not in (None, "apikey"):
            raise ValidationFailed("SendGrid's SMTP login is always 'apikey'; leave it out")
        return {"host": "smtp.sendgrid.net", "port": 587, "username": "apikey"}
    if kind is ProviderKind.MAILGUN:
        # Mailgun's SMTP login is a per-domain user, postmaster@<sending domain> by default.
        username = f.get("username")
        if username is None:
            sender = f.get("from_email")
            if not sender:
                raise ValidationFailed("mailgun needs from_email (or username) to log in")
            username = "postmaster@" + sender.rsplit("@", 1)[1]
        host = "smtp.eu.mailgun.org" if f.get("region") == "eu" else "smtp.mailgun.org"
        return {"host": host, "port": 587, "username": username}
    # MailPass's own relay: the account itself logs in (its id, with its relay key), so the
    # relay applies that account's rules (its verified domains) and never another's.
    if f.get("username") not in (None, f["account_id"]):
        raise ValidationFailed("the mailpass relay's login is always the account id; leave it out")
    return {
        "host": settings.relay_host,
        "port": settings.relay_port,
        "username": f.get("username") or f["account_id"],
    }


class ProviderService:
    def __init__(
        self,
        store: ProviderStore,
        secrets: SecretStore,
        probe: ProviderProbe,
        settings: Settings,
        resolve: Resolve = system_resolve,
        *,
        limits: Limits | None = None,
    ) -> None:
        self._store = store
        self._secrets = secrets
        self._probe = probe
        self._settings = settings
        self._resolve = resolve
        self._limits = limits  # for the current usage that list and get show

    def _check_egress(self, host: str, port: int) -> None:
        """EgressRefused (a 400) unless host is a public address (see mailpass.egress)."""
        resolve_public(
            host, port, allow_loopback=self._settings.allow_local_egress, resolve=self._resolve
        )

    # reading ----------------------------------------------------------------------------
    def _config(self, account_id: str) -> AccountConfig:
        config = self._store.get_account_config(account_id)
        if config is None:
            raise NotFound(f"No account {account_id}")
        return config

    def _find(self, config: AccountConfig, provider_id: str) -> Provider:
        found = config.provider(provider_id)
        if found is None:
            raise NotFound("No such provider for this account")
        return found

    @staticmethod
    def view(config: AccountConfig, provider: Provider) -> dict[str, Any]:
        a = config.account
        rank = (
            a.fallback_provider_ids.index(provider.provider_id) + 1
            if provider.provider_id in a.fallback_provider_ids
            else None
        )
        return {
            **provider.public(),
            "is_default": provider.provider_id == a.default_provider_id,
            "fallback_rank": rank,
        }

    def list_all(self, account_id: str) -> dict[str, Any]:
        config = self._config(account_id)
        return {
            "providers": [self._with_usage(config, p) for p in config.providers],
            "default_provider_id": config.account.default_provider_id,
            "fallback_provider_ids": list(config.account.fallback_provider_ids),
        }

    def get(self, account_id: str, provider_id: str) -> dict[str, Any]:
        config = self._config(account_id)
        return self._with_usage(config, self._find(config, provider_id))

    def _with_usage(self, config: AccountConfig, provider: Provider) -> dict[str, Any]:
        """The view plus this hour's and day's sends (the dashboard's SMTP settings show them
        against the limits): a read per limited window, only when listing or getting."""
        usage = self._limits.usage(provider) if self._limits is not None else None
        return {**self.view(config, provider), "usage": usage}

    @staticmethod
    def _check_sender(config: AccountConfig, provider: Provider) -> None:
        """A provider's default sender follows the account's sender rule (mailpass.senders):
        an SES provider's always. Without one, each send's from_email is checked instead."""
        policy = SenderPolicy.of(config)
        if provider.from_email and not policy.allows(provider, provider.from_email):
            raise SenderNotVerified(policy.refusal(provider, provider.from_email))

    # changing ---------------------------------------------------------------------------
    def _build(
        self, base: Provider, fields: dict[str, Any], *, creating: bool
    ) -> tuple[Provider, str | None]:
        """The provider after `fields` are applied, checked for its kind, and the new password
        (if one was given). Nothing is written here."""
        kind = base.kind
        password = fields.pop("password", None)
        if kind.is_ses:
            wrong = sorted(k for k in SMTP_FIELDS if k in fields or (k == "password" and password))
            if wrong:
                raise ValidationFailed(f"ses takes no {', '.join(wrong)}")
        else:
            wrong = sorted(
                k for k in SES_FIELDS if k in fields and kind is not ProviderKind.MAILGUN
            )
            if wrong:
                raise ValidationFailed(f"{kind.value} takes no {', '.join(wrong)}")
        if kind.value in ("sendgrid", "mailgun", "mailpass"):
            merged = {
                "username": base.username if not creating else None,
                "from_email": base.from_email,
                "region": base.region,
                "account_id": base.account_id,
                **fields,
            }
            if creating or {"username", "from_email", "region"} & fields.keys():
                fields = {**fields, **_preset(kind, merged, self._settings)}
        if "security" in fields and fields["security"] is not None:
            fields["security"] = SmtpSecurity(fields["security"])
        values = {k: v for k, v in fields.items() if k in Provider.__dataclass_fields__}
        provider = replace(base, **values, updated_at=None if creating else utcnow())
        if kind.is_ses:
            if not provider.region:
                raise ValidationFailed("ses needs region")
        else:
            if not provider.host or not provider.port:
                raise ValidationFailed(f"{kind.value} needs host and port")
            has_secret = bool(password or (base.secret_id and not creating))
            if kind is not ProviderKind.SMTP and not has_secret:
                raise ValidationFailed(f"{kind.value} needs password (its API key or credential)")
            if kind is ProviderKind.SMTP and bool(provider.username) != has_secret:
                raise ValidationFailed("username and password go together")
            # The presets' hosts are ours or the vendor's; a plain SMTP host is the tenant's aim.
            if kind is ProviderKind.SMTP and (creating or {"host", "port"} & fields.keys()):
                self._check_egress(provider.host, provider.port)
        return provider, password

    def _store_secret(self, provider: Provider, password: str | None) -> Provider:
        if not password:
            return provider
        # A new name per change: the old secret keeps serving until the switch is written.
        prefix = f"{self._settings.secrets_prefix}providers/{provider.account_id}"
        name = f"{prefix}/{provider.provider_id}/{new_id('v')}"
        return replace(provider, secret_id=self._secrets.put(name, password))

    def create(self, account_id: str, request: ProviderCreate) -> dict[str, Any]:
        provider = self.add(account_id, request)
        return self.get(account_id, provider.provider_id)

    def add(self, account_id: str, request: ProviderCreate) -> Provider:
        """The one way a provider comes to be (the API, mailpass-admin and `make dev`)."""
        config = self._config(account_id)
        fields = request.model_dump(exclude={"kind", "make_default"}, exclude_none=True)
        base = Provider(
            provider_id=new_id("prov"),
            account_id=account_id,
            kind=ProviderKind(request.kind),
            name=request.name,
        )
        provider, password = self._build(base, fields, creating=True)
        self._check_sender(config, provider)
        provider = self._store_secret(provider, password)
        try:
            if request.make_default:  # the provider and the new default in one step
                self._store.update_account_providers(
                    config,
                    default_provider_id=provider.provider_id,
                    fallback_provider_ids=list(config.account.fallback_provider_ids),
                    put=provider,
                )
            else:
                self._store.put_provider(provider, create=True)
        except Exception:
            self._undo(provider, password)
            raise
        return provider

    def _undo(self, provider: Provider, password: str | None) -> None:
        if password and provider.secret_id:
            self._secrets.delete(provider.secret_id)

    def update(self, account_id: str, provider_id: str, request: ProviderUpdate) -> dict[str, Any]:
        config = self._config(account_id)
        current = self._find(config, provider_id)
        given = request.model_fields_set
        if not given:
            raise ValidationFailed("nothing to change")
        fields = {k: getattr(request, k) for k in given}
        for key, value in list(fields.items()):
            if value is None and key not in (
                "hourly_limit",
                "daily_limit",
                "from_name",
                "max_message_bytes",
            ):
                raise ValidationFailed(f"{key} cannot be cleared")
        provider, password = self._build(current, fields, creating=False)
        if "from_email" in given:
            self._check_sender(config, provider)
        provider = self._store_secret(provider, password)
        try:
            self._store.put_provider(provider, create=False)
        except Exception:
            self._undo(provider, password)
            raise
        if password and current.secret_id and current.secret_id != provider.secret_id:
            self._secrets.delete(current.secret_id)
        return self.get(account_id, provider_id)

    def delete(self, account_id: str, provider_id: str) -> dict[str, Any]:
        config = self._config(account_id)
        provider = self._find(config, provider_id)
        a = config.account
        default = None if a.default_provider_id == provider_id else a.default_provider_id
        fallbacks = [p for p in a.fallback_provider_ids if p != provider_id]
        self._store.update_account_providers(
            config,
            default_provider_id=default,
            fallback_provider_ids=fallbacks,
            delete_provider_id=provider_id,
        )
        if provider.secret_id:
            self._secrets.delete(provider.secret_id)
        return {"deleted": provider_id, "default_provider_id": default}

    def set_default(self, account_id: str, provider_id: str) -> dict[str, Any]:
        config = self._config(account_id)
        self._check_sender(config, self._find(config, provider_id))
        # A provider cannot be its own fallback.
        fallbacks = [p for p in config.account.fallback_provider_ids if p != provider_id]
        self._store.update_account_providers(
            config, default_provider_id=provider_id, fallback_provider_ids=fallbacks
        )
        return self.list_all(account_id)

    def set_fallbacks(self, account_id: str, provider_ids: list[str]) -> dict[str, Any]:
        config = self._config(account_id)
        if len(set(provider_ids)) != len(provider_ids):
            raise ValidationFailed("a provider may appear once in the fallback order")
        for pid in provider_ids:
            self._find(config, pid)
        if config.account.default_provider_id in provider_ids:
            raise ValidationFailed("the default provider cannot also be a fallback")
        if provider_ids and config.account.default_provider_id is None:
            raise ValidationFailed("set a default provider before fallbacks")
        self._store.update_account_providers(
            config,
            default_provider_id=config.account.default_provider_id,
            fallback_provider_ids=provider_ids,
        )
        return self.list_all(account_id)

    def test(self, account_id: str, provider_id: str) -> dict[str, Any]:
        config = self._config(account_id)
        provider = self._find(config, provider_id)
        if provider.host and provider.port:
            # Before any connection, so a refused host answers the same whatever its port does:
            # /test is no port scanner for the network MailPass runs in.
            self._check_egress(provider.host, provider.port)
        steps = self._probe.probe(provider)
        failed = next((s for s in steps if not s["ok"]), None)
        return {
            "provider_id": provider_id,
            "ok": failed is None,
            "failed_step": failed["step"] if failed else None,
            "steps": steps,
        }
