"""The message log (ports_listing.MessageLog): newest first, each filter and their combinations,
paging to the end, and a status change seen by the status filter at once, on every path that
changes a status (the /send marks, feedback, cancel, release, the dispatcher's outcomes and a
redrive's requeue)."""

from __future__ import annotations

from datetime import timedelta

from mailpass.models import MessageRecord, MessageStatus
from mailpass.ports import LogPlace, Outcome
from mailpass.ports_listing import LogQuery

from tests.contract.conftest import NOW, Stores, message, new_account

S = MessageStatus


def everything(stores: Stores, query: LogQuery) -> list[str]:
    """Every page until the last, as message ids in order."""
    ids: list[str] = []
    start = None
    for _ in range(100):
        page = stores.log.list_messages(
            LogQuery(
                query.account_id,
                query.limit,
                query.status,
                query.to,
                query.tag,
                query.since,
                query.until,
                start,
            )
        )
        assert len(page.messages) <= query.limit
        ids += [m.message_id for m in page.messages]
        if page.next is None:
            return ids
        start = page.next
    raise AssertionError("the pages never end")


def seed(stores: Stores, account_id: str) -> list[MessageRecord]:
    """Six messages a minute apart, oldest first, with assorted recipients and tags."""
    records = [
        message(
            account_id,
            status=S.SENDING,
            to_email=f"user{i % 2}@example.com",
            tags=["even"] if i % 2 == 0 else ["odd", "x"],
            created_at=NOW + timedelta(minutes=i),
        )
        for i in range(6)
    ]
    for r in records:
        stores.messages.put_message(r)
    return records


def test_newest_first_and_pages_to_the_end(stores: Stores) -> None:
    account_id = new_account(stores)
    records = seed(stores, account_id)
    newest_first = [r.message_id for r in reversed(records)]
    for limit in (1, 2, 4, 100):
        assert everything(stores, LogQuery(account_id, limit)) == newest_first
    page = stores.log.list_messages(LogQuery(account_id, 2))
    assert [m.message_id for m in page.messages] == newest_first[:2]
    assert page.messages[0] == records[-1]
    # Another account sees none of them.
    assert everything(stores, LogQuery(new_account(stores), 10)) == []


def test_each_filter_and_combinations(stores: Stores) -> None:
    account_id = new_account(stores)
    r = seed(stores, account_id)
    ids = [x.message_id for x in r]
    stores.messages.mark_sent(account_id, ids[1], sent_at=NOW, provider_message_id=None, note=None)
    stores.messages.mark_sent(account_id, ids[4], sent_at=NOW, provider_message_id=None, note=None)
    q = LogQuery
    assert everything(stores, q(account_id, 2, status=S.SENT)) == [ids[4], ids[1]]
    assert everything(stores, q(account_id, 2, status=S.SENDING)) == [
        ids[5],
        ids[3],
        ids[2],
        ids[0],
    ]
    assert everything(stores, q(account_id, 2, to="USER1@example.com ")) == [ids[5], ids[3], ids[1]]
    assert everything(stores, q(account_id, 2, tag="even")) == [ids[4], ids[2], ids[0]]
    assert everything(stores, q(account_id, 2, tag="x")) == [ids[5], ids[3], ids[1]]
    assert everything(stores, q(account_id, 2, tag="nope")) == []
    lo, hi = NOW + timedelta(minutes=1), NOW + timedelta(minutes=3)
    assert everything(stores, q(account_id, 2, since=lo, until=hi)) == [ids[3], ids[2], ids[1]]
    assert everything(stores, q(account_id, 1, since=NOW + timedelta(minutes=4))) == [
        ids[5],
        ids[4],
    ]
    assert everything(stores, q(account_id, 1, until=NOW)) == [ids[0]]
    # Combined: the leading key, the rest within the page.
    assert everything(stores, q(account_id, 1, status=S.SENT, since=lo, until=hi)) == [ids[1]]
    assert everything(stores, q(account_id, 1, to="user1@example.com", status=S.SENT)) == [ids[1]]
    assert everything(stores, q(account_id, 1, tag="even", status=S.SENT)) == [ids[4]]
    assert everything(stores, q(account_id, 1, tag="x", to="user0@example.com")) == []
    assert everything(stores, q(account_id, 1, tag="odd", since=lo, until=hi)) == [ids[3], ids[1]]


