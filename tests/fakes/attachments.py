"""An in-memory attachment bucket (ports.AttachmentStore), with a switch to make reads fail."""

from __future__ import annotations

from dataclasses import dataclass, field

from mailpass.errors import AttachmentMissing, AttachmentUnavailable


@dataclass
class InMemoryAttachments:
    objects: dict[str, bytes] = field(default_factory=dict)
    gets: list[str] = field(default_factory=list)
    puts: list[str] = field(default_factory=list)
    unavailable: bool = False  # every read fails, as S3 down would

    def put(self, key: str, data: bytes) -> None:
        self.puts.append(key)
        self.objects[key] = data

    def get(self, key: str) -> bytes:
        self.gets.append(key)
        if self.unavailable:
            raise AttachmentUnavailable(f"{key}: not available")
        if key not in self.objects:
            raise AttachmentMissing(f"{key}: no such object")
        return self.objects[key]

    def delete(self, keys: list[str]) -> None:
        for key in keys:
            self.objects.pop(key, None)
