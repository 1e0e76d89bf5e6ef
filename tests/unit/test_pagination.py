"""Cursors: opaque to clients, stable, and refused when forged."""

from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId

from domain.errors import BadArgument
from repositories.pagination import (
    DEFAULT_PAGE_SIZE,
    Paging,
    SortKey,
    after_filter,
    before_filter,
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


def test_before_a_descending_cursor_is_the_greater_side() -> None:
    oid = ObjectId()
    cursor = encode_cursor({"_id": oid, "nameSort": "mei"}, SortKey("nameSort", descending=True))
    assert before_filter(cursor, SortKey("nameSort", descending=True)) == {
        "$or": [{"nameSort": {"$gt": "mei"}}, {"nameSort": "mei", "_id": {"$gt": oid}}]
    }


@pytest.mark.parametrize("field", ["first", "last"])
@pytest.mark.parametrize("size", [-1, 101])
def test_page_size_is_bounded(field: str, size: int) -> None:
    with pytest.raises(BadArgument) as refused:
        Paging(**{field: size})
    assert (refused.value.code, refused.value.field) == ("BAD_USER_INPUT", field)


def test_first_and_last_together_are_refused_naming_last() -> None:
    with pytest.raises(BadArgument) as refused:
        Paging(first=2, last=2)
    assert (refused.value.code, refused.value.field) == ("VALIDATION", "last")


def test_a_backward_page_reads_in_reverse_and_answers_in_order() -> None:
    key = SortKey("n")
    paging = Paging(last=2, before="c")
    assert paging.backward and paging.size == 2
    assert paging.order(key) == SortKey("n", descending=True)
    # Read newest-first with one more row than asked: 4, 3, and 2 says there is more before.
    page = paging.page([{"_id": ObjectId(), "n": n} for n in (4, 3, 2)], key, lambda d: d["n"], _zero)
    assert [item for _, item in page.items] == [3, 4]
    assert (page.has_previous_page, page.has_next_page) == (True, True)


def test_before_alone_pages_backward_by_the_default_size() -> None:
    assert Paging(before="c").backward and Paging(before="c").size == DEFAULT_PAGE_SIZE
    assert not Paging(after="a", before="c").backward  # between two cursors: forward
    assert not Paging(first=3, before="c").backward


def test_an_empty_page_keeps_the_side_its_cursor_names() -> None:
    assert (Paging(after="a").empty().has_previous_page, Paging(after="a").empty().has_next_page) == (
        True,
        False,
    )
    assert (
        Paging(last=2, before="c").empty().has_previous_page,
        Paging(last=2, before="c").empty().has_next_page,
    ) == (
        False,
        True,
    )


async def _zero() -> int:
    return 0


def test_duration_is_days_and_time() -> None:

    assert iso_duration(timedelta(days=518, hours=6, seconds=2.5)) == "P518DT6H2.5S"
    assert iso_duration(timedelta(minutes=90)) == "PT1H30M"
    assert iso_duration(timedelta(0)) == "P0D"