def test_every_status_change_moves_the_status_filter_at_once(stores: Stores) -> None:
    account_id = new_account(stores)

    def only(status: MessageStatus) -> list[str]:
        return everything(stores, LogQuery(account_id, 10, status=status))

    sending = message(account_id, status=S.SENDING)
    stores.messages.put_message(sending)
    assert only(S.SENDING) == [sending.message_id]
    stores.messages.mark_failed(account_id, sending.message_id, reason="refused", at=NOW)
    assert only(S.SENDING) == []
    assert only(S.FAILED) == [sending.message_id]

    scheduled = message(account_id, status=S.SCHEDULED, scheduled_at=NOW + timedelta(hours=1))
    canceled = message(account_id, status=S.SCHEDULED, scheduled_at=NOW + timedelta(hours=1))
    for m in (scheduled, canceled):
        stores.messages.put_message(m)
    assert set(only(S.SCHEDULED)) == {scheduled.message_id, canceled.message_id}
    assert stores.messages.cancel_scheduled(account_id, canceled.message_id, at=NOW)
    assert only(S.CANCELED) == [canceled.message_id]
    assert stores.messages.release_scheduled(account_id, scheduled.message_id, at=NOW)
    assert only(S.SCHEDULED) == []
    assert only(S.QUEUED) == [scheduled.message_id]

    # Queued through a batch: the dispatcher's outcome, then feedback that outranks it.
    queued = [message(account_id, status=S.QUEUED, tags=["b"]) for _ in range(3)]
    assert stores.messages.put_messages(queued) == []
    a, b, c = (m.message_id for m in queued)
    stores.packs.record_outcomes(
        [
            Outcome(account_id, a, "sent", NOW, provider_message_id="pm-a"),
            Outcome(account_id, b, "failed", NOW, error_message="refused"),
            Outcome(account_id, scheduled.message_id, "sent", NOW),
        ]
    )
    assert set(only(S.SENT)) == {a, scheduled.message_id}
    assert set(only(S.FAILED)) == {b, sending.message_id}
    assert only(S.QUEUED) == [c]
    shown = {m.message_id: m for m in stores.log.list_messages(LogQuery(account_id, 100)).messages}
    assert shown[a].status is S.SENT
    assert shown[a].provider_message_id == "pm-a"
    assert shown[b].status is S.FAILED
    assert shown[b].error_message == "refused"
    assert shown[c].status is S.QUEUED
    # What the log shows is what /status shows.
    for mid, m in shown.items():
        found = stores.messages.get_message(account_id, mid)
        assert found is not None
        assert found[0].status is m.status

    stores.messages.set_feedback_status(account_id, a, S.DELIVERED, NOW, None)
    assert only(S.DELIVERED) == [a]
    assert only(S.SENT) == [scheduled.message_id]
    stores.messages.set_feedback_status(account_id, a, S.BOUNCED, NOW, "mailbox gone")
    assert only(S.BOUNCED) == [a]
    assert only(S.DELIVERED) == []
    # An outcome recorded again (a retried pack) does not undo the feedback.
    stores.packs.record_outcomes([Outcome(account_id, a, "sent", NOW)])
    assert only(S.BOUNCED) == [a]
    assert a not in only(S.SENT)

    # A redrive puts the failed one back in the queue, and in the queued filter.
    assert stores.packs.requeue(account_id, [b], "pack-" + b)
    assert set(only(S.QUEUED)) == {b, c}
    assert only(S.FAILED) == [sending.message_id]
    status_b = stores.messages.get_message(account_id, b)
    assert status_b is not None
    assert status_b[0].status is S.QUEUED
    assert set(everything(stores, LogQuery(account_id, 1, tag="b"))) == {a, b, c}
    assert set(everything(stores, LogQuery(account_id, 10, tag="b", status=S.QUEUED))) == {b, c}


def test_a_redriven_scheduled_message_is_handed_off_again(stores: Stores) -> None:
    account_id = new_account(stores)
    m = message(account_id, status=S.SCHEDULED, scheduled_at=NOW + timedelta(hours=1))
    stores.messages.put_message(m)
    assert stores.messages.release_scheduled(account_id, m.message_id, at=NOW)
    stores.packs.record_outcomes([Outcome(account_id, m.message_id, "failed", NOW)])
    assert everything(stores, LogQuery(account_id, 5, status=S.FAILED)) == [m.message_id]
    assert stores.packs.requeue(account_id, [m.message_id], "pack-" + m.message_id)
    # The redriven pack takes it again: not refused (which would record it canceled).
    assert stores.messages.release_scheduled(account_id, m.message_id, at=NOW)
    assert everything(stores, LogQuery(account_id, 5, status=S.QUEUED)) == [m.message_id]
    found = stores.messages.get_message(account_id, m.message_id)
    assert found is not None
    assert found[0].status is S.QUEUED
    stores.packs.record_outcomes([Outcome(account_id, m.message_id, "sent", NOW)])
    assert everything(stores, LogQuery(account_id, 5, status=S.SENT)) == [m.message_id]
    assert everything(stores, LogQuery(account_id, 5, status=S.QUEUED)) == []


