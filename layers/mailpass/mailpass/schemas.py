"""Request shapes and their validation rules (shared by /send and, later, /send-batch)."""

from __future__ import annotations

import binascii
import json
import math
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

# SES accepts at most 50 recipients per message (to + cc + bcc); we hold every provider to it.
MAX_RECIPIENTS = 50
MAX_SUBJECT_CHARS = 998
MAX_NAME_CHARS = 256
MAX_TAGS = 20
MAX_TAG_CHARS = 256
MAX_METADATA_KEYS = 50
MAX_METADATA_KEY_CHARS = 128
MAX_METADATA_BYTES = 8 * 1024

# Any control character in a header value could end the header early (CR/LF) or smuggle data.
# C1 controls (NEL, U+0085, among them) and U+2028/U+2029 count too: Python's email package
# splits lines on them (str.splitlines), so they would become folds in the header.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_MESSAGE = "must not contain control characters or line breaks (CR/LF, U+2028, U+0085)"


def clean_address(value: str) -> str:
    """A bare RFC 5322 addr-spec, parsed for real; IDN domains come back in their ASCII form.
    strict: the local part is at most 64 octets (RFC 5321), which is otherwise not checked."""
    if _CONTROL.search(value):
        raise ValueError(_CONTROL_MESSAGE)
    # Imported on the first address checked, not with the module: about 35 ms of a cold start
    # that a /status or a settings call never needs.
    from email_validator import EmailNotValidError, validate_email

    try:
        parsed = validate_email(
            value.strip(), check_deliverability=False, allow_smtputf8=False, strict=True
        )
    except EmailNotValidError as exc:
        raise ValueError(f"is not a valid email address: {exc}") from None
    return parsed.ascii_email or parsed.normalized


def clean_header_text(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError(_CONTROL_MESSAGE)
    return value


def _non_finite(value: Any, path: str) -> str | None:
    """Where in `value` a number is NaN, infinite or beyond a double (1e400 parses as inf),
    if anywhere. JSON has no such numbers; the parser takes them, we do not."""
    stack = [(value, path)]
    while stack:
        item, at = stack.pop()
        if isinstance(item, float):
            if not math.isfinite(item):
                return at
        elif isinstance(item, int) and not isinstance(item, bool):
            if abs(item) > 1.7976931348623157e308:  # the largest double
                return at
        elif isinstance(item, dict):
            stack.extend((v, f"{at}.{k}" if at else str(k)) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, f"{at}.{i}" if at else str(i)) for i, v in enumerate(item))
    return None


class StrictModel(BaseModel):
    """A request body: numbers anywhere in it, metadata's free-form values too, are finite."""

    @model_validator(mode="before")
    @classmethod
    def _finite_numbers(cls, data: Any) -> Any:
        at = _non_finite(data, "")
        if at is not None:
            raise PydanticCustomError(
                "finite_number",
                "{field}: numbers must be finite (no NaN, Infinity or out-of-range values)",
                {"field": at or "body"},
            )
        return data


def check_metadata(value: dict[str, Any]) -> dict[str, Any]:
    if len(value) > MAX_METADATA_KEYS:
        raise ValueError(f"may hold at most {MAX_METADATA_KEYS} keys")
    for key, item in value.items():
        if not key or len(key) > MAX_METADATA_KEY_CHARS:
            raise ValueError(f"keys must be 1..{MAX_METADATA_KEY_CHARS} characters")
        if not isinstance(item, str | int | float | bool) and item is not None:
            raise ValueError(f"value of {key!r} must be a string, number, boolean or null")
    if len(json.dumps(value, ensure_ascii=False).encode()) > MAX_METADATA_BYTES:
        raise ValueError(f"may be at most {MAX_METADATA_BYTES} bytes as JSON")
    return value


MAX_VARIABLES = 100
MAX_VARIABLE_BYTES = 64 * 1024
_VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")


def check_variables(value: dict[str, Any]) -> dict[str, Any]:
    """A template's variables: names a `{{ name }}` placeholder can use, flat values."""
    if len(value) > MAX_VARIABLES:
        raise ValueError(f"may hold at most {MAX_VARIABLES} variables")
    for key, item in value.items():
        if not _VARIABLE_NAME.match(key):
            raise ValueError(f"{key!r} is not a variable name (letters, digits, _)")
        if not isinstance(item, str | int | float | bool) and item is not None:
            raise ValueError(f"value of {key!r} must be a string, number, boolean or null")
    if len(json.dumps(value, ensure_ascii=False).encode()) > MAX_VARIABLE_BYTES:
        raise ValueError(f"may be at most {MAX_VARIABLE_BYTES} bytes as JSON")
    return value


TemplateId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


