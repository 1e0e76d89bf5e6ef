"""How an audit entry's result follows from its codes, and that an entry stays bounded."""

from datetime import UTC, datetime

import pytest

from domain.audit import CODES_MAX, IDS_MAX, AuditFilter, AuditResult, check_filter, new_entry, result_of
from domain.errors import BadArgument
from domain.users import Role, User


@pytest.mark.parametrize(
    ("codes", "result"),
    [
        ([], AuditResult.OK),
        (["FORBIDDEN"], AuditResult.REFUSED),
        (["VALIDATION", "VALIDATION"], AuditResult.REJECTED),
        (["NOT_FOUND"], AuditResult.REJECTED),
        (["BAD_USER_INPUT"], AuditResult.REJECTED),
        (["INTERNAL_SERVER_ERROR"], AuditResult.FAILED),
        (["SERVICE_UNAVAILABLE"], AuditResult.FAILED),
    ],
)
def test_result_follows_from_the_codes(codes, result) -> None:
    assert result_of(codes) is result


def test_an_entry_keeps_each_id_and_code_once_and_is_bounded() -> None:
    entry = new_entry(
        id="0" * 24,
        at=datetime(2026, 1, 1, tzinfo=UTC),
        actor=User(id="1" * 24, name="Ana", role=Role.ADMIN),
        token_id=None,
        token_name=None,
        operation="createCustomer",
        ids=["a", "b", "a", *(f"x{i}" for i in range(500))],
        error_codes=["VALIDATION", "VALIDATION", *(f"C{i}" for i in range(50))],
        request_id="r",
    )
    assert entry.ids[:3] == ("a", "b", "x0") and len(entry.ids) == IDS_MAX
    assert entry.error_codes[:2] == ("VALIDATION", "C0") and len(entry.error_codes) == CODES_MAX
    assert entry.result is AuditResult.REJECTED


def test_a_filter_names_its_wrong_part() -> None:
    later = datetime(2026, 2, 1, tzinfo=UTC)
    earlier = datetime(2026, 1, 1, tzinfo=UTC)
    check_filter(AuditFilter(operation="createCustomer", since=earlier, until=earlier))
    for where, field in [
        (AuditFilter(operation="create customer"), "filter.operation"),
        (AuditFilter(operation=""), "filter.operation"),
        (AuditFilter(since=later, until=earlier), "filter.from"),
    ]:
        with pytest.raises(BadArgument) as refused:
            check_filter(where)
        assert refused.value.field == field
