"""DNS lookups for domain verification, with dnspython, through the resolver the operator set
(MAILPASS_DNS_RESOLVER, "host:port"; none: the system's). dnspython is imported on first use:
only the domain routes and the re-check pay for it."""

from __future__ import annotations

from typing import Any

from mailpass.errors import DnsUnavailable


class DnsResolver:
    """Implements ports_account.DnsLookup."""

    def __init__(self, server: str | None = None, *, timeout: float = 3.0) -> None:
        self._server = server
        self._timeout = timeout
        self._resolver: Any = None

    def _get(self) -> Any:
        if self._resolver is None:
            import dns.resolver

            if self._server:
                host, _, port = self._server.rpartition(":")
                resolver = dns.resolver.Resolver(configure=False)
                resolver.nameservers = [host.strip("[]")]
                resolver.port = int(port)
            else:
                resolver = dns.resolver.Resolver()
            # A verification is worth less than a slow API answer: one short try, no retries
            # over the resolver's whole list.
            resolver.lifetime = self._timeout
            resolver.timeout = self._timeout
            self._resolver = resolver
        return self._resolver

    def lookup(self, name: str, rdtype: str) -> list[str]:
        import dns.exception
        import dns.resolver

        try:
            answer = self._get().resolve(name, rdtype, search=False, raise_on_no_answer=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except (dns.exception.Timeout, dns.resolver.NoNameservers) as exc:
            raise DnsUnavailable(f"{name} {rdtype}: {exc}") from None
        except dns.exception.DNSException as exc:
            raise DnsUnavailable(f"{name} {rdtype}: {exc}") from None
        out = []
        for rdata in answer.rrset or ():
            if rdtype == "TXT":
                out.append(b"".join(rdata.strings).decode("utf-8", "replace"))
            elif rdtype == "MX":
                out.append(f"{rdata.preference} {rdata.exchange.to_text().rstrip('.')}")
            else:
                out.append(rdata.to_text().rstrip("."))
        return out
