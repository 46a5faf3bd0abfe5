"""Builds the RFC 5322 message we hand to a provider: UTF-8 throughout, RFC 2047 headers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime


@dataclass(frozen=True, slots=True)
class Composition:
    message_id: str
    from_email: str
    to: str
    subject: str
    date: datetime
    from_name: str | None = None
    reply_to: str | None = None
    cc: tuple[str, ...] = ()
    html: str | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """What a provider needs: the envelope and the exact bytes. Bcc lives only in `recipients`."""

    message_id: str
    envelope_from: str
    recipients: tuple[str, ...]
    raw: bytes


def _address(addr: str, name: str | None = None) -> Address:
    local, _, domain = addr.rpartition("@")
    return Address(display_name=name or "", username=local, domain=domain)


def build_message(c: Composition) -> bytes:
    # policy=SMTP: CRLF line ends and RFC 2047 encoded words for any non-ASCII header text.
    msg = EmailMessage(policy=SMTP)
    msg["Message-ID"] = c.message_id
    msg["Date"] = format_datetime(c.date)
    msg["From"] = _address(c.from_email, c.from_name)
    msg["To"] = _address(c.to)
    if c.cc:
        msg["Cc"] = [_address(a) for a in c.cc]
    if c.reply_to:
        msg["Reply-To"] = _address(c.reply_to)
    msg["Subject"] = c.subject
    msg["MIME-Version"] = "1.0"
    if c.text is not None and c.html is not None:
        msg.set_content(c.text, charset="utf-8")
        msg.add_alternative(c.html, subtype="html", charset="utf-8")
    elif c.html is not None:
        msg.set_content(c.html, subtype="html", charset="utf-8")
    else:
        msg.set_content(c.text or "", charset="utf-8")
    return msg.as_bytes()