# How far ahead a message may be scheduled (scheduled_at).
MAX_SCHEDULE_AHEAD = timedelta(days=30)


def _rfc3339_text(value: Any) -> Any:
    # A number would pass as a Unix time; the contract takes RFC 3339 text only.
    if not isinstance(value, str | datetime):
        raise ValueError("must be an RFC 3339 date-time with an offset, e.g. 2026-01-30T12:00:00Z")
    return value


def _within_schedule_window(value: datetime) -> datetime:
    if value - datetime.now(UTC) > MAX_SCHEDULE_AHEAD:
        raise ValueError(f"may be at most {MAX_SCHEDULE_AHEAD.days} days ahead")
    return value.astimezone(UTC)


# Naive times are refused (AwareDatetime): a time without an offset has no single meaning.
ScheduledAt = Annotated[
    AwareDatetime, BeforeValidator(_rfc3339_text), AfterValidator(_within_schedule_window)
]

EmailAddress = Annotated[str, Field(min_length=3, max_length=320), AfterValidator(clean_address)]
HeaderText = Annotated[str, AfterValidator(clean_header_text)]
Tag = Annotated[
    str, Field(min_length=1, max_length=MAX_TAG_CHARS), AfterValidator(clean_header_text)
]


MAX_ATTACHMENTS = 20
MAX_FILENAME_CHARS = 255  # SES's own limit on an attachment's file name
# The file types SES refuses to send (SES Developer Guide, "Unsupported attachment types");
# refused here for every provider, so a message does not fail later at its hand-off.
# fmt: off
BLOCKED_EXTENSIONS = frozenset({
    "ade", "adp", "app", "asp", "bas", "bat", "cer", "chm", "cmd", "com", "cpl", "crt",
    "csh", "der", "exe", "fxp", "gadget", "hlp", "hta", "inf", "ins", "isp", "its", "js",
    "jse", "ksh", "lib", "lnk", "mad", "maf", "mag", "mam", "maq", "mar", "mas", "mat",
    "mau", "mav", "maw", "mda", "mdb", "mde", "mdt", "mdw", "mdz", "msc", "msh", "msh1",
    "msh2", "mshxml", "msh1xml", "msh2xml", "msi", "msp", "mst", "ops", "pcd", "pif", "plg",
    "prf", "prg", "reg", "scf", "scr", "sct", "shb", "shs", "sys", "ps1", "ps1xml", "ps2",
    "ps2xml", "psc1", "psc2", "tmp", "url", "vb", "vbe", "vbs", "vps", "vsmacros", "vss",
    "vst", "vsw", "vxd", "ws", "wsc", "wsf", "wsh", "xnk",
})
# fmt: on
# type/subtype, RFC 6838's restricted names; parameters are ours to add.
_MEDIA_TYPE = r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$"
# A Content-ID's left part: what can sit between < and > without quoting, so cid: matches it.
_CONTENT_ID = r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.@-]{1,78}$"


def blocked_extension(filename: str) -> str | None:
    ext = filename.rsplit(".", 1)[-1].strip().lower() if "." in filename else ""
    return ext if ext in BLOCKED_EXTENSIONS else None


