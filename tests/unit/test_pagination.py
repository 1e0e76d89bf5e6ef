"""Cursors: opaque to clients, stable, and refused when forged."""

from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId

from domain.errors import BadArgument
from repositories.pagination import (
    SortKey,
    after_filter,
    check_page_size,
    decode_cursor,
    encode_cursor,
)
from schema.scalars import iso_duration


def test_cursor_round_trips_a_date_key() -> None:
    oid = ObjectId()
    at = datetime(2026, 11, 22, 9, 30, 15, 123000, tzinfo=UTC)
    assert decode_cursor(encode_cursor({"_id": oid, "createdAt": at}, SortKey("createdAt"))) == (
        at,
        oid,
    )


def test_descending_cursor_pages_backwards_in_key_order() -> None:
    oid = ObjectId()
    cursor = encode_cursor({"_id": oid, "nameSort": "mei"}, SortKey("nameSort", descending=True))
    assert after_filter(cursor, SortKey("nameSort", descending=True)) == {
        "$or": [{"nameSort": {"$lt": "mei"}}, {"nameSort": "mei", "_id": {"$lt": oid}}]
    }


@pytest.mark.parametrize("cursor", ["garbage", "", "W1td"])
def test_forged_cursor_is_refused(cursor: str) -> None:
    with pytest.raises(BadArgument):
        decode_cursor(cursor)


@pytest.mark.parametrize("first", [-1, 101])
def test_page_size_is_bounded(first: int) -> None:
    with pytest.raises(BadArgument):
        check_page_size(first)


def test_duration_is_days_and_time() -> None:

    assert iso_duration(timedelta(days=518, hours=6, seconds=2.5)) == "P518DT6H2.5S"
    assert iso_duration(timedelta(minutes=90)) == "PT1H30M"
    assert iso_duration(timedelta(0)) == "P0D"
