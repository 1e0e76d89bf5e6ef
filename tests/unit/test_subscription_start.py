"""Where a subscription starts on its connection: the log's position before the ack,
moved on only by a pong that echoes a ping's number (so only to a position the client has
provably seen), never by an unsolicited pong or a forged number."""

from datetime import UTC, datetime, timedelta

import pytest

from resolvers.subscriptions import Seen, StartPoints

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def seen(n: int) -> Seen:
    return Seen({"_data": f"{n:04x}"}, T0 + timedelta(seconds=n))


def test_a_connection_starts_where_its_ack_was_sent() -> None:
    assert StartPoints(seen(0)).current == seen(0)


def test_an_echoed_ping_moves_the_start_to_its_position() -> None:
    starts = StartPoints(seen(0))
    first = starts.pinged(seen(1))
    second = starts.pinged(seen(2))
    starts.ponged({"seq": first})
    assert starts.current == seen(1)
    starts.ponged({"seq": second})
    assert starts.current == seen(2)


def test_an_answered_ping_forgets_the_older_ones() -> None:
    starts = StartPoints(seen(0))
    first = starts.pinged(seen(1))
    second = starts.pinged(seen(2))
    starts.ponged({"seq": second})
    starts.ponged({"seq": first})  # late, or replayed: never moves the start back
    assert starts.current == seen(2)


@pytest.mark.parametrize(
    "payload", [None, {}, {"seq": 99}, {"seq": "1"}, {"seq": True}, {"seq": 1.0}, [1], "1"]
)
def test_other_pongs_change_nothing(payload) -> None:
    starts = StartPoints(seen(0))
    starts.pinged(seen(1))
    starts.ponged(payload)
    assert starts.current == seen(0)


def test_only_the_last_pings_are_remembered() -> None:
    starts = StartPoints(seen(0))
    numbers = [starts.pinged(seen(n)) for n in range(1, StartPoints.PENDING + 3)]
    starts.ponged({"seq": numbers[0]})  # too old: forgotten
    assert starts.current == seen(0)
    starts.ponged({"seq": numbers[-1]})
    assert starts.current == seen(len(numbers))
