"""What every trainee turn reads, kept in memory for as long as the database says it holds.

A turn used to open two read transactions before any work: who is writing (the consent
gate) and their active session with the usage-limit counts, about a fifth of a turn's
cost. Both answers only change when something writes. `HotCache` keeps them, tagged with
the `Transactions.version()` they were read under: any write the practice stores did not
apply here themselves (another engine's, thread's or process's: a CLI erasure, a second
replica, any ORM write) changes the version and empties the cache at the next look. One
cache serves every store of a database file in the process. Only a SQLite file
has such a version; on PostgreSQL every turn reads the database as before.

It holds what the process holds anyway while it answers, bounded to the most recently
used `CAPACITY` trainees.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from cachetools import LRUCache

from bot.domain.evaluation import TokenUsage, TurnEvaluation
from bot.domain.ids import Speaker
from bot.domain.state import PatientState
from bot.practice.records import SessionRecord, TurnRecord, UserRecord
from bot.storage.tables import as_utc

#: (connections opened, SQLite's data_version, writes on that connection): see
#: `bot.storage.transactions.SqliteWorker.version`
Version = tuple[int, int, int]

#: trainees whose user row, active session and recent reply times are kept
CAPACITY: Final = 4096


@dataclass
class ReplyTimes:
    """When a trainee's counted replies were stored, for every moment from `since` on."""

    since: datetime
    times: list[datetime] = field(default_factory=list)

    def counts(self, windows: Sequence[datetime]) -> list[int] | None:
        """Replies since each moment; None if a moment lies before what is known."""
        if any(moment < self.since for moment in windows):
            return None
        return [len(self.times) - bisect.bisect_left(self.times, moment) for moment in windows]


@dataclass
class Trainee:
    """One trainee's active session (None: they have none) and, once read, reply times."""

    session: SessionRecord | None
    replies: ReplyTimes | None = None


class HotCache:
    """Users by key and `Trainee` entries by user id, all read under one version."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.version: Version | None = None
        self._capacity = capacity
        self.users: LRUCache[tuple[str, str], UserRecord | None] = LRUCache(capacity)
        self.trainees: LRUCache[int, Trainee] = LRUCache(capacity)
        self._owners: dict[int, int] = {}

    def validate(self, version: Version | None) -> bool:
        """Forget everything unless `version` is the one the entries were read under."""
        if version is None and self.version is None:
            return False  # nothing is kept without a version (PostgreSQL: every time)
        if version is None or version != self.version:
            self.forget(version)
        return version is not None

    def forget(self, version: Version | None = None) -> None:
        self.version = version
        self.users.clear()
        self.trainees.clear()
        self._owners.clear()

    def keep(self, user_id: int, trainee: Trainee) -> None:
        self.trainees[user_id] = trainee
        if trainee.session is not None:
            self._own(trainee.session.id, user_id)

    def _own(self, session_id: int, user_id: int) -> None:
        """Remember whose session it is; bounded like the entries (the held ones stay)."""
        if len(self._owners) >= 4 * self._capacity:
            self._owners = {
                t.session.id: owner for owner, t in self.trainees.items() if t.session is not None
            }
        self._owners[session_id] = user_id

    def user_changed(self, user_id: int) -> None:
        for key, user in list(self.users.items()):
            if user is not None and user.id == user_id:
                del self.users[key]

    def session_started(self, user_id: int, session_id: int) -> None:
        """The user has a new active session (and the one they had, if any, was finished)."""
        self.trainees.pop(user_id, None)
        self._own(session_id, user_id)

    def session_finished(self, session_id: int) -> None:
        owner = self._owners.get(session_id)
        if owner is not None and self._holding(owner, session_id) is not None:
            del self.trainees[owner]

    def appended(self, session_id: int, turns: Sequence[TurnRecord]) -> None:
        """`turns` were stored at the end of session `session_id` (by this process)."""
        owner = self._owners.get(session_id)
        replies = any(turn.speaker is Speaker.TRAINEE for turn in turns)
        if owner is None:
            if replies:  # someone's reply counts moved, and whose is unknown here (rare)
                self.trainees.clear()
                self._owners.clear()
            return
        trainee = self._holding(owner, session_id)
        if (
            trainee is None
            or trainee.session is None
            or turns[0].index != len(trainee.session.turns)
        ):
            if replies or trainee is not None:  # the owner's entry no longer tells the truth
                self.trainees.pop(owner, None)
            return
        session = trainee.session
        stored = tuple(_as_read_back(turn) for turn in turns)
        trainee.session = session.model_copy(update={"turns": (*session.turns, *stored)})
        if trainee.replies is not None:
            first_counted = _first_counted_index(session)
            for turn in turns:
                if turn.speaker is Speaker.TRAINEE and turn.index >= first_counted:
                    bisect.insort(trainee.replies.times, as_utc(turn.created_at))

    def evaluated(
        self,
        session_id: int,
        index: int,
        *,
        evaluation: TurnEvaluation,
        state: PatientState,
        usage: TokenUsage | None,
    ) -> None:
        """Turn `index` of session `session_id` was given `evaluation` and `state` (and `usage`)."""
        owner = self._owners.get(session_id)
        trainee = None if owner is None else self._holding(owner, session_id)
        if owner is None or trainee is None or trainee.session is None:
            return  # no entry holds that session
        turns = list(trainee.session.turns)
        if index >= len(turns):
            del self.trainees[owner]
            return
        update: dict[str, object] = {"evaluation": evaluation, "state": state}
        if usage is not None:
            update["usage"] = usage
        turns[index] = turns[index].model_copy(update=update)
        trainee.session = trainee.session.model_copy(update={"turns": tuple(turns)})

    def _holding(self, owner: int, session_id: int) -> Trainee | None:
        """The owner's entry if it holds session `session_id` as their active one."""
        trainee = self.trainees.get(owner)
        if trainee is None or trainee.session is None or trainee.session.id != session_id:
            return None
        return trainee


def _first_counted_index(session: SessionRecord) -> int:
    """Replies a "what if" replay copied from its original do not count against the limits."""
    if session.replay_from_turn is None:
        return 0
    return 2 * (session.replay_from_turn - 1) + 1


def _as_read_back(turn: TurnRecord) -> TurnRecord:
    """`turn` as a read from the database returns it: its time in UTC (`as_utc`)."""
    moment = as_utc(turn.created_at)
    if moment.tzinfo is turn.created_at.tzinfo:
        return turn
    return turn.model_copy(update={"created_at": moment})
