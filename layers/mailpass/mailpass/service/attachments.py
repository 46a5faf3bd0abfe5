"""Queued attachments: a batch's files stored once per batch in the attachment bucket (by
content hash), a scheduled message's files stored when it is accepted; named in the queue
payload, read back once per drain by the dispatcher.

A /send that sends now never comes here: its files go straight from the request into the
message."""

from __future__ import annotations

import hashlib
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field

from mailpass.errors import AttachmentMissing, AttachmentUnavailable
from mailpass.mime import Attachment
from mailpass.models import Provider
from mailpass.ports import AttachmentStore
from mailpass.queue_payload import QueuedAttachment, QueuedFields, QueuePayload
from mailpass.schemas import AttachmentFields

# base64 grows a file by 4/3, and its CRLF every 76 characters by 78/76; each part's headers
# and boundary come on top.
_PART_OVERHEAD = 600


def encoded_size(size: int) -> int:
    """The bytes a file of `size` takes in the message (base64, 76-character lines)."""
    return (size + 2) // 3 * 4 * 78 // 76 + _PART_OVERHEAD


# Where queued files live in the bucket. Each prefix has its own lifecycle rule
# (template.yaml): a scheduled message's files must outlive its wait of up to 30 days.
BATCH_PREFIX = "batch"
SCHEDULED_PREFIX = "scheduled"


def files_too_big(body_bytes: int, files: list[AttachmentFields], provider: Provider) -> str | None:
    """Why a message with these files cannot go through `provider`, estimated as composed
    (base64 and part headers on top of the body), or None when it fits."""
    size = body_bytes + sum(encoded_size(len(a.data)) for a in files)
    if size <= provider.message_size_limit:
        return None
    return (
        f"The message would be about {size} bytes; {provider.name}"
        f" ({provider.provider_id}) takes at most {provider.message_size_limit}"
    )


@dataclass
class Staged:
    """A batch's (or one scheduled message's) distinct files, by key: each stored once however
    many messages carry it."""

    account_id: str
    batch_id: str
    objects: dict[str, bytes] = field(default_factory=dict)

    def add(
        self, files: list[AttachmentFields], *, prefix: str = BATCH_PREFIX
    ) -> list[QueuedAttachment]:
        refs = []
        for f in files:
            data = f.data
            digest = hashlib.sha256(data).hexdigest()
            key = f"{prefix}/{self.account_id}/{self.batch_id}/{digest}"
            self.objects.setdefault(key, data)
            refs.append(
                QueuedAttachment(
                    filename=f.filename,
                    content_type=f.media_type(),
                    content_id=f.content_id,
                    sha256=digest,
                    size=len(data),
                    key=key,
                )
            )
        return refs

    def store(self, into: AttachmentStore) -> None:
        """Every object, or none: one that fails takes back those already stored."""
        done: list[str] = []
        try:
            for key, data in self.objects.items():
                into.put(key, data)
                done.append(key)
        except BaseException:
            if done:
                into.delete(done)
            raise


class FileCache:
    """One drain's reads: each object fetched once (concurrent lanes wait for the one read in
    flight), kept while the drain runs unless the cache grows past `max_bytes`."""

    def __init__(self, store: AttachmentStore | None, max_bytes: int = 256 * 1024 * 1024) -> None:
        self._store = store
        self._max = max_bytes
        self._lock = threading.Lock()
        self._held: dict[str, Future[bytes]] = {}
        self._bytes = 0
        self.reads = 0

    def fetch(self, payload: QueuePayload) -> tuple[dict[str, bytes], set[str]]:
        """Every object the pack's messages name, and the keys of those gone for good (their
        messages fail; the others still go). Raises AttachmentUnavailable when one cannot be
        read now: the whole pack waits for a later try."""
        keys = {a.key for e in payload.messages for a in e.message.attachments}
        found: dict[str, bytes] = {}
        missing: set[str] = set()
        for key in sorted(keys):
            try:
                found[key] = self._get(key)
            except AttachmentMissing:
                missing.add(key)
        return found, missing

    def _get(self, key: str) -> bytes:
        if self._store is None:
            raise AttachmentUnavailable("no attachment bucket is configured")
        with self._lock:
            held = self._held.get(key)
            mine = held is None
            if held is None:
                if self._bytes > self._max:  # keep the memory bounded: start over
                    self._held = {k: f for k, f in self._held.items() if not f.done()}
                    self._bytes = 0
                held = self._held[key] = Future()
        if not mine:
            return held.result()
        try:
            data = self._store.get(key)
        except BaseException as exc:
            with self._lock:
                self._held.pop(key, None)  # the next pack tries again
            held.set_exception(exc)
            raise
        with self._lock:
            self._bytes += len(data)
            self.reads += 1
        held.set_result(data)
        return data


def files_of(fields: QueuedFields, fetched: dict[str, bytes]) -> tuple[Attachment, ...]:
    return tuple(
        Attachment(a.filename, a.content_type, fetched[a.key], a.content_id)
        for a in fields.attachments
    )


def lost_files(fields: QueuedFields, missing: set[str]) -> str | None:
    """Why a queued message cannot be sent when files it names are gone, else None."""
    names = [a.filename for a in fields.attachments if a.key in missing]
    if not names:
        return None
    return "attachment no longer stored (expired or deleted): " + ", ".join(names)
