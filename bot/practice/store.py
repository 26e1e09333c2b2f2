"""The storage protocol the practice layer needs; `bot.storage` implements it with SQLAlchemy."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from bot.domain.evaluation import TokenUsage, TurnEvaluation
from bot.domain.state import PatientState
from bot.practice.records import (
    EndReason,
    SessionRecord,
    SessionSummary,
    TurnRecord,
    UserRecord,
)


class PracticeStore(Protocol):
    async def get_or_create_user(self, channel: str, external_id: str) -> UserRecord: ...

    async def get_user(self, user_id: int) -> UserRecord | None: ...

    async def find_user(self, channel: str, external_id: str) -> UserRecord | None:
        """Look a user up without creating one (nothing is stored before consent)."""
        ...

    async def set_consent(self, user_id: int, consented: bool) -> None: ...

    async def set_active(self, user_id: int, active: bool) -> None:
        """Mark a user unreachable (they blocked the bot) or reachable again; data is kept."""
        ...

    async def count_trainee_turns(self, user_id: int, since: Sequence[datetime]) -> list[int]:
        """Trainee replies stored since each moment in `since` (for rate limits and quotas)."""
        ...

    async def purge_finished_sessions(self, before: datetime) -> int:
        """Delete finished sessions (and their turns) that ended before `before`; the count."""
        ...

    async def create_session(
        self,
        user_id: int,
        persona_id: str,
        seed: int,
        engine: str,
        *,
        replay_of: int | None = None,
        replay_from_turn: int | None = None,
    ) -> int:
        """Create an active session and return its id (turns are appended separately)."""
        ...

    async def append_turn(self, session_id: int, turn: TurnRecord) -> None:
        """Store a turn atomically. Appending an index that exists raises `TurnExists`."""
        ...

    async def update_turn(
        self,
        session_id: int,
        index: int,
        *,
        evaluation: TurnEvaluation,
        state: PatientState,
        usage: TokenUsage | None = None,
    ) -> None:
        """Attach the evaluation and resulting state to a stored trainee turn."""
        ...

    async def append_exchange(self, session_id: int, reply: TurnRecord, answer: TurnRecord) -> None:
        """A reply (with its evaluation) and the patient's answer in one transaction.

        `TurnExists` if the reply's index is taken, and then neither is stored.
        """
        ...

    async def record_answer(
        self,
        session_id: int,
        index: int,
        *,
        evaluation: TurnEvaluation,
        state: PatientState,
        usage: TokenUsage | None,
        answer: TurnRecord,
    ) -> None:
        """`update_turn` and `append_turn(answer)` in one transaction (`TurnExists` as there)."""
        ...

    async def get_session(self, session_id: int) -> SessionRecord | None: ...

    async def active_session(self, user_id: int) -> SessionRecord | None:
        """The user's newest unfinished session, if any."""
        ...

    async def active_session_and_reply_counts(
        self, user_id: int, since: Sequence[datetime]
    ) -> tuple[SessionRecord | None, list[int]]:
        """`active_session` and `count_trainee_turns` read in one transaction (a reply's reads)."""
        ...

    async def finish_session(
        self,
        session_id: int,
        *,
        end_reason: EndReason,
        resolution_rating: int,
        feedback: dict[str, Any],
    ) -> None: ...

    async def list_sessions(self, user_id: int, limit: int = 20) -> list[SessionSummary]: ...

    async def export_user(self, user_id: int) -> dict[str, Any]:
        """Everything stored about a user, as JSON-ready data."""
        ...

    async def erase_user(self, user_id: int) -> None:
        """Delete the user and every session and turn of theirs."""
        ...


class TurnExists(Exception):
    """A turn with this index is already stored (a duplicate update or a race)."""
