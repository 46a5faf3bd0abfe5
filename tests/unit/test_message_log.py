"""The message log and suppression listing services over the in-memory stores: filters parsed
and refused as the contract says, and cursors that only work where they were issued."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from mailpass.errors import ValidationFailed
from mailpass.ids import new_id
from mailpass.models import MessageRecord, MessageStatus, Principal
from mailpass.service.cursor import Cursors, derive_key
from mailpass.service.message_log import MessageLogService
from mailpass.service.suppressions import SuppressionService

from tests.fakes import InMemoryMessageLog, InMemoryMessages, InMemorySuppressions, Memory

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
KEY = derive_key(b"tracking secret", "messages")


def principal(account_id: str) -> Principal:
    return Principal(account_id, "key_1", frozenset({"mail"}), test=False)


def seeded(memory: Memory, account_id: str, n: int) -> list[str]:
    messages = InMemoryMessages(memory)
    ids = []
    for i in range(n):
        record = MessageRecord(
            account_id=account_id,
            message_id=new_id("msg"),
            status=MessageStatus.SENT if i % 2 else MessageStatus.FAILED,
            from_email="noreply@acme.example.com",
            to_email=f"user{i % 3}@example.com",
            subject=f"#{i}",
            tags=["t"] if i % 2 else [],
            created_at=NOW + timedelta(seconds=i),
            expires_at=0,
        )
        messages.put_message(record)
        ids.append(record.message_id)
    return ids


@pytest.fixture
def memory() -> Memory:
    return Memory()


@pytest.fixture
def service(memory: Memory) -> MessageLogService:
    return MessageLogService(InMemoryMessageLog(memory), Cursors(KEY, "messages"))


def test_pages_with_cursors_newest_first(memory: Memory, service: MessageLogService) -> None:
    ids = seeded(memory, "acct_a", 5)
    me = principal("acct_a")
    first = service.list(me, limit=2)
    assert [m["message_id"] for m in first["messages"]] == [ids[4], ids[3]]
    assert first["messages"][0]["subject"] == "#4"
    assert first["messages"][0]["status"] == "failed"
    second = service.list(me, limit=2, cursor=first["next_cursor"])
    assert [m["message_id"] for m in second["messages"]] == [ids[2], ids[1]]
    last = service.list(me, limit=2, cursor=second["next_cursor"])
    assert [m["message_id"] for m in last["messages"]] == [ids[0]]
    assert last["next_cursor"] is None
    assert len(service.list(me)["messages"]) == 5  # default limit 20


def test_filters(memory: Memory, service: MessageLogService) -> None:
    ids = seeded(memory, "acct_a", 6)
    me = principal("acct_a")

    def listed(**kw: str) -> list[str]:
        return [m["message_id"] for m in service.list(me, **kw)["messages"]]  # type: ignore[arg-type]

    assert listed(status="failed") == [ids[4], ids[2], ids[0]]
    assert listed(to="USER1@example.com") == [ids[4], ids[1]]
    assert listed(tag="t") == [ids[5], ids[3], ids[1]]
    assert listed(since="2026-11-25T10:30:02+01:00", until="2026-11-25T09:30:03Z") == [
        ids[3],
        ids[2],
    ]


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"status": "lost"}, "status"),
        ({"since": "yesterday"}, "from"),
        ({"since": "2026-11-25T09:30:00"}, "from"),  # no offset: ambiguous
        ({"until": "2026-11-25"}, "until"),
        ({"since": "2026-11-26T00:00:00Z", "until": "2026-11-25T00:00:00Z"}, "from"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"cursor": "garbage"}, "cursor"),
        ({"cursor": "e30.AAAAAAAAAAAAAAAAAAAAAA"}, "cursor"),
    ],
)
def test_bad_input_is_a_validation_error(
    service: MessageLogService, kw: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationFailed) as raised:
        service.list(principal("acct_a"), **kw)  # type: ignore[arg-type]
    assert raised.value.details[0]["field"] == field


def test_a_cursor_works_only_for_its_account_and_filters(
    memory: Memory, service: MessageLogService
) -> None:
    seeded(memory, "acct_a", 5)
    seeded(memory, "acct_b", 5)
    cursor = service.list(principal("acct_a"), limit=1, status="sent")["next_cursor"]
    assert cursor is not None
    assert service.list(principal("acct_a"), limit=1, status="sent", cursor=cursor)["messages"]
    for who, kw in [
        ("acct_b", {"status": "sent"}),  # another account's partition
        ("acct_a", {"status": "failed"}),  # another filter
        ("acct_a", {}),
    ]:
        with pytest.raises(ValidationFailed):
            service.list(principal(who), limit=1, cursor=cursor, **kw)
    # Forged: the position changed, the signature kept.
    body, mac = cursor.split(".")
    forged = "eyJhdCI6Ijk5OTkifQ" + "." + mac
    with pytest.raises(ValidationFailed):
        service.list(principal("acct_a"), limit=1, status="sent", cursor=forged)
    # Signed with another key (another deployment, or the suppression list's).
    other = MessageLogService(InMemoryMessageLog(memory), Cursors(b"k" * 32, "messages"))
    with pytest.raises(ValidationFailed):
        other.list(principal("acct_a"), limit=1, status="sent", cursor=cursor)
    assert body


def test_suppressions_added_by_hand_and_paged(memory: Memory) -> None:
    service = SuppressionService(
        InMemorySuppressions(memory), Cursors(derive_key(b"s", "suppressions"), "suppressions")
    )
    entry, added = service.add("acct_a", "Bob@Example.com", None)
    assert added
    assert (entry["email"], entry["reason"], entry["kind"]) == (
        "bob@example.com",
        "manual",
        "manual",
    )
    again, added = service.add("acct_a", "bob@example.com", "other words")
    assert not added
    assert again["reason"] == "manual"  # the first one stays
    InMemorySuppressions(memory).add_suppression(
        "acct_a", "gone@example.com", reason="hard bounce: 550", at=NOW, message_id="m1"
    )
    assert [e["email"] for e in service.list("acct_a", reason="bounce")["suppressions"]] == [
        "gone@example.com"
    ]
    page = service.list("acct_a", limit=1)
    assert len(page["suppressions"]) == 1
    rest = service.list("acct_a", limit=1, cursor=page["next_cursor"])
    assert rest["next_cursor"] is None
    assert {page["suppressions"][0]["email"], rest["suppressions"][0]["email"]} == {
        "bob@example.com",
        "gone@example.com",
    }
    with pytest.raises(ValidationFailed):
        service.list("acct_a", reason="unknown")
    with pytest.raises(ValidationFailed):
        service.list("acct_b", limit=1, cursor=page["next_cursor"])
    with pytest.raises(ValidationFailed):
        service.list("acct_a", reason="manual", limit=1, cursor=page["next_cursor"])


def test_times_at_the_ends_of_the_calendar_are_refused(service: MessageLogService) -> None:
    with pytest.raises(ValidationFailed):
        service.list(principal("acct_a"), since="0001-01-01T00:00:00+01:00")
    assert service.list(principal("acct_a"), until="9999-12-31T23:59:59Z")["messages"] == []
