"""Dispatch state: claims and leases, the hand-off, releases, final states, redrive."""

from __future__ import annotations

from mailpass.ids import new_id
from mailpass.ports import Outcome, PackClaim

from tests.contract.conftest import NOW, Stores, new_account

T = 1_000_000.0  # a dispatcher clock; leases are 60 s


def claim(pack_id: str | None = None) -> PackClaim:
    return PackClaim(pack_id or new_id("pack"), new_id("tok"))


def test_a_pack_is_held_by_one_claim_until_its_lease_runs_out(stores: Stores) -> None:
    p = stores.packs
    mine, other = claim(), claim()
    theirs = PackClaim(mine.pack_id, new_id("tok"))
    assert p.claim_packs([mine, other], now=T, lease_until=T + 60) == {mine.pack_id, other.pack_id}
    assert p.claim_packs([theirs], now=T + 1, lease_until=T + 61) == set()
    state = p.pack_state(mine.pack_id)
    assert state is not None
    assert (state.state, state.lease_until) == ("claimed", T + 60)
    # The first dispatcher died before its hand-off: the claim is taken over.
    assert p.claim_packs([theirs], now=T + 61, lease_until=T + 121) == {mine.pack_id}
    assert p.begin_pack(mine, lease_until=T + 200) == 0  # not ours any more
    assert p.begin_pack(theirs, lease_until=T + 200) == 2  # the second claim
    state = p.pack_state(mine.pack_id)
    assert state is not None
    assert (state.state, state.lease_until) == ("sending", T + 200)
    # Handed off: never claimed again, even once its lease has run out.
    assert p.claim_packs([claim(mine.pack_id)], now=T + 1000, lease_until=T + 1060) == set()
    assert p.pack_state(new_id("pack")) is None


def test_a_released_pack_is_claimable_again(stores: Stores) -> None:
    p = stores.packs
    first = claim()
    p.claim_packs([first], now=T, lease_until=T + 60)
    assert p.begin_pack(first, lease_until=T + 60) == 1
    p.release_pack(PackClaim(first.pack_id, new_id("tok")))  # someone else's token: no effect
    state = p.pack_state(first.pack_id)
    assert state is not None
    assert state.state == "sending"
    p.release_pack(first)
    state = p.pack_state(first.pack_id)
    assert state is not None
    assert state.state == "queued"
    again = claim(first.pack_id)
    assert p.claim_packs([again], now=T + 1, lease_until=T + 61) == {first.pack_id}
    assert p.begin_pack(again, lease_until=T + 61) == 2


def test_final_states_are_recorded_and_read_back(stores: Stores) -> None:
    account_id = new_account(stores)
    ids = [new_id("msg") for _ in range(3)]
    sent = Outcome(
        account_id,
        ids[0],
        "sent",
        NOW,
        note="n",
        provider_message_id="pm",
        provider_id="prov_b",
        provider_kind="ses",
    )
    failed = Outcome(account_id, ids[1], "failed", NOW, error_message="e" * 2500)
    stores.packs.record_outcomes([sent, failed])
    got = stores.packs.results(account_id, [*ids, ids[0]])
    assert set(got) == {ids[0], ids[1]}
    assert got[ids[0]] == sent
    assert got[ids[1]].error_message == "e" * 2000
    assert stores.packs.results(new_id("acct"), ids) == {}


def test_many_final_states_go_in_bounded_batches(stores: Stores) -> None:
    account_id = new_account(stores)
    outcomes = [Outcome(account_id, new_id("msg"), "sent", NOW) for _ in range(130)]
    stores.packs.record_outcomes(outcomes)
    got = stores.packs.results(account_id, [o.message_id for o in outcomes])
    assert got == {o.message_id: o for o in outcomes}


def test_redrive_puts_failed_messages_back_and_the_pack_up_for_claiming(stores: Stores) -> None:
    account_id = new_account(stores)
    p = stores.packs
    c = claim()
    p.claim_packs([c], now=T, lease_until=T + 60)
    p.begin_pack(c, lease_until=T + 60)
    a, b, s = new_id("msg"), new_id("msg"), new_id("msg")
    p.record_outcomes(
        [
            Outcome(account_id, a, "failed", NOW, error_message="x"),
            Outcome(account_id, b, "failed", NOW, error_message="y"),
            Outcome(account_id, s, "sent", NOW),
        ]
    )
    # One of them was sent after all: the whole redrive is refused, nothing changes.
    assert not p.requeue(account_id, [a, s], c.pack_id)
    assert set(p.results(account_id, [a, b, s])) == {a, b, s}
    assert p.requeue(account_id, [a, b], c.pack_id)
    assert set(p.results(account_id, [a, b, s])) == {s}
    state = p.pack_state(c.pack_id)
    assert state is not None
    assert state.state == "queued"
    assert p.claim_packs([claim(c.pack_id)], now=T + 1, lease_until=T + 61) == {c.pack_id}
