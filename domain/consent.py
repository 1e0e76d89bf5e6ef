"""Marketing consent per channel (domain.md §1, §6): what a customer agreed to be contacted
by, and when and where each agreement was given or withdrawn (a regulator asks). Care
tasks on a channel the customer has not consented to are skipped, never sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from domain.lifecycle import Actor
from domain.records import Channel

CONSENT_SOURCE_MAX = 100


class ConsentChannel(Enum):
    SMS = "SMS"
    EMAIL = "EMAIL"
    PHONE = "PHONE"


#: The contact channels that need consent; others (a store visit, the app) do not reach
#: the customer unasked.
NEEDS_CONSENT = {
    Channel.SMS: ConsentChannel.SMS,
    Channel.EMAIL: ConsentChannel.EMAIL,
    Channel.PHONE: ConsentChannel.PHONE,
}


@dataclass(frozen=True)
class Consent:
    sms: bool = False
    email: bool = False
    phone: bool = False

    def given(self, channel: ConsentChannel) -> bool:
        return bool(getattr(self, channel.value.lower()))

    def allows(self, channel: Channel) -> bool:
        """Whether a task on this channel may reach the customer."""
        needed = NEEDS_CONSENT.get(channel)
        return needed is None or self.given(needed)


@dataclass(frozen=True)
class ConsentChange:
    channel: ConsentChannel
    given: bool
    at: datetime
    source: str  # where it was given: the form, the store, the call (default: the token's name)
    actor: Actor


def consent_changes(
    before: Consent, after: Consent, at: datetime, source: str, actor: Actor
) -> list[ConsentChange]:
    """One entry per channel whose consent changed (an unchanged channel records nothing)."""
    return [
        ConsentChange(channel, after.given(channel), at, source, actor)
        for channel in ConsentChannel
        if before.given(channel) != after.given(channel)
    ]
