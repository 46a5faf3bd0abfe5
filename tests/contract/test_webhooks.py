"""The webhook store: updates of one webhook (url, events, enabled), secret rotation with its
race, the failure streak and auto-disable, and the delivery log's pages, newest first."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from mailpass.errors import Conflict, NotFound
from mailpass.ids import new_id
from mailpass.models import Webhook, WebhookAttempt

from tests.contract.conftest import NOW, Stores, new_account

# Far past the machine's clock: DynamoDB Local's TTL deletes expired items.
EXPIRES = int(NOW.timestamp()) + 100 * 365 * 86400


def webhook(stores: Stores) -> Webhook:
    account_id = new_account(stores)
    hook = Webhook(new_id("wh"), account_id, "https://hooks.example.com/x", ("open",), "s1", NOW)
    stores.webhooks.put_webhook(hook)
    return hook


def read(stores: Stores, hook: Webhook) -> Webhook:
    config = stores.webhooks.get_account_config(hook.account_id)
    assert config is not None
    (found,) = [w for w in config.webhooks if w.webhook_id == hook.webhook_id]
    return found


def test_a_webhook_is_updated_field_by_field(stores: Stores) -> None:
    hook = webhook(stores)
    later = NOW + timedelta(minutes=5)
    failing = stores.webhooks.record_failure(hook.account_id, hook.webhook_id, NOW)
    assert failing is not None
    assert failing.failures == 1
    # A new url is a new endpoint: the failures counted so far are not its own.
    moved = stores.webhooks.update_webhook(
        hook.account_id, hook.webhook_id, at=later, url="https://hooks.example.com/v2"
    )
    assert moved == replace(hook, url="https://hooks.example.com/v2", updated_at=later)
    assert read(stores, hook) == moved
    typed = stores.webhooks.update_webhook(
        hook.account_id, hook.webhook_id, at=later, event_types=("bounce", "click")
    )
    assert typed.event_types == ("bounce", "click")
    assert typed.url == "https://hooks.example.com/v2"
    off = stores.webhooks.update_webhook(hook.account_id, hook.webhook_id, at=later, enabled=False)
    assert (off.enabled, off.disabled_reason, off.disabled_at) == (
        False,
        "disabled by the account",
        later,
    )
    with pytest.raises(NotFound):
        stores.webhooks.update_webhook(hook.account_id, new_id("wh"), at=later, enabled=True)
    with pytest.raises(NotFound):
        stores.webhooks.update_webhook(new_id("acct"), hook.webhook_id, at=later, url="https://x.y")


def test_failures_make_a_streak_a_success_ends_and_enabling_forgets(stores: Stores) -> None:
    hook = webhook(stores)
    first = stores.webhooks.record_failure(hook.account_id, hook.webhook_id, NOW)
    second = stores.webhooks.record_failure(
        hook.account_id, hook.webhook_id, NOW + timedelta(hours=1)
    )
    assert first is not None
    assert second is not None
    assert (first.failures, first.failing_since) == (1, NOW)
    assert (second.failures, second.failing_since) == (2, NOW)  # the streak's first failure
    stores.webhooks.clear_failures(hook.account_id, hook.webhook_id)
    cleared = read(stores, hook)
    assert (cleared.failures, cleared.failing_since) == (0, None)
    stores.webhooks.clear_failures(hook.account_id, hook.webhook_id)  # nothing to clear: fine
    assert stores.webhooks.record_failure(hook.account_id, new_id("wh"), NOW) is None

    stores.webhooks.record_failure(hook.account_id, hook.webhook_id, NOW)
    assert stores.webhooks.disable_webhook(hook.account_id, hook.webhook_id, "410 Gone", NOW)
    # Already off: the first reason stays.
    assert not stores.webhooks.disable_webhook(hook.account_id, hook.webhook_id, "again", NOW)
    assert not stores.webhooks.disable_webhook(hook.account_id, new_id("wh"), "gone", NOW)
    off = read(stores, hook)
    assert (off.enabled, off.disabled_reason, off.disabled_at, off.failures) == (
        False,
        "410 Gone",
        NOW,
        1,
    )
    on = stores.webhooks.update_webhook(hook.account_id, hook.webhook_id, at=NOW, enabled=True)
    assert on == read(stores, hook)
    assert (on.enabled, on.disabled_reason, on.disabled_at, on.failures, on.failing_since) == (
        True,
        None,
        None,
        0,
        None,
    )


def test_a_rotation_keeps_the_previous_secret_and_refuses_a_stale_one(stores: Stores) -> None:
    hook = webhook(stores)
    until = NOW + timedelta(hours=24)
    rotated = stores.webhooks.rotate_secret(
        hook.account_id,
        hook.webhook_id,
        expected_secret_id="s1",
        secret_id="s2",
        previous_until=until,
        at=NOW,
    )
    assert (rotated.secret_id, rotated.previous_secret_id, rotated.previous_secret_until) == (
        "s2",
        "s1",
        until,
    )
    assert read(stores, hook) == rotated
    with pytest.raises(Conflict):
        stores.webhooks.rotate_secret(
            hook.account_id,
            hook.webhook_id,
            expected_secret_id="s1",
            secret_id="s3",
            previous_until=until,
            at=NOW,
        )
    assert read(stores, hook).secret_id == "s2"
    with pytest.raises(NotFound):
        stores.webhooks.rotate_secret(
            hook.account_id,
            new_id("wh"),
            expected_secret_id="s1",
            secret_id="s3",
            previous_until=until,
            at=NOW,
        )


def attempt(hook: Webhook, n: int, seconds: int, **kw: object) -> WebhookAttempt:
    fields: dict[str, object] = {
        "account_id": hook.account_id,
        "webhook_id": hook.webhook_id,
        "event_id": f"evt_{seconds:04d}",
        "event_type": "open",
        "attempt": n,
        "at": NOW + timedelta(seconds=seconds),
        "duration_ms": 12,
        "status_code": 500,
        "error": None,
        "detail": "Internal Server Error",
        "next_retry_at": NOW + timedelta(seconds=seconds + 5),
    }
    return WebhookAttempt(**{**fields, **kw})  # type: ignore[arg-type]


def test_the_delivery_log_reads_back_newest_first_in_pages(stores: Stores) -> None:
    hook = webhook(stores)
    other = webhook(stores)
    made = [attempt(hook, 1 + n % 3, n) for n in range(7)]
    made.append(attempt(hook, 1, 100, status_code=None, error="refused", detail="refused"))
    made.append(attempt(hook, 2, 101, status_code=200, detail="OK", next_retry_at=None))
    for a in made:
        stores.webhooks.add_attempt(a, EXPIRES)
    stores.webhooks.add_attempt(attempt(other, 1, 50), EXPIRES)
    newest_first = sorted(made, key=lambda a: a.at, reverse=True)

    pages: list[list[WebhookAttempt]] = []
    after: str | None = None
    while True:
        page, after = stores.webhooks.list_attempts(hook.account_id, hook.webhook_id, 4, after)
        pages.append(page)
        if after is None:
            break
    assert [len(p) for p in pages] == [4, 4, 1]
    assert [a for p in pages for a in p] == newest_first
    # A full last page says so: no cursor to an empty one.
    whole, end = stores.webhooks.list_attempts(hook.account_id, hook.webhook_id, 9, None)
    assert (whole, end) == (newest_first, None)
    assert stores.webhooks.list_attempts(other.account_id, other.webhook_id, 10, None)[0] == [
        attempt(other, 1, 50)
    ]
    assert stores.webhooks.list_attempts(hook.account_id, new_id("wh"), 10, None) == ([], None)
