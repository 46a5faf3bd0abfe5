from __future__ import annotations

import pytest
from mailpass.ids import (
    hash_api_key,
    is_test_key,
    is_well_formed_key,
    new_api_key,
    new_message_id,
    normalize_message_id,
)


def test_keys_have_prefix_and_enough_base62() -> None:
    live, test = new_api_key(), new_api_key(test=True)
    assert live.startswith("mp_live_")
    assert len(live) >= 8 + 32
    assert test.startswith("mp_test_")
    assert is_test_key(test)
    assert not is_test_key(live)
    assert is_well_formed_key(live)
    assert is_well_formed_key(test)
    assert live != new_api_key()


@pytest.mark.parametrize("raw", ["", "mp_live_short", "sk_live_" + "a" * 40, "mp_live_" + "-" * 40])
def test_malformed_keys(raw: str) -> None:
    assert not is_well_formed_key(raw)


def test_hash_is_stable_and_not_the_key() -> None:
    key = new_api_key()
    assert hash_api_key(key) == hash_api_key(key)
    assert key not in hash_api_key(key)


def test_message_id_shape() -> None:
    mid = new_message_id("mailpass.im", now=1706600000)
    assert mid.startswith("<")
    assert mid.endswith(".1706600000@mailpass.im>")


@pytest.mark.parametrize(
    "raw",
    [
        "<abc123.1706600000@mailpass.im>",
        "abc123.1706600000@mailpass.im",
        "%3Cabc123.1706600000%40mailpass.im%3E",
        "%253Cabc123.1706600000%2540mailpass.im%253E",
        " <abc123.1706600000@mailpass.im> ",
        "abc123.1706600000@mailpass.im>",
    ],
)
def test_message_id_accepted_in_every_form(raw: str) -> None:
    assert normalize_message_id(raw) == "<abc123.1706600000@mailpass.im>"


@pytest.mark.parametrize("raw", ["", "<>", "no-at-sign", "a@b@c", "<a b@c>", "a@c/../x"])
def test_bad_message_ids(raw: str) -> None:
    assert normalize_message_id(raw) is None
