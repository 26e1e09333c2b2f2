"""`SqlCohortStore`: `CohortStore` over SQLAlchemy, one short transaction per call.

Everything here hangs off a user, a cohort or a session with ON DELETE CASCADE, so
`SqlPracticeStore.erase_user` removes it with the user; `export_cohorts` is what
`SqlPracticeStore.export_user` includes of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import selectinload

from bot.cohorts.records import (
    AssignmentKind,
    AssignmentRecord,
    AuthoredPersonaRecord,
    CohortRecord,
    GroupLinkRecord,
    InviteKind,
    InviteRecord,
    MemberRecord,
    ReviewPollRecord,
    ReviewRecord,
    ReviewStatus,
    SessionFacts,
    ShareRecord,
    ShareVia,
    ViewRecord,
)
from bot.cohorts.store import PersonaTaken
from bot.storage.db import read_sessions, write_sessions
from bot.storage.tables import (
    AssignmentRow,
    AuthoredPersonaRow,
    CohortInviteRow,
    CohortMemberRow,
    CohortRow,
    GroupLinkRow,
    GroupReviewRow,
    PersonaPrincipleRow,
    PracticeSession,
    ReviewPollRow,
    SessionShareRow,
    ShareViewRow,
    Turn,
    User,
    utcnow,
)


class SqlCohortStore:
    """Cohorts, authored personas, shares and group reviews; the engine belongs to the caller."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._write = write_sessions(engine)
        self._read = read_sessions(engine)

    # --- roles ------------------------------------------------------------------------

    async def get_role(self, user_id: int) -> str | None:
        async with self._read() as db:
            return await db.scalar(select(User.role).where(User.id == user_id))

    async def set_role(self, user_id: int, role: str) -> None:
        change = update(User).where(User.id == user_id).values(role=role).returning(User.id)
        async with self._write() as db, db.begin():
            if (await db.scalar(change)) is None:
                raise LookupError(f"no user {user_id}")

    async def user_ids_with_role(self, role: str) -> list[int]:
        async with self._read() as db:
            return list(await db.scalars(select(User.id).where(User.role == role).order_by("id")))

    # --- cohorts, invites, members ----------------------------------------------------

    async def create_cohort(self, trainer_id: int, name: str) -> CohortRecord:
        row = CohortRow(name=name, trainer_id=trainer_id, created_at=utcnow())
        await self._add(row, f"no user {trainer_id}")
        return _cohort(row)

    async def get_cohort(self, cohort_id: int) -> CohortRecord | None:
        async with self._read() as db:
            row = await db.get(CohortRow, cohort_id)
            return None if row is None else _cohort(row)

    async def trainer_cohorts(self, trainer_id: int) -> list[CohortRecord]:
        query = select(CohortRow).where(CohortRow.trainer_id == trainer_id).order_by(CohortRow.id)
        async with self._read() as db:
            return [_cohort(row) for row in await db.scalars(query)]

    async def add_invite(
        self, cohort_id: int, token: str, kind: InviteKind, created_by: int
    ) -> InviteRecord:
        row = CohortInviteRow(
            cohort_id=cohort_id,
            token=token,
            kind=kind.value,
            created_by=created_by,
            created_at=utcnow(),
        )
        await self._add(row, f"no cohort {cohort_id}")
        return _invite(row)

    async def find_invite(self, token: str) -> InviteRecord | None:
        async with self._read() as db:
            row = await db.scalar(select(CohortInviteRow).where(CohortInviteRow.token == token))
            return None if row is None else _invite(row)

    async def invites(self, cohort_id: int) -> list[InviteRecord]:
        query = (
            select(CohortInviteRow)
            .where(CohortInviteRow.cohort_id == cohort_id)
            .order_by(CohortInviteRow.id.desc())
        )
        async with self._read() as db:
            return [_invite(row) for row in await db.scalars(query)]

    async def revoke_invites(self, cohort_id: int, kind: InviteKind) -> None:
        change = (
            update(CohortInviteRow)
            .where(
                CohortInviteRow.cohort_id == cohort_id,
                CohortInviteRow.kind == kind.value,
                CohortInviteRow.revoked_at.is_(None),
            )
            .values(revoked_at=utcnow())
        )
        async with self._write() as db, db.begin():
            await db.execute(change)

    async def add_member(
        self, cohort_id: int, user_id: int, display_name: str, pseudonym: str
    ) -> MemberRecord:
        async with self._write() as db, db.begin():
            existing = await db.scalar(_member(cohort_id, user_id))
            if existing is not None:
                return _member_record(existing)
            row = CohortMemberRow(
                cohort_id=cohort_id,
                user_id=user_id,
                display_name=display_name,
                pseudonym=pseudonym,
                joined_at=utcnow(),
            )
            db.add(row)
            try:
                await db.flush()
            except IntegrityError as exc:
                raise LookupError(f"no cohort {cohort_id} or user {user_id}") from exc
            return _member_record(row)

    async def remove_member(self, cohort_id: int, user_id: int) -> bool:
        gone = (
            delete(CohortMemberRow)
            .where(CohortMemberRow.cohort_id == cohort_id, CohortMemberRow.user_id == user_id)
            .returning(CohortMemberRow.id)
        )
        async with self._write() as db, db.begin():
            return (await db.scalar(gone)) is not None

    async def members(self, cohort_id: int) -> list[MemberRecord]:
        query = (
            select(CohortMemberRow)
            .where(CohortMemberRow.cohort_id == cohort_id)
            .order_by(CohortMemberRow.id)
        )
        async with self._read() as db:
            return [_member_record(row) for row in await db.scalars(query)]

    async def memberships(self, user_id: int) -> list[MemberRecord]:
        query = (
            select(CohortMemberRow)
            .where(CohortMemberRow.user_id == user_id)
            .order_by(CohortMemberRow.id)
        )
        async with self._read() as db:
            return [_member_record(row) for row in await db.scalars(query)]

    # --- assignments and what members did ----------------------------------------------

    async def add_assignment(
        self,
        cohort_id: int,
        kind: AssignmentKind,
        item_id: str,
        due_at: datetime | None,
        created_by: int,
    ) -> AssignmentRecord:
        row = AssignmentRow(
            cohort_id=cohort_id,
            kind=kind.value,
            item_id=item_id,
            due_at=due_at,
            created_by=created_by,
            created_at=utcnow(),
        )
        await self._add(row, f"no cohort {cohort_id}")
        return _assignment(row)

    async def assignments(self, cohort_ids: Sequence[int]) -> list[AssignmentRecord]:
        if not cohort_ids:
            return []
        query = (
            select(AssignmentRow)
            .where(AssignmentRow.cohort_id.in_(list(cohort_ids)))
            .order_by(AssignmentRow.id)
        )
        async with self._read() as db:
            return [_assignment(row) for row in await db.scalars(query)]

    async def delete_assignment(self, assignment_id: int) -> AssignmentRecord | None:
        async with self._write() as db, db.begin():
            row = await db.get(AssignmentRow, assignment_id)
            if row is None:
                return None
            record = _assignment(row)
            await db.delete(row)
            return record

    async def session_facts(self, user_ids: Sequence[int]) -> list[SessionFacts]:
        if not user_ids:
            return []
        query = (
            select(PracticeSession)
            .where(PracticeSession.user_id.in_(list(user_ids)))
            .order_by(PracticeSession.started_at, PracticeSession.id)
        )
        replies = (
            select(Turn.session_id, Turn.evaluation)
            .join(PracticeSession, PracticeSession.id == Turn.session_id)
            .where(PracticeSession.user_id.in_(list(user_ids)), Turn.speaker == "trainee")
            .order_by(Turn.session_id, Turn.index)
        )
        async with self._read() as db:
            sessions = list(await db.scalars(query))
            evaluations: dict[int, list[dict[str, Any]]] = {}
            for session_id, evaluation in await db.execute(replies):
                evaluations.setdefault(session_id, []).append(evaluation or {})
        return [_facts(s, evaluations.get(s.id, [])) for s in sessions]

    # --- trainer-authored personas -----------------------------------------------------

    async def save_persona(
        self,
        owner_id: int,
        persona_id: str,
        filename: str,
        yaml_text: str,
        template_source: str | None,
    ) -> AuthoredPersonaRecord:
        now = utcnow()
        async with self._write() as db, db.begin():
            row = await db.scalar(_authored(persona_id))
            if row is not None and row.owner_id != owner_id:
                raise PersonaTaken(persona_id)
            if row is None:
                row = AuthoredPersonaRow(
                    persona_id=persona_id, owner_id=owner_id, created_at=now, principles=[]
                )
                db.add(row)
            row.filename = filename
            row.yaml_text = yaml_text
            row.template_source = template_source
            row.updated_at = now
            try:
                await db.flush()
            except IntegrityError as exc:  # two first uploads of one id at once
                raise PersonaTaken(persona_id) from exc
            return _authored_record(row)

    async def authored_persona(self, persona_id: str) -> AuthoredPersonaRecord | None:
        async with self._read() as db:
            row = await db.scalar(_authored(persona_id))
            return None if row is None else _authored_record(row)

    async def authored_personas(self, owner_id: int | None = None) -> list[AuthoredPersonaRecord]:
        query = select(AuthoredPersonaRow).options(selectinload(AuthoredPersonaRow.principles))
        if owner_id is not None:
            query = query.where(AuthoredPersonaRow.owner_id == owner_id)
        async with self._read() as db:
            rows = await db.scalars(query.order_by(AuthoredPersonaRow.id))
            return [_authored_record(row) for row in rows]

    async def publish_persona(self, persona_id: str, cohort_id: int | None) -> None:
        change = (
            update(AuthoredPersonaRow)
            .where(AuthoredPersonaRow.persona_id == persona_id)
            .values(published=True, cohort_id=cohort_id, updated_at=utcnow())
            .returning(AuthoredPersonaRow.id)
        )
        async with self._write() as db, db.begin():
            if (await db.scalar(change)) is None:
                raise LookupError(f"no persona {persona_id}")

    async def add_principle(self, persona_id: str, text: str, created_by: int) -> None:
        async with self._write() as db, db.begin():
            row_id = await db.scalar(
                select(AuthoredPersonaRow.id).where(AuthoredPersonaRow.persona_id == persona_id)
            )
            if row_id is None:
                raise LookupError(f"no persona {persona_id}")
            db.add(
                PersonaPrincipleRow(
                    persona_row_id=row_id, text=text, created_by=created_by, created_at=utcnow()
                )
            )

    # --- shares and who viewed them -----------------------------------------------------

    async def save_share(
        self, session_id: int, cohort_id: int, owner_id: int, pseudonym: str, show_name: bool
    ) -> ShareRecord:
        async with self._write() as db, db.begin():
            row = await db.scalar(
                select(SessionShareRow).where(
                    SessionShareRow.session_id == session_id,
                    SessionShareRow.cohort_id == cohort_id,
                )
            )
            if row is None:
                row = SessionShareRow(
                    session_id=session_id,
                    cohort_id=cohort_id,
                    owner_id=owner_id,
                    created_at=utcnow(),
                )
                db.add(row)
            elif row.revoked_at is not None:
                row.created_at = utcnow()
            row.pseudonym = pseudonym
            row.show_name = show_name
            row.revoked_at = None
            try:
                await db.flush()
            except IntegrityError as exc:
                raise LookupError(f"no session {session_id} or cohort {cohort_id}") from exc
            return _share(row)

    async def revoke_share(self, share_id: int) -> ShareRecord | None:
        async with self._write() as db, db.begin():
            row = await db.get(SessionShareRow, share_id)
            if row is None:
                return None
            if row.revoked_at is None:
                row.revoked_at = utcnow()
            await db.execute(
                update(GroupReviewRow)
                .where(
                    GroupReviewRow.share_id == share_id,
                    GroupReviewRow.status.in_(
                        [ReviewStatus.SETUP.value, ReviewStatus.RUNNING.value]
                    ),
                )
                .values(status=ReviewStatus.STOPPED.value)
            )
            return _share(row)

    async def get_share(self, share_id: int) -> ShareRecord | None:
        async with self._read() as db:
            row = await db.get(SessionShareRow, share_id)
            return None if row is None else _share(row)

    async def owner_shares(self, owner_id: int) -> list[ShareRecord]:
        query = (
            select(SessionShareRow)
            .where(SessionShareRow.owner_id == owner_id)
            .order_by(SessionShareRow.id.desc())
        )
        async with self._read() as db:
            return [_share(row) for row in await db.scalars(query)]

    async def cohort_shares(self, cohort_id: int) -> list[ShareRecord]:
        query = (
            select(SessionShareRow)
            .where(SessionShareRow.cohort_id == cohort_id, SessionShareRow.revoked_at.is_(None))
            .order_by(SessionShareRow.created_at.desc(), SessionShareRow.id.desc())
        )
        async with self._read() as db:
            return [_share(row) for row in await db.scalars(query)]

    async def add_view(
        self, share_id: int, viewer_id: int | None, via: ShareVia, chat_id: int | None
    ) -> None:
        row = ShareViewRow(
            share_id=share_id,
            viewer_id=viewer_id,
            via=via.value,
            chat_id=chat_id,
            viewed_at=utcnow(),
        )
        await self._add(row, f"no share {share_id}")

    async def views(self, share_id: int) -> list[ViewRecord]:
        query = select(ShareViewRow).where(ShareViewRow.share_id == share_id).order_by("id")
        async with self._read() as db:
            return [_view(row) for row in await db.scalars(query)]

    # --- groups and reviews -------------------------------------------------------------

    async def link_group(
        self, chat_id: int, cohort_id: int, title: str, linked_by: int
    ) -> GroupLinkRecord:
        async with self._write() as db, db.begin():
            row = await db.scalar(select(GroupLinkRow).where(GroupLinkRow.chat_id == chat_id))
            if row is None:
                row = GroupLinkRow(chat_id=chat_id)
                db.add(row)
            row.cohort_id = cohort_id
            row.title = title
            row.linked_by = linked_by
            row.linked_at = utcnow()
            try:
                await db.flush()
            except IntegrityError as exc:
                raise LookupError(f"no cohort {cohort_id}") from exc
            return _group(row)

    async def unlink_group(self, chat_id: int) -> bool:
        gone = (
            delete(GroupLinkRow).where(GroupLinkRow.chat_id == chat_id).returning(GroupLinkRow.id)
        )
        async with self._write() as db, db.begin():
            return (await db.scalar(gone)) is not None

    async def group_link(self, chat_id: int) -> GroupLinkRecord | None:
        async with self._read() as db:
            row = await db.scalar(select(GroupLinkRow).where(GroupLinkRow.chat_id == chat_id))
            return None if row is None else _group(row)

    async def create_review(
        self, chat_id: int, share_id: int, started_by: int, poll_turns: Sequence[int]
    ) -> ReviewRecord:
        row = GroupReviewRow(
            chat_id=chat_id,
            share_id=share_id,
            started_by=started_by,
            status=ReviewStatus.SETUP.value,
            poll_turns=sorted(set(poll_turns)),
            position=0,
            message_ids=[],
            created_at=utcnow(),
            polls=[],
        )
        await self._add(row, f"no share {share_id}")
        return _review(row)

    async def get_review(self, review_id: int) -> ReviewRecord | None:
        query = (
            select(GroupReviewRow)
            .options(selectinload(GroupReviewRow.polls))
            .where(GroupReviewRow.id == review_id)
        )
        async with self._read() as db:
            row = await db.scalar(query)
            return None if row is None else _review(row)

    async def update_review(
        self,
        review_id: int,
        *,
        status: ReviewStatus | None = None,
        poll_turns: Sequence[int] | None = None,
        position: int | None = None,
        add_message_ids: Sequence[int] = (),
    ) -> None:
        async with self._write() as db, db.begin():
            row = await db.get(GroupReviewRow, review_id)
            if row is None:
                raise LookupError(f"no review {review_id}")
            if status is not None:
                row.status = status.value
            if poll_turns is not None:
                row.poll_turns = sorted(set(poll_turns))
            if position is not None:
                row.position = position
            if add_message_ids:
                row.message_ids = [*row.message_ids, *add_message_ids]

    async def add_review_poll(self, review_id: int, poll: ReviewPollRecord) -> None:
        row = ReviewPollRow(
            review_id=review_id,
            poll_id=poll.poll_id,
            message_id=poll.message_id,
            turn=poll.turn,
            kind=poll.kind,
            option_ids=list(poll.option_ids),
            correct_option=poll.correct_option,
            counts=list(poll.counts) or [0] * len(poll.option_ids),
            closed=poll.closed,
        )
        await self._add(row, f"no review {review_id}")

    async def update_poll(self, poll_id: str, counts: Sequence[int], closed: bool) -> bool:
        change = (
            update(ReviewPollRow)
            .where(ReviewPollRow.poll_id == poll_id)
            .values(counts=list(counts), closed=closed)
            .returning(ReviewPollRow.id)
        )
        async with self._write() as db, db.begin():
            return (await db.scalar(change)) is not None

    async def share_reviews(self, share_id: int) -> list[ReviewRecord]:
        query = (
            select(GroupReviewRow)
            .options(selectinload(GroupReviewRow.polls))
            .where(GroupReviewRow.share_id == share_id)
            .order_by(GroupReviewRow.id)
        )
        async with self._read() as db:
            return [_review(row) for row in await db.scalars(query)]

    # --- internals ----------------------------------------------------------------------

    async def _add(self, row: Any, missing: str) -> None:
        try:
            async with self._write() as db, db.begin():
                db.add(row)
                await db.flush()
        except IntegrityError as exc:
            raise LookupError(missing) from exc


