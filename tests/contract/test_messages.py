"""Messages: storage, the state machine (models.FOLLOWS), events, and final states recorded
for queued messages."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from mailpass.ids import new_id
from mailpass.models import FOLLOWS, MessageEvent, MessageStatus, may_follow
from mailpass.ports import Outcome

from tests.contract.conftest import NOW, Stores, message, new_account, smtp

S = MessageStatus


def status_of(stores: Stores, account_id: str, message_id: str) -> MessageStatus:
    found = stores.messages.get_message(account_id, message_id)
    assert found is not None
    return found[0].status


def test_a_message_reads_back_as_stored(stores: Stores) -> None:
    account_id = new_account(stores)
    record = message(
        account_id,
        from_name="Acme",
        cc=["a@example.com", "b@example.com"],
        bcc=["c@example.com"],
        reply_to="r@example.com",
        tags=["welcome"],
        metadata={"user": {"id": 7, "plan": "pro"}, "flags": [1, "x", None], "ok": True},
        provider_id="prov_1",
        provider_kind="smtp",
        test=True,
        size_bytes=1234,
    )
    stores.messages.put_message(record)
    assert stores.messages.get_message(account_id, record.message_id) == (record, [])
    assert stores.messages.get_message(account_id, new_id("msg")) is None
    assert stores.messages.get_message(new_id("acct"), record.message_id) is None


def test_sent_records_the_provider_and_its_id(stores: Stores) -> None:
    account_id = new_account(stores)
    record = message(account_id, provider_id="prov_1", provider_kind="smtp")
    stores.messages.put_message(record)
    fallback = smtp(account_id, "fallback")
    stores.messages.mark_sent(
        account_id,
        record.message_id,
        sent_at=NOW,
        provider_message_id="<abc@relay>",
        note="sent through a fallback",
        provider=fallback,
    )
    found = stores.messages.get_message(account_id, record.message_id)
    assert found is not None
    got = found[0]
    assert (got.status, got.sent_at, got.updated_at) == (S.SENT, NOW, NOW)
    assert (got.provider_message_id, got.note) == ("<abc@relay>", "sent through a fallback")
    assert (got.provider_id, got.provider_kind) == (fallback.provider_id, "smtp")


def test_failed_keeps_the_reason(stores: Stores) -> None:
    account_id = new_account(stores)
    record = message(account_id)
    stores.messages.put_message(record)
    stores.messages.mark_failed(account_id, record.message_id, reason="x" * 3000, at=NOW)
    found = stores.messages.get_message(account_id, record.message_id)
    assert found is not None
    assert (found[0].status, found[0].error_message) == (S.FAILED, "x" * 2000)


def _move(stores: Stores, account_id: str, message_id: str, new: MessageStatus) -> None:
    if new is S.SENT:
        stores.messages.mark_sent(
            account_id, message_id, sent_at=NOW, provider_message_id=None, note=None
        )
    elif new is S.FAILED:
        stores.messages.mark_failed(account_id, message_id, reason="refused", at=NOW)
    else:
        stores.messages.set_feedback_status(account_id, message_id, new, NOW, "why")


MOVES = [(old, new) for new in FOLLOWS if FOLLOWS[new] for old in S]


@pytest.mark.parametrize(("old", "new"), MOVES, ids=[f"{o}->{n}" for o, n in MOVES])
def test_only_the_state_machine_moves_a_message(
    stores: Stores, old: MessageStatus, new: MessageStatus
) -> None:
    account_id = new_account(stores)
    record = message(account_id, old)
    stores.messages.put_message(record)
    _move(stores, account_id, record.message_id, new)
    expected = new if may_follow(new, old) else old
    assert status_of(stores, account_id, record.message_id) is expected


def test_nothing_moves_a_message_that_is_not_there(stores: Stores) -> None:
    account_id = new_account(stores)
    missing = new_id("msg")
    for new in (S.SENT, S.FAILED, S.DELIVERED, S.BOUNCED):
        _move(stores, account_id, missing, new)  # refused quietly: no error, no record
    assert stores.messages.get_message(account_id, missing) is None


def test_events_come_back_in_order_with_their_data(stores: Stores) -> None:
    account_id = new_account(stores)
    record = message(account_id)
    stores.messages.put_message(record)
    later = MessageEvent(
        "click",
        NOW + timedelta(seconds=5),
        "203.0.113.9",
        "Mozilla/5.0",
        {"url": "https://x.example/ä"},
    )
    earlier = MessageEvent("open", NOW, data={"machine": True})
    stores.messages.add_event(account_id, record.message_id, later)
    stores.messages.add_event(account_id, record.message_id, earlier)
    found = stores.messages.get_message(account_id, record.message_id)
    assert found is not None
    assert found[1] == [earlier, later]


def test_queued_messages_take_consecutive_ids_and_their_final_state(stores: Stores) -> None:
    account_id = new_account(stores)
    first = stores.messages.allocate_queue_ids(3)
    assert stores.messages.allocate_queue_ids(1) == first + 3
    records = [message(account_id, S.QUEUED, queue_id=first + i) for i in range(3)]
    assert stores.messages.put_messages(records) == []
    sent, failed, open_ = records
    stores.packs.record_outcomes(
        [
            Outcome(account_id, sent.message_id, "sent", NOW, provider_message_id="pm-1"),
            Outcome(account_id, failed.message_id, "failed", NOW, error_message="refused"),
        ]
    )
    got = {r.message_id: stores.messages.get_message(account_id, r.message_id) for r in records}
    assert got[open_.message_id] == (open_, [])
    s = got[sent.message_id]
    assert s is not None
    assert (s[0].status, s[0].sent_at, s[0].provider_message_id) == (S.SENT, NOW, "pm-1")
    f = got[failed.message_id]
    assert f is not None
    assert (f[0].status, f[0].error_message) == (S.FAILED, "refused")

    # Feedback later on the message outranks the dispatcher's final state.
    stores.messages.set_feedback_status(account_id, sent.message_id, S.BOUNCED, NOW, "550")
    b = stores.messages.get_message(account_id, sent.message_id)
    assert b is not None
    assert replace(b[0], error_message=None).status is S.BOUNCED
    assert b[0].provider_message_id == "pm-1"
