"""The cohort report: per trainee sessions done, ratings, skill profile and overdue work.

Pure functions over stored facts (no transcript text), so the trainer sees numbers a
trainee could recompute from their own history, and nothing of what they wrote.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from bot.cohorts.records import AssignmentKind, AssignmentRecord, CohortRecord, SessionFacts


class AssignmentStatus(BaseModel):
    """One assignment as one trainee stands with it."""

    model_config = ConfigDict(frozen=True)

    assignment: AssignmentRecord
    title: str
    cohort_name: str
    done: bool
    overdue: bool


class TraineeReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    user_id: int
    name: str
    pseudonym: str
    sessions_done: int
    sessions_started: int
    ratings: tuple[int, ...] = Field(description="resolution ratings of finished sessions")
    mean_rating: float | None
    moves: dict[str, int] = Field(description="skill profile: repair move id -> times used")
    pitfalls: dict[str, int]
    last_active: datetime | None
    assignments_done: int
    assignments_total: int
    overdue: tuple[str, ...] = Field(description="titles of overdue assignments")


class CohortReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    cohort: CohortRecord
    generated_at: datetime
    trainees: tuple[TraineeReport, ...]
    assignments: tuple[AssignmentRecord, ...]

    @property
    def overdue_count(self) -> int:
        return sum(len(t.overdue) for t in self.trainees)


def assignment_done(
    assignment: AssignmentRecord,
    sessions: Sequence[SessionFacts],
    done_modules: set[str],
) -> bool:
    """A persona is done with a finished session after it was assigned; a module when done."""
    if assignment.kind is AssignmentKind.MODULE:
        return assignment.item_id in done_modules
    return any(
        s.finished and s.persona_id == assignment.item_id and s.started_at >= assignment.created_at
        for s in sessions
    )


def trainee_report(
    *,
    user_id: int,
    name: str,
    pseudonym: str,
    sessions: Sequence[SessionFacts],
    statuses: Sequence[AssignmentStatus],
) -> TraineeReport:
    finished = [s for s in sessions if s.finished]
    ratings = tuple(s.resolution_rating for s in finished if s.resolution_rating is not None)
    moves: Counter[str] = Counter(m for s in sessions for m in s.moves)
    pitfalls: Counter[str] = Counter(p for s in sessions for p in s.pitfalls)
    moments = [s.ended_at or s.started_at for s in sessions]
    return TraineeReport(
        user_id=user_id,
        name=name,
        pseudonym=pseudonym,
        sessions_done=len(finished),
        sessions_started=len(sessions),
        ratings=ratings,
        mean_rating=round(sum(ratings) / len(ratings), 1) if ratings else None,
        moves=dict(moves.most_common()),
        pitfalls=dict(pitfalls.most_common()),
        last_active=max(moments) if moments else None,
        assignments_done=sum(1 for s in statuses if s.done),
        assignments_total=len(statuses),
        overdue=tuple(s.title for s in statuses if s.overdue),
    )


def order_statuses(statuses: Sequence[AssignmentStatus]) -> list[AssignmentStatus]:
    """Open work first (overdue, then by due date, undated last), finished work at the end."""

    def key(s: AssignmentStatus) -> tuple[int, int, float, int]:
        due = s.assignment.due_at
        return (
            int(s.done),
            0 if s.overdue else 1,
            due.timestamp() if due else float("inf"),
            s.assignment.id,
        )

    return sorted(statuses, key=key)