async def export_cohorts(db: AsyncSession, user_id: int) -> dict[str, Any]:
    """What a user owns here, JSON-ready: memberships, shares (with views), personas, cohorts."""
    memberships = await db.scalars(
        select(CohortMemberRow).where(CohortMemberRow.user_id == user_id).order_by("id")
    )
    shares = list(
        await db.scalars(
            select(SessionShareRow).where(SessionShareRow.owner_id == user_id).order_by("id")
        )
    )
    personas = await db.scalars(
        select(AuthoredPersonaRow)
        .options(selectinload(AuthoredPersonaRow.principles))
        .where(AuthoredPersonaRow.owner_id == user_id)
        .order_by("id")
    )
    cohorts = await db.scalars(
        select(CohortRow).where(CohortRow.trainer_id == user_id).order_by("id")
    )
    views: dict[int, list[ShareViewRow]] = {}
    if shares:
        rows = await db.scalars(
            select(ShareViewRow)
            .where(ShareViewRow.share_id.in_([s.id for s in shares]))
            .order_by("id")
        )
        for row in rows:
            views.setdefault(row.share_id, []).append(row)
    return {
        "memberships": [_member_record(m).model_dump(mode="json") for m in memberships],
        "shares": [
            {
                **_share(s).model_dump(mode="json"),
                "views": [_view(v).model_dump(mode="json") for v in views.get(s.id, [])],
            }
            for s in shares
        ],
        "authored_personas": [_authored_record(p).model_dump(mode="json") for p in personas],
        "cohorts_trained": [_cohort(c).model_dump(mode="json") for c in cohorts],
    }


