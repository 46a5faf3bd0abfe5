"""The send queue's message body: one typed, versioned model, written and read only here.

Version 2 (written today) is a pack: the account's fields once, then up to `queue_pack_size`
queued messages. Version 3 is version 2 with attachments: each message names its files by a
reference to an object in the attachment bucket (content hash), never their bytes, and the pack
lists the objects only it uses (deleted once its messages are final). Plain packs are still
written as version 2, so a dispatcher that predates files reads them; a version 3 pack is one
it refuses (poison) rather than send without its files. Version 1 (one message per SQS
message) is still read, as a pack of one, so a queue holding older bodies drains after an
upgrade. A body that does not parse is poison: it is
never sent, and `Poison` carries whatever ids could be read from it so their messages get a
final state instead of waiting forever."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

PAYLOAD_VERSION = 2
WITH_ATTACHMENTS_VERSION = 3
READABLE_VERSIONS = (1, 2, 3)

_Id = Annotated[str, Field(min_length=1)]


class QueuedAttachment(BaseModel):
    """A file of a queued message: its part's headers and where its bytes are (S3 `key`)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    filename: str
    content_type: str
    content_id: str | None = None
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    size: Annotated[int, Field(ge=0)]
    key: _Id


class QueuedFields(BaseModel):
    """A message's fields as /send-batch validated them (schemas.MessageFields, dumped without
    nulls). Read back without validating the addresses again: they were checked on the way in."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    to: _Id
    subject: str
    from_email: _Id
    from_name: str | None = None
    reply_to: str | None = None
    html: str | None = None
    text: str | None = None
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    metadata: dict[str, Any] = Field(default_factory=dict)
    track_opens: bool | None = None
    track_clicks: bool | None = None
    attachments: tuple[QueuedAttachment, ...] = ()


class QueuedEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    message_id: _Id
    queue_id: int | None = None
    message: QueuedFields


class QueuePayload(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)

    # "v" on the wire, as every body written so far has it.
    version: int = Field(alias="v")
    account_id: _Id
    pack_id: _Id
    provider_id: str | None = None
    test: bool = False
    tracking_base: str | None = None  # where /send-batch was called: the tracking links' base
    # A scheduled message's pack (of one): the dispatcher takes the message conditionally
    # (scheduled -> queued) before its hand-off, so a cancel that came first wins.
    scheduled: bool = False
    messages: Annotated[list[QueuedEntry], Field(min_length=1)]
    # Attachment objects only this pack refers to: deleted once all its messages are final.
    delete_after: tuple[str, ...] = ()
    # When its messages were stored (queued) and until when they are kept: their outcomes'
    # place in the message log (ports.LogPlace). Absent from older bodies.
    created_at: datetime | None = None
    expires_at: int | None = None

    @property
    def has_attachments(self) -> bool:
        return any(e.message.attachments for e in self.messages)

    @property
    def message_ids(self) -> list[str]:
        return [e.message_id for e in self.messages]

    def only(self, message_ids: set[str]) -> QueuePayload:
        """The same pack carrying just these messages (operator redrive)."""
        kept = [e for e in self.messages if e.message_id in message_ids]
        return self.model_copy(update={"messages": kept})

    def dump(self) -> str:
        """As version 2 (3 with attachments), whatever version it was read from (same pack id,
        same PACK item)."""
        data = self.model_dump(mode="json", by_alias=True, exclude_none=True)
        data["v"] = WITH_ATTACHMENTS_VERSION if self.has_attachments else PAYLOAD_VERSION
        if not data["delete_after"]:
            del data["delete_after"]
        for entry in data["messages"]:
            entry["message"] = {k: v for k, v in entry["message"].items() if v not in ((), [], {})}
        return json.dumps(data, ensure_ascii=False)


class Poison(ValueError):
    """A queue body that cannot be read. `account_id` and `message_ids` are what could be
    recovered from it (possibly nothing)."""

    def __init__(self, reason: str, account_id: str | None, message_ids: list[str]) -> None:
        super().__init__(reason)
        self.reason = reason
        self.account_id = account_id
        self.message_ids = message_ids


def parse(body: str) -> QueuePayload:
    """The payload in `body`, of any readable version; raises Poison otherwise."""
    try:
        data = json.loads(body)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        version = data.get("v", 1)
        if version not in READABLE_VERSIONS:
            raise ValueError(f"unknown payload version {version!r}")
        if version == 1:  # one message: read as a pack of one, named after it
            data = {
                **{k: data.get(k) for k in ("account_id", "provider_id", "tracking_base")},
                "v": 1,
                "test": bool(data.get("test")),
                "pack_id": data.get("message_id"),
                "messages": [{k: data.get(k) for k in ("message_id", "queue_id", "message")}],
            }
        return QueuePayload.model_validate(data)
    except (ValueError, ValidationError) as exc:  # ValidationError is a ValueError too
        account_id, message_ids = salvage(body)
        raise Poison(_why(exc), account_id, message_ids) from None


def _why(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        return f"{where}: {first['msg']} ({exc.error_count()} errors)"
    return str(exc)[:200]


_ACCOUNT = re.compile(r'"account_id"\s*:\s*"([^"\\]{1,200})"')
_MESSAGE = re.compile(r'"message_id"\s*:\s*"([^"\\]{1,200})"')


def salvage(body: str) -> tuple[str | None, list[str]]:
    """The account and message ids a broken body still names: from its JSON when that parses,
    else by pattern from the text (a truncated or mangled body)."""
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if isinstance(data, dict):
        account = data.get("account_id")
        entries = data.get("messages")
        raw = [data.get("message_id")] + (
            [e.get("message_id") for e in entries if isinstance(e, dict)]
            if isinstance(entries, list)
            else []
        )
        ids = [m for m in raw if isinstance(m, str) and m]
        return (account if isinstance(account, str) and account else None), list(dict.fromkeys(ids))
    found = _ACCOUNT.search(body)
    return (found.group(1) if found else None), list(dict.fromkeys(_MESSAGE.findall(body)))


# Writing. The producer builds bodies from already-encoded JSON (each message is dumped once, by
# its validating model), so these put the pieces together rather than encode a model again.
def entry_json(message_id: str, queue_id: int | None, fields_json: str) -> str:
    return (
        f'{{"message_id":{json.dumps(message_id)},"queue_id":{json.dumps(queue_id)},'
        f'"message":{fields_json}}}'
    )


def pack_head(
    *,
    account_id: str,
    provider_id: str | None,
    test: bool,
    tracking_base: str | None,
    attachments: bool = False,
    scheduled: bool = False,
    stored: tuple[datetime, int] | None = None,
) -> str:
    """The pack's own fields, as an unclosed JSON object. `stored`: when its messages were
    stored queued, and their expiry (QueuePayload.created_at, expires_at)."""
    head: dict[str, Any] = {
        "v": WITH_ATTACHMENTS_VERSION if attachments else PAYLOAD_VERSION,
        "account_id": account_id,
        "provider_id": provider_id,
        "test": test,
        "tracking_base": tracking_base,
    }
    if scheduled:
        head["scheduled"] = True
    if stored is not None:
        head["created_at"], head["expires_at"] = stored[0].isoformat(), stored[1]
    return json.dumps(head)[:-1]


def pack_body(
    head: str, pack_id: str, entries: list[str], delete_after: tuple[str, ...] = ()
) -> str:
    extra = f',"delete_after":{json.dumps(list(delete_after))}' if delete_after else ""
    return f'{head},"pack_id":{json.dumps(pack_id)}{extra},"messages":[' + ",".join(entries) + "]}"


def with_attachments(fields_json: str, refs: list[QueuedAttachment]) -> str:
    """A message's validated JSON (without its files' content) with its files' references."""
    if not refs:
        return fields_json
    listed = ",".join(r.model_dump_json(exclude_none=True) for r in refs)
    return fields_json[:-1] + ',"attachments":[' + listed + "]}"
