"""The suppression listing: oldest first, a page at a time, whole or by reason kind."""

from __future__ import annotations

from datetime import timedelta

from mailpass.ports_listing import Position

from tests.contract.conftest import NOW, Stores, new_account


def pages(stores: Stores, account_id: str, reason: str | None, limit: int) -> list[str]:
    emails: list[str] = []
    start: Position | None = None
    for _ in range(50):
        page = stores.suppressions.suppression_page(
            account_id, reason=reason, limit=limit, start=start
        )
        assert len(page.entries) <= limit
        emails += [e["email"] for e in page.entries]
        if page.next is None:
            return emails
        start = page.next
    raise AssertionError("the pages never end")


def test_pages_oldest_first_whole_or_by_kind(stores: Stores) -> None:
    account_id = new_account(stores)
    sup = stores.suppressions
    reasons = ["hard bounce: 550 gone", "complaint (abuse)", "customer asked"]
    for i in range(7):
        sup.add_suppression(
            account_id,
            f"User{i}@Example.com",
            reason=reasons[i % 3],
            at=NOW + timedelta(minutes=10 - i),  # the later address is the older entry
            message_id=None,
            kind="manual" if i % 3 == 2 else None,
        )
    oldest_first = [f"user{i}@example.com" for i in reversed(range(7))]
    for limit in (1, 3, 100):
        assert pages(stores, account_id, None, limit) == oldest_first
    assert pages(stores, account_id, "bounce", 2) == [
        "user6@example.com",
        "user3@example.com",
        "user0@example.com",
    ]
    assert pages(stores, account_id, "complaint", 1) == ["user4@example.com", "user1@example.com"]
    assert pages(stores, account_id, "manual", 5) == ["user5@example.com", "user2@example.com"]
    assert pages(stores, new_account(stores), None, 5) == []

    entry = sup.suppression(account_id, "USER5@example.com")
    assert entry is not None
    assert (entry["email"], entry["reason"], entry["kind"]) == (
        "user5@example.com",
        "customer asked",
        "manual",
    )
    assert sup.suppression(account_id, "nobody@example.com") is None
    # Removed: out of the listing too.
    sup.remove_suppression(account_id, "user5@example.com")
    assert pages(stores, account_id, "manual", 5) == ["user2@example.com"]