def _member(cohort_id: int, user_id: int) -> Any:
    return select(CohortMemberRow).where(
        CohortMemberRow.cohort_id == cohort_id, CohortMemberRow.user_id == user_id
    )


def _authored(persona_id: str) -> Any:
    return (
        select(AuthoredPersonaRow)
        .options(selectinload(AuthoredPersonaRow.principles))
        .where(AuthoredPersonaRow.persona_id == persona_id)
    )


def _cohort(row: CohortRow) -> CohortRecord:
    return CohortRecord(
        id=row.id, name=row.name, trainer_id=row.trainer_id, created_at=row.created_at
    )


def _invite(row: CohortInviteRow) -> InviteRecord:
    return InviteRecord(
        id=row.id,
        cohort_id=row.cohort_id,
        token=row.token,
        kind=InviteKind(row.kind),
        created_by=row.created_by,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


def _member_record(row: CohortMemberRow) -> MemberRecord:
    return MemberRecord(
        id=row.id,
        cohort_id=row.cohort_id,
        user_id=row.user_id,
        display_name=row.display_name,
        pseudonym=row.pseudonym,
        joined_at=row.joined_at,
    )


def _assignment(row: AssignmentRow) -> AssignmentRecord:
    return AssignmentRecord(
        id=row.id,
        cohort_id=row.cohort_id,
        kind=AssignmentKind(row.kind),
        item_id=row.item_id,
        due_at=row.due_at,
        created_by=row.created_by,
        created_at=row.created_at,
    )


def _facts(session: PracticeSession, evaluations: list[dict[str, Any]]) -> SessionFacts:
    moves = [str(m) for e in evaluations for m in e.get("moves", [])]
    pitfalls = [str(p) for e in evaluations for p in e.get("pitfalls", [])]
    return SessionFacts(
        session_id=session.id,
        user_id=session.user_id,
        persona_id=session.persona_id,
        finished=session.status == "finished",
        started_at=session.started_at,
        ended_at=session.ended_at,
        resolution_rating=session.resolution_rating,
        replies=len(evaluations),
        moves=tuple(moves),
        pitfalls=tuple(pitfalls),
    )


def _authored_record(row: AuthoredPersonaRow) -> AuthoredPersonaRecord:
    return AuthoredPersonaRecord(
        id=row.id,
        persona_id=row.persona_id,
        owner_id=row.owner_id,
        filename=row.filename,
        yaml_text=row.yaml_text,
        template_source=row.template_source,
        published=row.published,
        cohort_id=row.cohort_id,
        principles=tuple(p.text for p in row.principles),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _share(row: SessionShareRow) -> ShareRecord:
    return ShareRecord(
        id=row.id,
        session_id=row.session_id,
        cohort_id=row.cohort_id,
        owner_id=row.owner_id,
        pseudonym=row.pseudonym,
        show_name=row.show_name,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


def _view(row: ShareViewRow) -> ViewRecord:
    return ViewRecord(
        share_id=row.share_id,
        viewer_id=row.viewer_id,
        via=ShareVia(row.via),
        chat_id=row.chat_id,
        viewed_at=row.viewed_at,
    )


def _group(row: GroupLinkRow) -> GroupLinkRecord:
    return GroupLinkRecord(
        chat_id=row.chat_id,
        cohort_id=row.cohort_id,
        title=row.title,
        linked_by=row.linked_by,
        linked_at=row.linked_at,
    )


def _review(row: GroupReviewRow) -> ReviewRecord:
    return ReviewRecord(
        id=row.id,
        chat_id=row.chat_id,
        share_id=row.share_id,
        started_by=row.started_by,
        status=ReviewStatus(row.status),
        poll_turns=tuple(row.poll_turns),
        position=row.position,
        message_ids=tuple(row.message_ids),
        polls=tuple(
            ReviewPollRecord(
                poll_id=p.poll_id,
                message_id=p.message_id,
                turn=p.turn,
                kind=p.kind,
                option_ids=tuple(p.option_ids),
                correct_option=p.correct_option,
                counts=tuple(p.counts),
                closed=p.closed,
            )
            for p in row.polls
        ),
        created_at=row.created_at,
    )
