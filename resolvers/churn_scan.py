"""The churn-scan job: score every customer's churn risk, lapse those with no purchase for
the lapse period (180 days), and flag at risk those above the threshold — each move one
transaction with its lifecycle rollup, conditional on the stage it starts from, so a
second run (or two at once) changes nothing the first already did."""

from __future__ import annotations

from datetime import datetime, timedelta

from pymongo.asynchronous.client_session import AsyncClientSession

from domain.churn import ChurnRisk, ComplaintHistory, churn_risk
from domain.jobs import JobResult
from domain.lifecycle import TRANSITIONS, LifecycleAction, LifecycleEvent, LifecycleStage, transition
from domain.value import ValueRules
from repositories.complaints import ComplaintRepository
from repositories.customers import CustomerRepository
from repositories.rollups import LIFECYCLE, PeriodRollups, transition_increments
from repositories.transactions import in_transaction
from resolvers import effects
from resolvers.jobs import JobContext
from resolvers.journeys import SYSTEM

#: The stages the state machine lets each of the scan's moves start from.
LAPSABLE = frozenset(TRANSITIONS[LifecycleAction.LAPSE])
FLAGGABLE = frozenset(TRANSITIONS[LifecycleAction.FLAG_AT_RISK])
SCORE_BATCH = 1000


def decide(
    stage: LifecycleStage,
    last_purchase: datetime | None,
    churn: ChurnRisk | None,
    now: datetime,
    rules: ValueRules,
) -> tuple[LifecycleAction, str] | None:
    """The move the scan makes for one customer, with its reason, or None."""
    if (
        stage in LAPSABLE
        and last_purchase is not None
        and last_purchase < now - timedelta(days=rules.lapse_days)
    ):
        days = (now - last_purchase).days
        return (
            LifecycleAction.LAPSE,
            f"no purchase for {days} days (since {last_purchase.date().isoformat()})",
        )
    if stage in FLAGGABLE and churn is not None and churn.score > rules.churn.threshold:
        return LifecycleAction.FLAG_AT_RISK, churn.explained()
    return None


async def churn_scan(job: JobContext) -> JobResult:
    rules, now = job.settings.value_rules, job.clock()
    customers = CustomerRepository(job.db)
    lifecycle = PeriodRollups(job.db[LIFECYCLE])
    since = now - timedelta(days=rules.churn.complaint_window_days)
    histories = await ComplaintRepository(job.db).churn_histories(None, since)
    examined = lapsed = flagged = 0
    scores: list[tuple[str, ChurnRisk | None]] = []
    moves: list[tuple[str, LifecycleEvent]] = []
    async for customer_id, stage, figures in customers.figures_of_everyone():
        examined += 1
        churn = churn_risk(figures, histories.get(customer_id, ComplaintHistory()), now, rules.churn)
        scores.append((customer_id, churn))
        if len(scores) >= SCORE_BATCH:
            await customers.set_churn_risks(scores)
            scores = []
        if (move := decide(stage, figures.last_purchase_at, churn, now, rules)) is not None:
            action, reason = move
            moves.append(
                (customer_id, LifecycleEvent(action, stage, transition(stage, action), now, SYSTEM, reason))
            )
    await customers.set_churn_risks(scores)
    for customer_id, event in moves:

        async def record(
            session: AsyncClientSession, customer_id: str = customer_id, event: LifecycleEvent = event
        ) -> bool:
            moved = await customers.record_transition_in(customer_id, None, event, session)
            if moved is None:
                return False  # moved meanwhile (or by a run before this one): nothing to do
            await lifecycle.add([(event.at.date(), transition_increments(event))], session)
            await effects.after_stage_move(job.db, rules, moved, event, session)
            return True

        if await in_transaction(job.db, record):
            if event.action is LifecycleAction.LAPSE:
                lapsed += 1
            else:
                flagged += 1
    return JobResult(
        examined=examined,
        changed=lapsed + flagged,
        summary=f"{lapsed} lapsed, {flagged} flagged at risk, {examined} scored",
    )
