"""The one retry helper bounds every loop DynamoDB can keep going: UnprocessedKeys,
UnprocessedItems and cancelled transactions. The clients here are small scripted classes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from mailpass.adapters.dynamodb import DynamoPacks, DynamoQuotas, DynamoSuppressions, Table
from mailpass.adapters.dynamodb.retry import (
    ATTEMPTS,
    BASE_SECONDS,
    CAP_SECONDS,
    RetriesExhausted,
    backoff,
    batch_get,
    batch_write,
)
from mailpass.ports import PackClaim, Window


class Cancelled(Exception):
    def __init__(self, codes: list[str]) -> None:
        super().__init__("TransactionCanceledException")
        self.response = {"CancellationReasons": [{"Code": c} for c in codes]}


class Exceptions:
    TransactionCanceledException = Cancelled
    ConditionalCheckFailedException = type("ConditionalCheckFailed", (Exception,), {})


class StubbornClient:
    """Hands back `unprocessed_for` calls' worth of work, then does it; counts every call
    and refuses to go on for ever (the old unbounded loop would spin here)."""

    exceptions = Exceptions

    def __init__(self, unprocessed_for: int = 10**9, conflicts: int = 0) -> None:
        self.unprocessed_for = unprocessed_for
        self.conflicts = conflicts
        self.calls: list[tuple[str, int]] = []

    def _count(self, op: str, n: int) -> bool:
        self.calls.append((op, n))
        if len(self.calls) > 100:
            raise AssertionError("unbounded retry loop")
        return len([c for c in self.calls if c[0] == op]) <= self.unprocessed_for

    def batch_get_item(self, *, RequestItems: dict[str, Any]) -> dict[str, Any]:  # noqa: N803
        ((table, req),) = RequestItems.items()
        keys = req["Keys"]
        assert len(keys) <= 100
        if self._count("get", len(keys)):
            return {"Responses": {table: []}, "UnprocessedKeys": RequestItems}
        return {"Responses": {table: [{**k, "email": {"S": "x"}} for k in keys]}}

    def batch_write_item(self, *, RequestItems: dict[str, Any]) -> dict[str, Any]:  # noqa: N803
        ((_, reqs),) = RequestItems.items()
        assert len(reqs) <= 25
        if self._count("write", len(reqs)):
            return {"UnprocessedItems": RequestItems}
        return {}

    def transact_write_items(self, *, TransactItems: list[Any]) -> dict[str, Any]:  # noqa: N803
        self._count("transact", len(TransactItems))
        if self.conflicts:
            self.conflicts -= 1
            raise Cancelled(["TransactionConflict"] * len(TransactItems))
        return {}


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def keys(n: int) -> list[dict[str, Any]]:
    return [{"pk": {"S": f"k{i}"}, "sk": {"S": "X"}} for i in range(n)]


def test_unprocessed_keys_are_retried_a_bounded_number_of_times() -> None:
    client, sleeps = StubbornClient(), Sleeps()
    with pytest.raises(RetriesExhausted, match="BatchGetItem"):
        batch_get(client, "t", keys(3), sleep=sleeps)
    assert len(client.calls) == ATTEMPTS
    assert len(sleeps) == ATTEMPTS - 1
    assert all(0 <= s <= min(CAP_SECONDS, BASE_SECONDS * 2**n) for n, s in enumerate(sleeps))


def test_unprocessed_keys_are_fetched_again_in_batches_of_100() -> None:
    client, sleeps = StubbornClient(unprocessed_for=1), Sleeps()
    found = batch_get(client, "t", keys(250), sleep=sleeps)
    assert len(found) == 250
    assert [n for _, n in client.calls] == [100, 100, 100, 50]  # one retry, then the rest
    assert len(sleeps) == 1


def test_unprocessed_items_are_retried_then_handed_back() -> None:
    client, sleeps = StubbornClient(), Sleeps()
    requests = [{"PutRequest": {"Item": k}} for k in keys(30)]
    left = batch_write(client, "t", requests, sleep=sleeps)
    assert left == requests  # bounded: what never went is returned, not retried for ever
    assert [n for _, n in client.calls] == [25] * ATTEMPTS + [5] * ATTEMPTS


def table(client: StubbornClient, sleeps: Sleeps) -> Table:
    fake: Any = client
    return Table(fake, "t", sleep=sleeps)


def test_a_suppression_lookup_that_never_completes_stops() -> None:
    client, sleeps = StubbornClient(), Sleeps()
    with pytest.raises(RetriesExhausted):
        DynamoSuppressions(table(client, sleeps)).suppressed("acct", ["a@example.com"])
    assert len(client.calls) == ATTEMPTS


def test_conflicting_claims_are_retried_then_given_up() -> None:
    client, sleeps = StubbornClient(conflicts=10**9), Sleeps()
    claims = [PackClaim("p1", "t"), PackClaim("p2", "t")]
    assert (
        DynamoPacks(table(client, sleeps)).claim_packs(claims, now=1.0, lease_until=61.0) == set()
    )
    assert len(client.calls) == 3
    assert len(sleeps) == 2


def test_a_conflict_that_clears_is_retried_to_success() -> None:
    client, sleeps = StubbornClient(conflicts=2), Sleeps()
    claims = [PackClaim("p1", "t")]
    assert DynamoPacks(table(client, sleeps)).claim_packs(claims, now=1.0, lease_until=61.0) == {
        "p1"
    }
    assert len(client.calls) == 3


def test_send_limit_counters_that_stay_contended_raise() -> None:
    client, sleeps = StubbornClient(conflicts=10**9), Sleeps()
    now = datetime(2026, 11, 25, 9, tzinfo=UTC)
    windows = [
        Window("H#1", 5, now + timedelta(hours=1)),
        Window("D#1", 50, now + timedelta(days=1)),
    ]
    with pytest.raises(RetriesExhausted, match="send limit"):
        DynamoQuotas(table(client, sleeps)).reserve("prov", windows, 1)
    assert len(client.calls) == 8


def test_backoff_is_full_jitter_under_the_cap() -> None:
    got = [backoff(10) for _ in range(200)]
    assert all(0 <= g <= CAP_SECONDS for g in got)
    assert len(set(got)) > 100  # spread out, not one fixed pause


class HandsBack(StubbornClient):
    """Writes every item but those whose sort key is in `refused`, which it always hands back."""

    def __init__(self, refused: set[str]) -> None:
        super().__init__()
        self.refused = refused
        self.written: list[str] = []

    def batch_write_item(self, *, RequestItems: dict[str, Any]) -> dict[str, Any]:  # noqa: N803
        ((table, reqs),) = RequestItems.items()
        self._count("write", len(reqs))
        back = [r for r in reqs if r["PutRequest"]["Item"]["sk"]["S"] in self.refused]
        self.written += [r["PutRequest"]["Item"]["sk"]["S"] for r in reqs if r not in back]
        return {"UnprocessedItems": {table: back}} if back else {}


def test_a_message_item_never_stored_is_an_error_and_a_lost_tag_item_is_not() -> None:
    from mailpass.adapters.dynamodb import DynamoMessages

    from tests.contract.conftest import message

    record = message("acct_1", tags=["order", "confirmation"])
    # DynamoDB keeps handing a tag item back: the message is stored, one tag misses the index.
    lost_tag = HandsBack({"TAG#order"})
    DynamoMessages(table(lost_tag, Sleeps())).put_message(record)
    assert lost_tag.written == ["MSG", "TAG#confirmation"]
    assert len(lost_tag.calls) == ATTEMPTS

    # It keeps handing the message back: the caller hears of it before anything is sent.
    lost_message = HandsBack({"MSG"})
    with pytest.raises(RetriesExhausted):
        DynamoMessages(table(lost_message, Sleeps())).put_message(record)
