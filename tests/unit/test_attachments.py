"""Attachments: the request shape's rules and the MIME they become."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
from mailpass.mime import Attachment, Composition, build_message
from mailpass.schemas import MAX_ATTACHMENTS, SendRequest
from pydantic import ValidationError

WHEN = datetime(2026, 1, 30, 12, 0, tzinfo=UTC)
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40


def compose(*files: Attachment, **kw: Any) -> EmailMessage:
    return message_from_bytes(raw(*files, **kw), policy=default)


def raw(*files: Attachment, **kw: Any) -> bytes:
    base: dict[str, Any] = {
        "message_id": "<abc.1769774400@mailpass.im>",
        "from_email": "support@yourdomain.com",
        "to": "user@example.com",
        "subject": "Report",
        "date": WHEN,
        "html": "<p>See attached</p>",
        "attachments": files,
    }
    base.update(kw)
    out = build_message(Composition(**base))
    assert all(len(line) <= 998 for line in out.split(b"\r\n"))
    return out


def structure(msg: EmailMessage) -> Any:
    if msg.is_multipart():
        return (msg.get_content_type(), [structure(p) for p in msg.iter_parts()])  # type: ignore[arg-type]
    return msg.get_content_type()


def test_files_make_multipart_mixed_around_the_alternative() -> None:
    msg = compose(Attachment("보고서.pdf", "application/pdf", PDF), text="See attached")
    assert structure(msg) == (
        "multipart/mixed",
        [("multipart/alternative", ["text/plain", "text/html"]), "application/pdf"],
    )
    (part,) = list(msg.iter_attachments())
    assert part.get_filename() == "보고서.pdf"
    assert part["Content-Transfer-Encoding"] == "base64"
    assert part.get_content_disposition() == "attachment"
    assert part.get_payload(decode=True) == PDF
    assert not any(p.defects for p in msg.walk())


def test_non_ascii_names_are_rfc2231_and_long_ones_continue() -> None:
    long_name = "분기별 매출 보고서 " * 20 + ".xlsx"
    files = (
        Attachment("보고서.pdf", "application/pdf", b"x"),
        Attachment(long_name, "application/octet-stream", b"y"),
        Attachment('quote "and" back\\slash.txt', "text/plain", b"z"),
    )
    data = raw(*files)
    assert b"filename*=UTF-8''%EB%B3%B4%EA%B3%A0%EC%84%9C.pdf" in data
    assert b"filename*0*=UTF-8''" in data
    assert b"filename*1*=" in data
    msg = message_from_bytes(data, policy=default)
    names = [p.get_filename() for p in msg.iter_attachments()]
    assert names == ["보고서.pdf", long_name, 'quote "and" back\\slash.txt']


def test_ascii_names_stay_quoted_plain() -> None:
    msg = compose(Attachment("invoice 42.pdf", "application/pdf", b"x"))
    (part,) = list(msg.iter_attachments())
    assert part["Content-Disposition"] == 'attachment; filename="invoice 42.pdf"'


def test_inline_image_goes_in_multipart_related_with_the_html() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 100
    msg = compose(
        Attachment("logo.png", "image/png", png, content_id="logo"),
        Attachment("terms.pdf", "application/pdf", b"%PDF"),
        html='<img src="cid:logo">',
        text="Logo",
    )
    assert structure(msg) == (
        "multipart/mixed",
        [
            (
                "multipart/alternative",
                ["text/plain", ("multipart/related", ["text/html", "image/png"])],
            ),
            "application/pdf",
        ],
    )
    related = next(p for p in msg.walk() if p.get_content_type() == "multipart/related")
    html, image = related.iter_parts()
    assert 'src="cid:logo"' in html.get_content()
    assert image["Content-ID"] == "<logo>"
    assert image.get_content_disposition() == "inline"
    assert image.get_payload(decode=True) == png


def test_only_inline_files_need_no_mixed_wrapper() -> None:
    msg = compose(Attachment("logo.png", "image/png", b"png", content_id="logo"))
    assert structure(msg) == ("multipart/related", ["text/html", "image/png"])


def test_inline_without_html_is_an_ordinary_attachment() -> None:
    msg = compose(Attachment("a.png", "image/png", b"png", "logo"), html=None, text="hi")
    assert structure(msg) == ("multipart/mixed", ["text/plain", "image/png"])


def test_plain_messages_are_unchanged() -> None:
    assert structure(compose()) == "text/html"


# the request shape -----------------------------------------------------------------------
BASE: dict[str, Any] = {"to": "user@example.com", "subject": "Hello", "html": "<p>Hi</p>"}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def request(*files: dict[str, Any]) -> SendRequest:
    return SendRequest.model_validate({**BASE, "attachments": list(files)})


def refusal(*files: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as info:
        request(*files)
    return str(info.value)


def test_content_is_decoded_and_the_type_guessed() -> None:
    req = request(
        {"filename": "보고서.pdf", "content": b64(PDF)},
        {"filename": "notes", "content": b64(b"x")},
        {"filename": "logo.PNG", "content": b64(b"p"), "content_id": "logo"},
        {"filename": "data.bin", "content": b64(b"d"), "content_type": "Text/CSV"},
    )
    assert [a.data for a in req.attachments] == [PDF, b"x", b"p", b"d"]
    assert [a.media_type() for a in req.attachments] == [
        "application/pdf",
        "application/octet-stream",
        "image/png",
        "text/csv",
    ]


def test_line_wrapped_base64_is_taken() -> None:
    wrapped = base64.encodebytes(PDF).decode()
    assert "\n" in wrapped
    assert request({"filename": "a.pdf", "content": wrapped}).attachments[0].data == PDF


@pytest.mark.parametrize("content", ["aGk", "a!Gk=", "aGk=x", "ü"])
def test_invalid_base64_names_the_attachment(content: str) -> None:
    assert "'broken.pdf': content is not valid base64" in refusal(
        {"filename": "ok.pdf", "content": b64(b"ok")},
        {"filename": "broken.pdf", "content": content},
    )


@pytest.mark.parametrize("name", ["setup.exe", "run.BAT", "x.js", "a.tar.vbs", "s.ps1", "k.scr"])
def test_blocked_types_name_the_file(name: str) -> None:
    assert f"{name!r}: ." in refusal({"filename": name, "content": b64(b"x")})


def test_similar_names_are_not_blocked() -> None:
    assert request({"filename": "exe", "content": b64(b"x")}, {"filename": "a.json", "content": ""})


def test_at_most_twenty() -> None:
    files = [{"filename": f"{i}.txt", "content": b64(b"x")} for i in range(MAX_ATTACHMENTS)]
    assert len(request(*files).attachments) == MAX_ATTACHMENTS
    assert "at most 20" in refusal(*files, {"filename": "21.txt", "content": ""})


@pytest.mark.parametrize(
    "bad",
    [
        {"filename": "", "content": ""},
        {"filename": "a\r\nb.txt", "content": ""},
        {"filename": "a.txt", "content": "", "content_type": "text/plain\r\nX-Evil: 1"},
        {"filename": "a.txt", "content": "", "content_type": "nonsense"},
        {"filename": "a.txt", "content": "", "content_id": "<a b>"},
        {"filename": "a.txt", "content": "", "extra": 1},
        {"filename": "x" * 256 + ".txt", "content": ""},
    ],
)
def test_header_fields_are_checked(bad: dict[str, Any]) -> None:
    refusal(bad)
