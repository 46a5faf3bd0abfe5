"""Builds the RFC 5322 message we hand to a provider: UTF-8 throughout, RFC 2047 headers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import compat32
from email.utils import format_datetime, formataddr

# CRLF on the wire, as SMTP and SES's raw format want.
_WIRE = compat32.clone(linesep="\r\n")


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


def _body(text: str, subtype: str) -> MIMENonMultipart:
    # Short-lined ASCII goes as is (7bit); anything else quoted-printable UTF-8, which stays
    # readable and, unlike base64, does not grow mostly-ASCII HTML by a third.
    if text.isascii() and all(len(line) <= 998 for line in text.splitlines()):
        charset = Charset("us-ascii")
    else:
        charset = Charset("utf-8")
        charset.body_encoding = QP
    part = MIMENonMultipart("text", subtype, charset=str(charset))
    part.set_payload(text, charset)
    del part["MIME-Version"]  # said once, on the message itself
    return part


def build_message(c: Composition) -> bytes:
    # The compat32 API with headers encoded here (RFC 2047 via email.header) is about four times
    # faster than EmailMessage, whose header parser runs on every header set and written.
    msg: Message
    if c.text is not None and c.html is not None:
        msg = MIMEMultipart(
            "alternative", _subparts=[_body(c.text, "plain"), _body(c.html, "html")]
        )
    elif c.html is not None:
        msg = _body(c.html, "html")
    else:
        msg = _body(c.text or "", "plain")
    if "MIME-Version" not in msg:
        msg["MIME-Version"] = "1.0"
    msg["Message-ID"] = c.message_id
    msg["Date"] = format_datetime(c.date)
    msg["From"] = formataddr((c.from_name or "", c.from_email), charset="utf-8")
    msg["To"] = c.to
    if c.cc:
        msg["Cc"] = ", ".join(c.cc)
    if c.reply_to:
        msg["Reply-To"] = c.reply_to
    msg["Subject"] = c.subject if c.subject.isascii() else Header(c.subject, "utf-8")  # type: ignore[assignment]
    return msg.as_bytes(policy=_WIRE)
