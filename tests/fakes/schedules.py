"""Scheduled messages by their minute bucket (ports.ScheduleStore), in memory, as
adapters/dynamodb/schedules.py keeps them."""

from __future__ import annotations

from mailpass.models import schedule_bucket
from mailpass.ports import ScheduledEntry

from tests.fakes.memory import Shared


class InMemorySchedules(Shared):
    def put_scheduled(self, entries: list[ScheduledEntry]) -> list[ScheduledEntry]:
        for e in entries:
            bucket = self.memory.schedules.setdefault(schedule_bucket(e.due), {})
            bucket[f"{e.account_id}#{e.message_id}"] = e
        return []

    def scheduled_in(self, bucket: str) -> list[ScheduledEntry]:
        found = self.memory.schedules.get(bucket, {})
        return [found[k] for k in sorted(found)]

    def drop_scheduled(self, bucket: str, entries: list[ScheduledEntry]) -> None:
        found = self.memory.schedules.get(bucket, {})
        for e in entries:
            found.pop(f"{e.account_id}#{e.message_id}", None)

    def schedule_cursor(self) -> str | None:
        return self.memory.schedule_cursor

    def set_schedule_cursor(self, bucket: str) -> None:
        self.memory.schedule_cursor = bucket