class AttachmentFields(StrictModel):
    """One file: `content` is base64 (standard alphabet, padded; whitespace is ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    filename: Annotated[HeaderText, Field(min_length=1, max_length=MAX_FILENAME_CHARS)]
    content: str
    content_type: Annotated[str, Field(pattern=_MEDIA_TYPE)] | None = None
    content_id: Annotated[str, Field(pattern=_CONTENT_ID)] | None = None
    _data: bytes = PrivateAttr(default=b"")

    @model_validator(mode="after")
    def _decode(self) -> AttachmentFields:
        ext = blocked_extension(self.filename)
        if ext is not None:
            raise ValueError(f"{self.filename!r}: .{ext} files cannot be sent (blocked type)")
        try:
            # Decoded once, here: the composer and the batch's store use these bytes. Strict
            # first (one C pass); line-wrapped base64 (76 a line, common) is unwrapped and
            # tried again, rather than searching every request's content for whitespace.
            try:
                self._data = binascii.a2b_base64(self.content, strict_mode=True)
            except ValueError:
                self._data = binascii.a2b_base64("".join(self.content.split()), strict_mode=True)
        except ValueError as exc:  # binascii.Error, or a non-ASCII character
            raise ValueError(f"{self.filename!r}: content is not valid base64 ({exc})") from None
        return self

    @property
    def data(self) -> bytes:
        return self._data

    def media_type(self) -> str:
        """As given, else guessed from the file name, else application/octet-stream."""
        if self.content_type:
            return self.content_type.lower()
        import mimetypes  # its tables load on first use: only messages with files pay for it

        return mimetypes.guess_type(self.filename, strict=False)[0] or "application/octet-stream"


class MessageFields(StrictModel):
    """The per-message fields of the contract. Unknown keys are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False, frozen=True)

    to: EmailAddress
    # A stored template (POST /templates) in place of subject, html and text, rendered with
    # `variables` when the message is accepted. Declared before subject, whose check reads it.
    template_id: TemplateId | None = None
    variables: Annotated[dict[str, Any], AfterValidator(check_variables)] | None = None
    # Required unless template_id gives it (and then not allowed).
    subject: Annotated[HeaderText, Field(min_length=1, max_length=MAX_SUBJECT_CHARS)] | None = (
        Field(default=None, validate_default=True)
    )
    html: str | None = None
    text: str | None = None
    from_email: EmailAddress | None = None
    from_name: Annotated[HeaderText, Field(max_length=MAX_NAME_CHARS)] | None = None
    reply_to: EmailAddress | None = None
    cc: list[EmailAddress] = Field(default_factory=list)
    bcc: list[EmailAddress] = Field(default_factory=list)
    tags: Annotated[list[Tag], Field(max_length=MAX_TAGS)] = Field(default_factory=list)
    metadata: Annotated[dict[str, Any], AfterValidator(check_metadata)] = Field(
        default_factory=dict
    )
    # Open/click tracking for this message; None: as the provider is set (on by default).
    track_opens: bool | None = None
    track_clicks: bool | None = None
    attachments: Annotated[list[AttachmentFields], Field(max_length=MAX_ATTACHMENTS)] = Field(
        default_factory=list
    )

    @field_validator("subject")
    @classmethod
    def _subject_unless_template(cls, value: str | None, info: ValidationInfo) -> str | None:
        # An invalid template_id (absent from info.data) is reported on its own.
        if value is None and "template_id" in info.data and info.data["template_id"] is None:
            raise PydanticCustomError("missing", "Field required (or a template_id)")
        return value

    # Send at this time instead of now (RFC 3339 with an offset, at most 30 days ahead); a
    # time in the past or within a few seconds sends now.
    scheduled_at: ScheduledAt | None = None

    @model_validator(mode="after")
    def _body_and_recipients(self) -> MessageFields:
        if self.template_id is not None:
            given = [k for k in ("subject", "html", "text") if getattr(self, k) is not None]
            if given:
                raise ValueError(
                    "template_id takes the place of subject, html and text; do not give "
                    + ", ".join(given)
                )
        else:
            if self.variables is not None:
                raise ValueError("variables are only for a template_id")
            if not self.html and not self.text:
                raise ValueError("one of html or text is required")
        total = 1 + len(self.cc) + len(self.bcc)
        if total > MAX_RECIPIENTS:
            raise ValueError(f"at most {MAX_RECIPIENTS} recipients in to, cc and bcc together")
        return self

    @property
    def recipients(self) -> list[str]:
        """Every envelope recipient, each once, in order."""
        return list(dict.fromkeys([self.to, *self.cc, *self.bcc]))


class SendRequest(MessageFields):
    """POST /api/v1/mail/send"""


MAX_BATCH = 100


class BatchRequest(StrictModel):
    """POST /send-batch. Messages stay raw here: each is validated on its own, so one bad
    message fails alone while the request as a whole must still be well formed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    messages: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=MAX_BATCH)]
    from_email: EmailAddress | None = None
    from_name: Annotated[HeaderText, Field(max_length=MAX_NAME_CHARS)] | None = None


# models.WEBHOOK_EVENTS, spelled out so the document lists them (tests hold the two equal).
WebhookEvent = Literal[
    "open", "click", "delivery", "bounce", "complaint", "reject", "delivery_delay"
]


class WebhookCreate(StrictModel):
    """POST /api/v1/webhooks"""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: Annotated[str, Field(min_length=8, max_length=2048), AfterValidator(clean_header_text)]
    event_types: Annotated[list[WebhookEvent], Field(min_length=1)]


class WebhookUpdate(StrictModel):
    """PATCH /api/v1/webhooks/{webhook_id}: only the fields given change."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: (
        Annotated[str, Field(min_length=8, max_length=2048), AfterValidator(clean_header_text)]
        | None
    ) = None
    event_types: Annotated[list[WebhookEvent], Field(min_length=1)] | None = None
    enabled: bool | None = Field(
        default=None,
        description="true turns a disabled webhook back on (and forgets its failure streak); "
        "false turns it off.",
    )


class SuppressionCreate(StrictModel):
    """POST /api/v1/suppressions"""

    model_config = ConfigDict(extra="forbid", frozen=True)

    email: EmailAddress
    reason: Annotated[HeaderText, Field(min_length=1, max_length=1000)] | None = Field(
        default=None, description='Why (kept as given); "manual" when left out'
    )
