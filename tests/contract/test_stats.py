"""Usage counters: each write path adds its tally exactly when its own state change happens,
once per message and event, and the hour buckets read back folded (shards included)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from mailpass import usage
from mailpass.ids import new_id
from mailpass.models import MessageStatus as S
from mailpass.ports import LogPlace, Outcome

from tests.contract.conftest import NOW, Stores, message, new_account

HOUR = usage.hour_of(NOW)
SENDER = "noreply@acme.example.com"


def counts(stores: Stores, account_id: str, hour: str = HOUR) -> dict[str, int]:
    return stores.stats.hours(account_id, hour, hour).get(hour, {})


def test_a_send_outcome_counts_once_with_its_domain(stores: Stores) -> None:
    account = new_account(stores)
    sent, failed = message(account), message(account)
    stores.messages.put_message(sent)
    stores.messages.put_message(failed)
    tally = usage.one(account, sent.message_id, NOW, "sent", SENDER)
    for _ in range(2):  # the second is refused (sent does not follow sent): nothing counted
        stores.messages.mark_sent(
            account, sent.message_id, sent_at=NOW, provider_message_id=None, note=None, tally=tally
        )
    stores.messages.mark_failed(
        account,
        failed.message_id,
        reason="refused",
        at=NOW,
        tally=usage.one(account, failed.message_id, NOW, "failed", SENDER),
    )
    assert counts(stores, account) == {
        "sent": 1,
        "acme.example.com#sent": 1,
        "failed": 1,
        "acme.example.com#failed": 1,
    }
    found = stores.messages.get_message(account, sent.message_id)
    assert found is not None
    assert found[0].status is S.SENT


def test_feedback_counts_once_per_message_and_status(stores: Stores) -> None:
    account = new_account(stores)
    record = message(account, S.SENT)
    stores.messages.put_message(record)
    mid = record.message_id

    def feedback(status: S, count: str) -> None:
        tally = usage.one(account, mid, NOW, count, SENDER)
        stores.messages.set_feedback_status(account, mid, status, NOW, "why", tally=tally)

    feedback(S.DELIVERED, "delivered")
    feedback(S.DELIVERED, "delivered")  # redelivered by SNS: refused, not counted
    feedback(S.BOUNCED, "bounced")
    feedback(S.BOUNCED, "bounced")  # bounced may follow bounced; it still counts once
    feedback(S.COMPLAINED, "complained")
    feedback(S.BOUNCED, "bounced")  # back to bounced after a complaint: still once
    c = counts(stores, account)
    assert {k: v for k, v in c.items() if "#" not in k} == {
        "delivered": 1,
        "bounced": 1,
        "complained": 1,
    }
    found = stores.messages.get_message(account, mid)
    assert found is not None
    assert found[0].status is S.BOUNCED  # the status itself still moved as before


def test_feedback_the_state_machine_refuses_counts_nothing(stores: Stores) -> None:
    account = new_account(stores)
    record = message(account, S.SENT)
    stores.messages.put_message(record)
    mid = record.message_id
    stores.messages.set_feedback_status(
        account, mid, S.BOUNCED, NOW, "550", tally=usage.one(account, mid, NOW, "bounced", SENDER)
    )
    # A late delivery notice must not undo the bounce, nor count.
    stores.messages.set_feedback_status(
        account, mid, S.DELIVERED, NOW, None, tally=usage.one(account, mid, NOW, "delivered", None)
    )
    assert counts(stores, account) == {"bounced": 1, "acme.example.com#bounced": 1}


@pytest.mark.parametrize("place", [None, LogPlace(NOW, 2_000_000_000)], ids=["items", "results"])
def test_pack_outcomes_and_their_counts_are_written_together(
    stores: Stores, place: LogPlace | None
) -> None:
    account = new_account(stores)
    ids = [new_id("msg") for _ in range(4)]
    outcomes = [
        Outcome(account, ids[0], "sent", NOW),
        Outcome(account, ids[1], "sent", NOW),
        Outcome(account, ids[2], "failed", NOW, error_message="no"),
        Outcome(account, ids[3], "canceled", NOW),  # nothing was sent: not counted
    ]
    senders: dict[str, str | None] = {
        ids[0]: "a@acme.example.com",
        ids[1]: "b@other.example",
        ids[2]: None,  # no sender known: the account's count only
        ids[3]: "c@acme.example.com",
    }
    stores.packs.record_outcomes(outcomes, count=senders, log=place)
    assert set(stores.packs.results(account, ids)) == set(ids)
    assert counts(stores, account) == {
        "sent": 2,
        "failed": 1,
        "acme.example.com#sent": 1,
        "other.example#sent": 1,
    }
    # Without `count` (a test key's pack) nothing is counted.
    stores.packs.record_outcomes([Outcome(account, new_id("msg"), "sent", NOW)], log=place)
    assert counts(stores, account)["sent"] == 2


def test_the_first_open_and_click_of_a_message_count_once(stores: Stores) -> None:
    account = new_account(stores)
    record, test = message(account, S.SENT), message(account, S.SENT, test=True)
    stores.messages.put_message(record)
    stores.messages.put_message(test)
    mid = record.message_id
    for client, window in (("a", 1), ("a", 1), ("b", 1), ("a", 2)):
        stores.hits.hit(account, mid, "open", client, window=window, ttl=2_000_000_000, at=NOW)
    for client in ("a", "b"):
        stores.hits.hit(account, mid, "click", client, window=1, ttl=2_000_000_000, at=NOW)
    # A test key's message, and one that is gone, count nothing.
    stores.hits.hit(account, test.message_id, "open", "a", window=1, ttl=2_000_000_000, at=NOW)
    stores.hits.hit(account, new_id("msg"), "open", "a", window=1, ttl=2_000_000_000, at=NOW)
    assert counts(stores, account) == {
        "opened": 1,
        "clicked": 1,
        "acme.example.com#opened": 1,
        "acme.example.com#clicked": 1,
    }
    assert stores.hits.counted(account, mid) == {"open": 4, "click": 2}


def test_hours_are_read_by_range_with_shards_folded(stores: Stores) -> None:
    account, other = new_account(stores), new_account(stores)
    before = NOW - timedelta(hours=1)
    after = NOW + timedelta(hours=1)
    # Many keys: they spread over the shards of each hour.
    for i in range(12):
        for at in (before, NOW, after):
            stores.stats.add(usage.one(account, f"m{i}", at, "sent", SENDER), now=2_000_000_000)
    stores.stats.add(usage.one(other, "m", NOW, "sent", SENDER), now=2_000_000_000)
    found = stores.stats.hours(account, HOUR, usage.hour_of(after))
    assert set(found) == {HOUR, usage.hour_of(after)}
    assert found[HOUR] == {"sent": 12, "acme.example.com#sent": 12}
    assert stores.stats.hours(account, "2020-01-01T00", "2020-01-01T23") == {}
