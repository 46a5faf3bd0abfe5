"""The message state machine is one table (models.FOLLOWS); the DynamoDB conditions are built
from it, so the adapter and the fakes cannot disagree about which status may follow which."""

from __future__ import annotations

import pytest
from mailpass.adapters.dynamodb.messages import transition
from mailpass.models import FOLLOWS, MessageStatus, may_follow

S = MessageStatus


def test_every_status_is_in_the_table() -> None:
    assert set(FOLLOWS) == set(S)


def test_nothing_goes_back_to_queued_or_sending() -> None:
    # Only a scheduled message, taken by the dispatcher, moves (forward) to queued.
    assert not any(
        may_follow(new, old) for new in (S.QUEUED, S.SENDING) for old in S if old is not S.SCHEDULED
    )
    assert FOLLOWS[S.QUEUED] == {S.SCHEDULED}
    assert not may_follow(S.SENDING, S.SCHEDULED)


def test_only_a_scheduled_message_can_be_canceled_and_canceled_is_final() -> None:
    assert FOLLOWS[S.CANCELED] == {S.SCHEDULED}
    assert not any(may_follow(new, S.CANCELED) for new in S)
    assert not any(may_follow(S.SCHEDULED, old) for old in S)


@pytest.mark.parametrize("new", [s for s in S if FOLLOWS[s]])
def test_the_condition_names_exactly_the_allowed_statuses(new: MessageStatus) -> None:
    condition, values = transition(new)
    allowed = {S(v["S"]) for v in values.values()}
    assert allowed == FOLLOWS[new]
    assert condition == "#s IN (" + ", ".join(values) + ")"


def test_a_status_nothing_moves_to_has_no_condition() -> None:
    with pytest.raises(ValueError, match="nothing moves"):
        transition(S.SCHEDULED)
    with pytest.raises(ValueError, match="nothing moves"):
        transition(S.SENDING)


def test_delivery_feedback_never_undoes_a_bounce() -> None:
    assert not may_follow(S.DELIVERED, S.BOUNCED)
    assert may_follow(S.BOUNCED, S.DELIVERED)
    assert not may_follow(S.SENT, S.QUEUED)  # a queued message's outcome is its RESULT item