def test_a_packs_outcomes_alone_move_its_queued_messages_in_the_log(stores: Stores) -> None:
    """The dispatcher's path (ports.LogPlace given): the outcomes' RESULTs carry the status
    entry, the message items are not written, and feedback, a retried pack and a redrive each
    leave every message under exactly one status."""
    account_id = new_account(stores)
    queued = [message(account_id, status=S.QUEUED, tags=["t"]) for _ in range(4)]
    place = LogPlace(NOW, queued[0].expires_at)
    assert stores.messages.put_messages(queued) == []
    a, b, c, d = (m.message_id for m in queued)

    def only(status: MessageStatus) -> list[str]:
        return sorted(everything(stores, LogQuery(account_id, 2, status=status)))

    assert only(S.QUEUED) == sorted([a, b, c, d])
    stores.packs.record_outcomes(
        [
            Outcome(account_id, a, "sent", NOW, provider_message_id="pm-a"),
            Outcome(account_id, b, "failed", NOW, error_message="refused"),
            Outcome(account_id, c, "canceled", NOW),
        ],
        log=place,
    )
    assert only(S.QUEUED) == [d]
    assert only(S.SENT) == [a]
    assert only(S.FAILED) == [b]
    assert only(S.CANCELED) == [c]
    # Not final yet: left out of the pack's results, so a retried pack still sends it.
    assert set(stores.packs.results(account_id, [a, b, c, d])) == {a, b, c}
    shown = {m.message_id: m for m in stores.log.list_messages(LogQuery(account_id, 10)).messages}
    assert shown[a].status is S.SENT
    assert shown[a].provider_message_id == "pm-a"
    assert shown[b].error_message == "refused"
    assert shown[d].status is S.QUEUED
    for mid, m in shown.items():  # the log shows what /status shows
        found = stores.messages.get_message(account_id, mid)
        assert found is not None
        assert found[0].status is m.status

    stores.messages.set_feedback_status(account_id, a, S.DELIVERED, NOW, None)
    assert only(S.DELIVERED) == [a]
    assert only(S.SENT) == []
    stores.packs.record_outcomes([Outcome(account_id, a, "sent", NOW)], log=place)  # retried
    assert only(S.SENT) == []
    assert only(S.DELIVERED) == [a]

    # A redrive: back under queued (and out of failed), then its new outcome.
    assert stores.packs.requeue(account_id, [b], "pack-" + b, place)
    assert only(S.QUEUED) == sorted([b, d])
    assert only(S.FAILED) == []
    assert b not in stores.packs.results(account_id, [b])
    stores.packs.record_outcomes([Outcome(account_id, b, "sent", NOW)], log=place)
    assert only(S.SENT) == [b]
    assert only(S.QUEUED) == [d]
    assert sorted(everything(stores, LogQuery(account_id, 3, tag="t", status=S.SENT))) == [b]


def test_a_dead_letter_of_a_queued_message_then_its_redrive(stores: Stores) -> None:
    """An outcome written without the pack's LogPlace (a dead letter's sweep) takes the entry
    to the message item; the redrive with it brings the entry back to the RESULT."""
    account_id = new_account(stores)
    m = message(account_id, status=S.QUEUED)
    assert stores.messages.put_messages([m]) == []
    stores.packs.record_outcomes([Outcome(account_id, m.message_id, "failed", NOW, "dead")])
    assert everything(stores, LogQuery(account_id, 5, status=S.FAILED)) == [m.message_id]
    assert everything(stores, LogQuery(account_id, 5, status=S.QUEUED)) == []
    place = LogPlace(NOW, m.expires_at)
    assert stores.packs.requeue(account_id, [m.message_id], "pack-" + m.message_id, place)
    assert everything(stores, LogQuery(account_id, 5, status=S.QUEUED)) == [m.message_id]
    assert everything(stores, LogQuery(account_id, 5, status=S.FAILED)) == []
    stores.packs.record_outcomes([Outcome(account_id, m.message_id, "sent", NOW)], log=place)
    assert everything(stores, LogQuery(account_id, 5, status=S.SENT)) == [m.message_id]
    assert everything(stores, LogQuery(account_id, 5, status=S.QUEUED)) == []
