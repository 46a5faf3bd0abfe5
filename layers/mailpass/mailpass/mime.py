"""Builds the RFC 5322 message we hand to a provider: UTF-8 throughout, RFC 2047 headers."""

from __future__ import annotations

import binascii
import re
import secrets
import urllib.parse
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.utils import format_datetime, formataddr


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file part: the decoded bytes. With a `content_id` it is inline (multipart/related,
    referenced from the HTML as cid:<content_id>)."""

    filename: str
    content_type: str
    data: bytes
    content_id: str | None = None


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
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """What a provider needs: the envelope and the exact bytes. Bcc lives only in `recipients`."""

    message_id: str
    envelope_from: str
    recipients: tuple[str, ...]
    raw: bytes
    # Whose message it is: SES carries it back in its feedback events (as message tags).
    account_id: str | None = None
    # The account's verified domain that covers the sender: an SES send names it as the
    # identity to use (FromEmailAddressIdentityArn), so no other identity of the operator's can.
    identity: str | None = None


# Controls other than tab and line ends: 7bit must not carry NUL (RFC 2045), and a raw control is
# at a receiving system's mercy; quoted-printable turns each into =XX.
_BODY_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# What could end or fold a header line: every line break str.splitlines knows (the email package
# folds on them), and the other controls. The API refuses them in header fields; this keeps any
# value that got here some other way on its one line.
_HEADER_BREAK = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]+")


def _body(text: str) -> tuple[bytes, bytes]:
    """(headers, encoded body) of one text part. Short-lined ASCII without controls goes as is
    (7bit); anything else quoted-printable UTF-8, which stays readable and, unlike base64, does
    not grow mostly-ASCII HTML by a third."""
    lf = text.replace("\r\n", "\n").replace("\r", "\n")
    if (
        lf.isascii()
        and not _BODY_CONTROL.search(lf)
        and all(len(line) <= 998 for line in lf.split("\n"))
    ):
        return b'charset="us-ascii"\r\nContent-Transfer-Encoding: 7bit', lf.replace(
            "\n", "\r\n"
        ).encode("ascii")
    # binascii's QP is C; given LF-only text its every line break, hard or soft, is LF.
    encoded = binascii.b2a_qp(lf.encode("utf-8"), istext=True).replace(b"\n", b"\r\n")
    return b'charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable', encoded


def _part(text: str, subtype: str) -> bytes:
    head, body = _body(text)
    return b"Content-Type: text/" + subtype.encode() + b"; " + head + b"\r\n\r\n" + body


def _header(name: str, value: str) -> str:
    """One header line, folded where it is long; RFC 2047 encoded unless it is ASCII."""
    value = _HEADER_BREAK.sub(" ", value)
    if value.isascii() and len(name) + 2 + len(value) <= 78:
        return f"{name}: {value}"
    words = value.split(" ")
    if not value.isascii() or max(len(w) for w in words) > 900:
        return f"{name}: " + Header(value, "utf-8", header_name=name).encode(linesep="\r\n")
    lines, line = [], f"{name}:"
    for word in words:
        if len(line) + 1 + len(word) > 78 and line != f"{name}:":
            lines.append(line)
            line = ""
        line += " " + word
    lines.append(line)
    return "\r\n".join(lines)


def _boundary() -> bytes:
    return ("=_mp_" + secrets.token_hex(12)).encode()  # hex cannot occur in QP/7bit/base64 lines


def _multipart(subtype: bytes, parts: list[bytes]) -> bytes:
    """One multipart entity (its Content-Type header, a blank line, the parts)."""
    b = _boundary()
    out = [b"Content-Type: multipart/" + subtype + b'; boundary="' + b + b'"\r\n']
    for part in parts:
        out.append(b"\r\n--" + b + b"\r\n" + part)
    out.append(b"\r\n--" + b + b"--\r\n")
    return b"".join(out)


# What may stand in a quoted MIME parameter as is; anything else goes RFC 2231 encoded.
_PLAIN_PARAM = re.compile(r"[ !#-\[\]-~]{1,200}")
_PARAM_CHUNK = 60  # RFC 2231 continuations keep each header line short


def _param(name: str, value: str) -> bytes:
    """`; name="value"`, or RFC 2231 `; name*=UTF-8''...` (with numbered continuations when
    long) for a value that is not short printable ASCII: Korean file names arrive intact."""
    value = _HEADER_BREAK.sub(" ", value)
    if _PLAIN_PARAM.fullmatch(value):
        return f'; {name}="{value}"'.encode()
    encoded = urllib.parse.quote(value, safe="!#$&+-.^_`|~")
    if len(encoded) <= _PARAM_CHUNK:
        return f";\r\n {name}*=UTF-8''{encoded}".encode()
    chunks, at = [], 0
    while at < len(encoded):
        end = min(at + _PARAM_CHUNK, len(encoded))
        # Never split a %XX escape between two continuations.
        percent = encoded.rfind("%", max(end - 2, at), end)
        if percent != -1 and end < len(encoded) and percent + 3 > end:
            end = percent
        chunks.append(encoded[at:end])
        at = end
    first = f";\r\n {name}*0*=UTF-8''{chunks[0]}"
    rest = "".join(f";\r\n {name}*{n}*={c}" for n, c in enumerate(chunks[1:], 1))
    return (first + rest).encode()


def _base64_lines(data: bytes) -> bytes:
    encoded = binascii.b2a_base64(data, newline=False)
    return b"\r\n".join([encoded[i : i + 76] for i in range(0, len(encoded), 76)])


def _file_part(a: Attachment, *, inline: bool) -> bytes:
    head = [
        b"Content-Type: " + a.content_type.encode("ascii") + _param("name", a.filename),
        b"Content-Disposition: "
        + (b"inline" if inline else b"attachment")
        + _param("filename", a.filename),
        b"Content-Transfer-Encoding: base64",
    ]
    if a.content_id:
        head.append(b"Content-ID: <" + a.content_id.encode("ascii") + b">")
    return b"\r\n".join(head) + b"\r\n\r\n" + _base64_lines(a.data)


def _with_attachments(c: Composition) -> bytes:
    """multipart/mixed [ alternative [ text, related [ html, inline files ] ], files ]; the
    inline files sit next to the HTML that refers to them (cid:), as mail clients expect."""
    inline = [a for a in c.attachments if a.content_id] if c.html is not None else []
    files = [a for a in c.attachments if not (a.content_id and c.html is not None)]
    html = None
    if c.html is not None:
        html = _part(c.html, "html")
        if inline:
            html = _multipart(
                b'related; type="text/html"', [html, *(_file_part(a, inline=True) for a in inline)]
            )
    if html is not None and c.text is not None:
        body = _multipart(b"alternative", [_part(c.text, "plain"), html])
    else:
        body = html if html is not None else _part(c.text or "", "plain")
    if not files:
        return body
    return _multipart(b"mixed", [body, *(_file_part(a, inline=False) for a in files)])


def build_message(c: Composition) -> bytes:
    # Written directly rather than through email.generator, which costs ~0.4 ms a message
    # (most of it folding headers we have already encoded); tests parse it back with `email`.
    headers = [
        "MIME-Version: 1.0",
        f"Message-ID: {c.message_id}",
        f"Date: {format_datetime(c.date)}",
        _header(
            "From",
            formataddr((_HEADER_BREAK.sub(" ", c.from_name or ""), c.from_email), charset="utf-8"),
        ),
        _header("To", c.to),
    ]
    if c.cc:
        headers.append(_header("Cc", ", ".join(c.cc)))
    if c.reply_to:
        headers.append(_header("Reply-To", c.reply_to))
    headers.append(_header("Subject", c.subject))
    head = "\r\n".join(headers).encode("ascii", "surrogateescape")
    if c.attachments:
        return head + b"\r\n" + _with_attachments(c)
    # Plain messages (no files) stay on this path: no lists, no joins beyond the two parts.
    if c.text is not None and c.html is not None:
        boundary = "=_mp_" + secrets.token_hex(12)  # hex cannot occur in QP or 7bit lines
        b = boundary.encode()
        return (
            head
            + b'\r\nContent-Type: multipart/alternative; boundary="'
            + b
            + b'"\r\n\r\n--'
            + b
            + b"\r\n"
            + _part(c.text, "plain")
            + b"\r\n--"
            + b
            + b"\r\n"
            + _part(c.html, "html")
            + b"\r\n--"
            + b
            + b"--\r\n"
        )
    if c.html is not None:
        return head + b"\r\n" + _part(c.html, "html")
    return head + b"\r\n" + _part(c.text or "", "plain")
