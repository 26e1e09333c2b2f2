"""Per-user limits on practice replies: a rate per minute and a quota per UTC day.

Each practice reply costs a judge and a patient model call, so these limits are what
keeps one flooding user (or a stuck script) from spending everyone's model budget.
The counts come from the stored turns, not from process memory, so every replica
enforces the same limits and a restart does not reset them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Protocol

WINDOW = timedelta(minutes=1)


class ReplyCounter(Protocol):
    async def count_trainee_turns(self, user_id: int, since: Sequence[datetime]) -> list[int]: ...


class LimitReached(Exception):
    """The user has to wait; the message says how long and that nothing was lost."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


@dataclass(frozen=True)
class UsageLimits:
    """`per_minute` and `per_day` count practice replies; 0 switches a limit off."""

    per_minute: int = 0
    per_day: int = 0

    def windows(self, now: datetime) -> list[datetime]:
        """The moments to count replies since: a minute ago, UTC midnight (if limited)."""
        windows = [now - WINDOW] if self.per_minute else []
        return [*windows, _midnight(now)] if self.per_day else windows

    async def check(self, store: ReplyCounter, user_id: int, now: datetime) -> None:
        """Raise `LimitReached` if one more reply now would exceed a limit (one count query)."""
        windows = self.windows(now)
        if windows:
            self.enforce(await store.count_trainee_turns(user_id, windows), now)

    def enforce(self, counts: Sequence[int], now: datetime) -> None:
        """`check` on counts already read, one per moment in `windows(now)`."""
        if self.per_minute and counts[0] >= self.per_minute:
            raise LimitReached(
                "rate_limited",
                f"You're replying very fast ({self.per_minute} replies within a minute). "
                "Take a breath and send this reply again in a minute; it wasn't stored, "
                "and the patient is still waiting for it.",
            )
        if self.per_day and counts[-1] >= self.per_day:
            tomorrow = _midnight(now) + timedelta(days=1)
            raise LimitReached(
                "daily_quota",
                f"You've reached today's limit of {self.per_day} practice replies. It resets "
                f"at midnight UTC, {_until(tomorrow - now)} from now. Your "
                "session is saved: carry on tomorrow, or send /end for feedback now.",
            )


def _midnight(now: datetime) -> datetime:
    """The start of `now`'s UTC day, when the daily quota resets."""
    return datetime.combine(now.astimezone(UTC).date(), time(), tzinfo=UTC)


def _until(left: timedelta) -> str:
    minutes = max(1, int(left.total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
