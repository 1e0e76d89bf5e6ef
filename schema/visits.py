"""GraphQL shape of visit logs (the report filed after a visit) and their follow-ups."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.permission import BasePermission

from domain import key_accounts as domain
from resolvers import visits as use_cases
from resolvers.outcome import Outcome
from schema.contacts import Contact
from schema.errors import UserError, payload, respond
from schema.node import InputIds, Node, global_id, node_type
from schema.pagination import Connection, opened
from schema.permissions import CanKeepDossiers, CanReadDossiers
from schema.users import User, related_users

if TYPE_CHECKING:
    from schema.key_accounts import KeyAccount


@strawberry.type
class VisitFindings:
    needs: list[str]
    satisfaction: int | None = strawberry.field(description="1 (poor) to 5 (excellent).")
    issues: list[str]


@node_type
@strawberry.type(description="An action agreed at a visit, with an owner and a due date.")
class FollowUp(Node):
    action: str
    due_at: datetime
    done_at: datetime | None
    done: bool
    _visit: strawberry.Private[domain.VisitLog]
    _owner_id: strawberry.Private[str]

    @strawberry.field
    def overdue(self, info: strawberry.Info) -> bool:
        return self.done_at is None and self.due_at < info.context.clock()

    @strawberry.field
    async def owner(self, info: strawberry.Info) -> User | None:
        found = await related_users(info, [self._owner_id])
        return found[0] if found else None

    @strawberry.field(description="The visit it was agreed at.")
    def visit(self) -> VisitLog:
        return VisitLog.from_domain(self._visit)

    @strawberry.field(description="The account the visit was to.")
    async def key_account(
        self, info: strawberry.Info
    ) -> Annotated[KeyAccount, strawberry.lazy("schema.key_accounts")] | None:
        from schema.key_accounts import KeyAccount  # that module builds on this one

        found = await info.context.key_account_by_id.load(self._visit.key_account_id)
        return KeyAccount.from_domain(found) if found else None

    @classmethod
    def from_domain(cls, visit: domain.VisitLog, f: domain.FollowUp) -> FollowUp:
        return cls(
            id=global_id("FollowUp", f.id),
            action=f.action,
            due_at=f.due_at,
            done_at=f.done_at,
            done=f.done_at is not None,
            _visit=visit,
            _owner_id=f.owner_id,
        )

    @classmethod
    async def resolve_nodes(cls, info: strawberry.Info, ids: list[str]) -> list[FollowUp | None]:
        found = await use_cases.follow_ups_by_ids(info.context, ids)
        return [cls.from_domain(*pair) if pair else None for pair in found]


@node_type
@strawberry.type(description="The report of a visit to a key account.")
class VisitLog(Node):
    visited_at: datetime
    purpose: str
    findings: VisitFindings
    follow_ups: list[FollowUp]
    next_visit_at: datetime | None
    created_at: datetime
    _domain: strawberry.Private[domain.VisitLog]

    @strawberry.field
    async def visitors(self, info: strawberry.Info) -> list[User]:
        return await related_users(info, self._domain.visitor_ids)

    @strawberry.field(description="Contacts met (removed contacts are left out).")
    async def contacts(self, info: strawberry.Info) -> list[Contact]:
        found = await info.context.contact_by_id.load_many(self._domain.contact_ids)
        # The contacts are the visit's account's, which the caller can see (they see the visit).
        return [Contact.from_domain(c) for c in found if c]

    @strawberry.field
    async def logged_by(self, info: strawberry.Info) -> User | None:
        found = await related_users(info, [self._domain.logged_by])
        return found[0] if found else None

    @classmethod
    def from_domain(cls, v: domain.VisitLog) -> VisitLog:
        return cls(
            id=global_id("VisitLog", v.id),
            visited_at=v.visited_at,
            purpose=v.purpose,
            findings=VisitFindings(
                needs=v.findings.needs, satisfaction=v.findings.satisfaction, issues=v.findings.issues
            ),
            follow_ups=[FollowUp.from_domain(v, f) for f in v.follow_ups],
            next_visit_at=v.next_visit_at,
            created_at=v.created_at,
            _domain=v,
        )

    @classmethod
    async def resolve_nodes(cls, info: strawberry.Info, ids: list[str]) -> list[VisitLog | None]:
        found = await use_cases.visits_by_ids(info.context, ids)
        return [cls.from_domain(v) if v else None for v in found]


# --- inputs, payloads, mutations ----------------------------------------------------------


@strawberry.type
class VisitQueries:
    @strawberry.field(
        permission_classes=[CanReadDossiers],
        description="Follow-ups not done yet in the dossiers you can see, due within dueWithinDays "
        "days (default and at most 366; 0: only the overdue ones), soonest due first.",
    )
    async def open_follow_ups(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        due_within_days: int | None = None,
    ) -> Connection[FollowUp]:
        page = await use_cases.list_open_follow_ups(info.context, due_within_days, first, opened(info, after))
        return Connection.of(page, lambda pair: FollowUp.from_domain(*pair), info.context.cursors)


@strawberry.input
class VisitFindingsInput:
    needs: list[str] | None = None
    satisfaction: int | None = None
    issues: list[str] | None = None


@strawberry.input
class FollowUpInput:
    action: str
    owner_id: strawberry.ID | None = strawberry.field(default=None, description="A User id.")
    due_at: datetime | None = None
    done: bool = strawberry.field(default=False, description="Already done at the visit.")


@strawberry.input
class LogVisitInput:
    key_account_id: strawberry.ID
    visited_at: datetime
    purpose: str
    visitor_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="User ids; default: you."
    )
    contact_ids: list[strawberry.ID] | None = None
    findings: VisitFindingsInput | None = None
    follow_ups: list[FollowUpInput] | None = None
    next_visit_at: datetime | None = None


@strawberry.input
class CompleteFollowUpInput:
    follow_up_id: strawberry.ID


@strawberry.type
class VisitPayload:
    visit: VisitLog | None
    errors: list[UserError]

    @classmethod
    def of(cls, outcome: Outcome[domain.VisitLog]) -> VisitPayload:
        return payload(cls, "visit", outcome, VisitLog.from_domain)


@strawberry.type
class FollowUpPayload:
    follow_up: FollowUp | None
    errors: list[UserError]

    @classmethod
    def of(cls, outcome: Outcome[tuple[domain.VisitLog, domain.FollowUp]]) -> FollowUpPayload:
        return payload(cls, "follow_up", outcome, lambda pair: FollowUp.from_domain(*pair))


KEEP: list[type[BasePermission]] = [CanKeepDossiers]


@strawberry.type
class VisitMutations:
    @strawberry.mutation(permission_classes=KEEP, description="File the report of a visit.")
    async def log_visit(self, info: strawberry.Info, input: LogVisitInput) -> VisitPayload:
        async def use_case() -> Outcome[domain.VisitLog]:
            ids = InputIds()
            findings = input.findings or VisitFindingsInput()
            report = use_cases.VisitReport(
                key_account_id=ids.one(input.key_account_id, "KeyAccount", "keyAccountId"),
                visited_at=input.visited_at,
                visitor_ids=ids.many(input.visitor_ids, "User", "visitorIds"),
                contact_ids=ids.many(input.contact_ids, "Contact", "contactIds"),
                purpose=input.purpose,
                findings=domain.VisitFindings(
                    needs=findings.needs or [],
                    satisfaction=findings.satisfaction,
                    issues=findings.issues or [],
                ),
                follow_ups=[
                    use_cases.FollowUpRequest(
                        f.action,
                        ids.optional(f.owner_id, "User", f"followUps[{i}].ownerId"),
                        f.due_at,
                        f.done,
                    )
                    for i, f in enumerate(input.follow_ups or [])
                ],
                next_visit_at=input.next_visit_at,
            )
            ids.check()
            return await use_cases.log_visit(info.context, report)

        return await respond(VisitPayload.of, use_case)

    @strawberry.mutation(permission_classes=KEEP, description="Mark a follow-up done (again: no change).")
    async def complete_follow_up(
        self, info: strawberry.Info, input: CompleteFollowUpInput
    ) -> FollowUpPayload:
        async def use_case() -> Outcome[tuple[domain.VisitLog, domain.FollowUp]]:
            ids = InputIds()
            follow_up_id = ids.one(input.follow_up_id, "FollowUp", "followUpId")
            ids.check()
            return await use_cases.complete_follow_up(info.context, follow_up_id)

        return await respond(FollowUpPayload.of, use_case)
