"""A small authoritative DNS server for the local stack (dnslib's server): an in-memory zone on
127.0.0.1, set from Python. MAILPASS_DNS_RESOLVER points domain verification at it, so `make dev`
and the tests verify sender domains with real DNS queries and never reach the internet: a name
not in the zone is NXDOMAIN, nothing is forwarded.

    dns = LocalDns().start()
    dns.set("_mailpass.acme.com", "TXT", "mailpass-verification=...")
    dns.address  # "127.0.0.1:<port>"
"""

from __future__ import annotations

import threading
from typing import Any

# DNS TXT strings are at most 255 bytes each; a longer value is split into several.
_TXT_CHUNK = 255


class _Zone:
    """dnslib resolver over {(name, type): [values]}."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, str], list[str]] = {}
        self.lock = threading.Lock()

    def resolve(self, request: Any, handler: Any) -> Any:
        from dnslib import CNAME, MX, QTYPE, RCODE, RR, TXT, A

        reply = request.reply()
        reply.header.aa = 1
        reply.header.ra = 0  # authoritative only: never recurses
        qname = str(request.q.qname).rstrip(".").lower()
        qtype = QTYPE[request.q.qtype]
        with self.lock:
            known = any(name == qname for name, _ in self.records)
            values = list(self.records.get((qname, qtype), []))
            if not values and qtype != "CNAME":
                # A CNAME answers every type at its name.
                alias = self.records.get((qname, "CNAME"), [])
                values, qtype = (alias, "CNAME") if alias else (values, qtype)
        if not known:
            reply.header.rcode = RCODE.NXDOMAIN
            return reply
        for value in values:
            if qtype == "TXT":
                raw = value.encode()
                chunks = [raw[i : i + _TXT_CHUNK] for i in range(0, len(raw), _TXT_CHUNK)]
                rdata: Any = TXT(chunks or [b""])
            elif qtype == "MX":
                preference, _, host = value.partition(" ")
                rdata = MX(host, int(preference))
            elif qtype == "CNAME":
                rdata = CNAME(value)
            elif qtype == "A":
                rdata = A(value)
            else:
                continue
            reply.add_answer(RR(qname, getattr(QTYPE, qtype), rdata=rdata, ttl=60))
        return reply


class _Quiet:
    """dnslib logs every query to stdout by default."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


class LocalDns:
    def __init__(self, port: int = 0) -> None:
        self._port = port
        self._zone = _Zone()
        self._server: Any = None

    def start(self) -> LocalDns:
        from dnslib.server import DNSServer

        self._server = DNSServer(self._zone, address="127.0.0.1", port=self._port, logger=_Quiet())
        self._server.start_thread()
        return self

    @property
    def port(self) -> int:
        return int(self._server.server.server_address[1])

    @property
    def address(self) -> str:
        """What MAILPASS_DNS_RESOLVER takes: host:port."""
        return f"127.0.0.1:{self.port}"

    def set(self, name: str, rdtype: str, *values: str) -> None:
        """Replace the values of one name and type (none: remove them). MX: "<pref> <host>"."""
        key = (name.rstrip(".").lower(), rdtype.upper())
        with self._zone.lock:
            if values:
                self._zone.records[key] = list(values)
            else:
                self._zone.records.pop(key, None)

    def add(self, name: str, rdtype: str, value: str) -> None:
        key = (name.rstrip(".").lower(), rdtype.upper())
        with self._zone.lock:
            self._zone.records.setdefault(key, []).append(value)

    def publish(self, records: list[dict[str, Any]]) -> None:
        """Publish records as the domains API lists them (type, name, value)."""
        for r in records:
            self.add(r["name"], r["type"], r["value"])

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server.server.server_close()
            self._server = None
