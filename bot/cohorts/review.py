"""Group review: a shared transcript walked through turn by turn in a cohort's group chat.

The trainer links a group to a cohort, picks a shared session and the replies at
which the group votes. The review then reveals the conversation in chunks: the
patient's lines and the trainee's replies with their annotations (marker, moves,
pitfalls, tension), stopping before each chosen reply for two polls — "What marker
is this?" (a quiz: one option is a marker of this persona) and "Which repair would
you try?" (an opinion poll, compared afterwards with what the trainee did and what
the coach suggests). At the end the votes are summarised.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.cohorts.records import (
    CohortRecord,
    InviteKind,
    ReviewPollRecord,
    ReviewRecord,
    ReviewStatus,
    ShareVia,
)
from bot.cohorts.service import CohortError, CohortService
from bot.cohorts.sharing import SharedTranscript, SharingService
from bot.cohorts.store import CohortStore
from bot.domain.evaluation import TurnEvaluation
from bot.domain.ids import (
    ConfrontationMarker,
    RepairStrategy,
    Speaker,
    TensionBand,
    WithdrawalMarker,
)
from bot.domain.next_move import next_repair_move
from bot.domain.persona import Persona
from bot.domain.state import PatientState
from bot.practice.records import SessionRecord, TurnRecord, UserRecord

MARKER_POLL = "marker"
REPAIR_POLL = "repair"
POLL_OPTIONS = 4
MAX_DEFAULT_STOPS = 2


@dataclass(frozen=True)
class ReviewItem:
    """One line of the conversation with what the coach saw in it."""

    speaker: Speaker
    turn: int  # for the trainee: reply number; for the patient: the reply it answers (0 = opening)
    text: str
    state: PatientState | None = None
    before: PatientState | None = None
    evaluation: TurnEvaluation | None = None
    markers: tuple[str, ...] = ()


@dataclass(frozen=True)
class PollSpec:
    kind: str
    turn: int
    option_ids: tuple[str, ...]
    correct_option: int | None = None


@dataclass(frozen=True)
class ReviewChunk:
    review: ReviewRecord
    transcript: SharedTranscript
    persona: Persona
    started: bool  # this chunk opens the review (post the header first)
    items: tuple[ReviewItem, ...]
    polls: tuple[PollSpec, ...] = ()
    finished: bool = False


@dataclass(frozen=True)
class PollOutcome:
    poll: ReviewPollRecord
    chosen: str | None  # the most chosen option (None without votes)
    trainee_moves: tuple[str, ...] = ()
    trainee_pitfalls: tuple[str, ...] = ()
    suggested: str | None = None


def conversation(session: SessionRecord, persona: Persona) -> list[ReviewItem]:
    """The stored turns as annotated items, opening first."""
    items: list[ReviewItem] = []
    previous: PatientState | None = None
    reply = 0
    for turn in session.turns:
        if turn.speaker is Speaker.TRAINEE:
            reply += 1
            items.append(
                ReviewItem(
                    Speaker.TRAINEE,
                    reply,
                    turn.text,
                    state=turn.state,
                    before=previous,
                    evaluation=turn.evaluation,
                )
            )
        else:
            items.append(
                ReviewItem(
                    Speaker.PATIENT,
                    reply,
                    turn.text,
                    state=turn.state,
                    markers=_markers_showing(persona, turn),
                )
            )
        previous = turn.state or previous
    return items


def _markers_showing(persona: Persona, turn: TurnRecord) -> tuple[str, ...]:
    """The persona's markers while the rupture is live (not once tension is low)."""
    if turn.state is not None and turn.state.band is TensionBand.LOW:
        return ()
    return tuple(str(m) for m in persona.markers)


def replies_of(session: SessionRecord) -> list[TurnRecord]:
    return [t for t in session.turns if t.speaker is Speaker.TRAINEE]


def default_stops(session: SessionRecord) -> list[int]:
    """Replies worth a vote: the weakest ones (pitfalls, low ratings), else the first."""
    scored = [
        (t.evaluation.rating if t.evaluation else 3, number)
        for number, t in enumerate(replies_of(session), start=1)
    ]
    weak = sorted(n for rating, n in sorted(scored)[:MAX_DEFAULT_STOPS] if rating <= 2)
    return weak or ([1] if scored else [])


def marker_poll(persona: Persona, session_id: int, turn: int) -> PollSpec:
    """A quiz: one of this persona's markers and three that are not."""
    rng = random.Random(f"{session_id}:{turn}")
    answer = str(persona.markers[(turn - 1) % len(persona.markers)])
    shown = {str(m) for m in persona.markers}
    confronting = answer in ConfrontationMarker._value2member_map_
    family = list(ConfrontationMarker) if confronting else list(WithdrawalMarker)
    others = [str(m) for m in [*family, *ConfrontationMarker, *WithdrawalMarker]]
    distractors = list(dict.fromkeys(m for m in others if m not in shown))
    options = [answer, *rng.sample(distractors[: len(family)], POLL_OPTIONS - 1)]
    rng.shuffle(options)
    return PollSpec(MARKER_POLL, turn, tuple(options), options.index(answer))


def repair_poll(persona: Persona, session: SessionRecord, turn: int) -> PollSpec:
    """Four repairs to vote on: the coach's suggestion, what the trainee did, and others."""
    replies = replies_of(session)
    before = replies[: turn - 1]
    last = before[-1].evaluation if before else None
    seen = [str(m) for r in before if r.evaluation for m in r.evaluation.moves]
    options = [str(suggested_move(persona, last, seen))]
    done = replies[turn - 1].evaluation if turn <= len(replies) else None
    options += [str(m) for m in (done.moves if done else ()) if str(m) not in options]
    for move in (
        RepairStrategy.METACOMMUNICATION,
        RepairStrategy.ACKNOWLEDGE_CONTRIBUTION,
        RepairStrategy.EXPLORE_RUPTURE,
        RepairStrategy.VALIDATE_DEFENSE,
        RepairStrategy.PROVIDE_RATIONALE,
        RepairStrategy.CHANGE_TASK_OR_GOAL,
    ):
        if len(options) >= POLL_OPTIONS:
            break
        if move.value not in options:
            options.append(move.value)
    options = options[:POLL_OPTIONS]
    random.Random(f"{session.id}:{turn}:r").shuffle(options)
    return PollSpec(REPAIR_POLL, turn, tuple(options))


@dataclass
class GroupReviewService:
    store: CohortStore
    cohorts: CohortService
    sharing: SharingService
    find_persona: Callable[[str], Persona | None]

    # --- linking ----------------------------------------------------------------------

    async def link(self, trainer: UserRecord, code: str, chat_id: int, title: str) -> CohortRecord:
        invite = await self.store.find_invite(code.strip())
        if invite is None or invite.kind is not InviteKind.LINK or invite.revoked_at is not None:
            raise CohortError(
                "bad_code",
                "That link code isn't valid. Get a fresh one from your cohort in a private chat "
                "with me (🔗 Link a group).",
            )
        cohort = await self.cohorts.cohort(trainer, invite.cohort_id)
        await self.store.link_group(chat_id, cohort.id, title, trainer.id)
        return cohort

    async def unlink(self, trainer: UserRecord, chat_id: int) -> CohortRecord:
        cohort = await self.trained_cohort(trainer, chat_id)
        await self.store.unlink_group(chat_id)
        return cohort

    async def linked_cohort(self, chat_id: int) -> CohortRecord | None:
        link = await self.store.group_link(chat_id)
        return await self.store.get_cohort(link.cohort_id) if link else None

    async def trained_cohort(self, trainer: UserRecord, chat_id: int) -> CohortRecord:
        """The group's cohort, if `trainer` trains it (only they lead reviews there)."""
        cohort = await self.linked_cohort(chat_id)
        if cohort is None:
            raise CohortError(
                "not_linked",
                "This group isn't linked to a cohort yet. Trainer: open your cohort in a "
                "private chat with me, tap 🔗 Link a group and send the /link command here.",
            )
        if cohort.trainer_id != trainer.id:
            raise CohortError("forbidden", "Only the cohort's trainer leads reviews here.")
        return cohort

    # --- choosing ---------------------------------------------------------------------

    async def candidates(
        self, trainer: UserRecord, chat_id: int
    ) -> list[tuple[int, SessionRecord, str]]:
        """(share id, session, pseudonym or name) of what can be reviewed in this group."""
        cohort = await self.trained_cohort(trainer, chat_id)
        found = []
        for share in await self.sharing.cohort_shares(trainer, cohort.id):
            session = await self.sharing.sessions.get_session(share.session_id)
            if session is not None:
                members = {m.user_id: m for m in await self.store.members(cohort.id)}
                owner = members[share.owner_id]
                found.append(
                    (share.id, session, owner.display_name if share.show_name else share.pseudonym)
                )
        return found

    async def setup(self, trainer: UserRecord, chat_id: int, share_id: int) -> ReviewRecord:
        cohort = await self.trained_cohort(trainer, chat_id)
        share = await self.store.get_share(share_id)
        if share is None or share.cohort_id != cohort.id or not share.active:
            raise CohortError("not_shared", "That transcript isn't shared with this cohort.")
        session = await self.sharing.sessions.get_session(share.session_id)
        assert session is not None
        return await self.store.create_review(chat_id, share.id, trainer.id, default_stops(session))

    async def toggle_stop(self, trainer: UserRecord, review_id: int, turn: int) -> ReviewRecord:
        review = await self._review(trainer, review_id, ReviewStatus.SETUP)
        stops = set(review.poll_turns) ^ {turn}
        await self.store.update_review(review.id, poll_turns=sorted(stops))
        updated = await self.store.get_review(review.id)
        assert updated is not None
        return updated

    async def review(
        self, trainer: UserRecord, review_id: int
    ) -> tuple[ReviewRecord, SessionRecord]:
        review = await self._review(trainer, review_id, None)
        share = await self.store.get_share(review.share_id)
        session = await self.sharing.sessions.get_session(share.session_id) if share else None
        if session is None:
            raise CohortError("not_shared", "That transcript isn't shared any more.")
        return review, session

    # --- running ----------------------------------------------------------------------

    async def advance(self, trainer: UserRecord, review_id: int) -> ReviewChunk:
        """The next chunk to post: lines up to the next vote, or to the end."""
        review = await self._review(trainer, review_id, None)
        if review.status in (ReviewStatus.FINISHED, ReviewStatus.STOPPED):
            raise CohortError("over", "This review is over. Start another with /review.")
        try:
            if review.status is ReviewStatus.SETUP:
                transcript = await self.sharing.open(
                    trainer, review.share_id, ShareVia.GROUP, review.chat_id
                )
            else:
                transcript = await self._still_shared(review)
        except CohortError:
            await self.store.update_review(review.id, status=ReviewStatus.STOPPED)
            raise CohortError(
                "not_shared", "This transcript is no longer shared, so the review has ended."
            ) from None
        persona = self.find_persona(transcript.session.persona_id)
        if persona is None:
            raise CohortError("not_found", "The persona of this session is no longer available.")
        items = conversation(transcript.session, persona)
        total = len(replies_of(transcript.session))
        started = review.status is ReviewStatus.SETUP
        chunk: list[ReviewItem] = [i for i in items if started and i.turn == 0]
        polled = {p.turn for p in review.polls}
        position = review.position
        polls: tuple[PollSpec, ...] = ()
        turn = position + 1
        while turn <= total:
            if turn in review.poll_turns and turn not in polled:
                polls = (
                    marker_poll(persona, transcript.session.id, turn),
                    repair_poll(persona, transcript.session, turn),
                )
                break
            chunk += [i for i in items if i.turn == turn]
            position = turn
            turn += 1
        finished = turn > total
        await self.store.update_review(
            review.id,
            status=ReviewStatus.FINISHED if finished else ReviewStatus.RUNNING,
            position=position,
        )
        updated = await self.store.get_review(review.id)
        assert updated is not None
        return ReviewChunk(updated, transcript, persona, started, tuple(chunk), polls, finished)

    async def record_poll(self, review_id: int, poll: ReviewPollRecord) -> None:
        await self.store.add_review_poll(review_id, poll)

    async def record_posts(self, review_id: int, message_ids: Sequence[int]) -> None:
        await self.store.update_review(review_id, add_message_ids=message_ids)

    async def poll_counts(self, poll_id: str, counts: Sequence[int], closed: bool) -> bool:
        return await self.store.update_poll(poll_id, counts, closed)

    async def outcomes(
        self, review_id: int, session: SessionRecord, persona: Persona
    ) -> list[PollOutcome]:
        review = await self.store.get_review(review_id)
        assert review is not None
        replies = replies_of(session)
        found = []
        for poll in review.polls:
            chosen = None
            if poll.counts and max(poll.counts) > 0:
                chosen = poll.option_ids[poll.counts.index(max(poll.counts))]
            done = replies[poll.turn - 1].evaluation if poll.turn <= len(replies) else None
            before = replies[: poll.turn - 1]
            last = before[-1].evaluation if before else None
            seen = [str(m) for r in before if r.evaluation for m in r.evaluation.moves]
            found.append(
                PollOutcome(
                    poll,
                    chosen,
                    tuple(str(m) for m in (done.moves if done else ())),
                    tuple(str(p) for p in (done.pitfalls if done else ())),
                    str(suggested_move(persona, last, seen)),
                )
            )
        return found

    async def _still_shared(self, review: ReviewRecord) -> SharedTranscript:
        """Re-check the sharing rule on every step (no view is recorded again)."""
        share = await self.store.get_share(review.share_id)
        cohort = await self.store.get_cohort(share.cohort_id) if share else None
        members = {m.user_id: m for m in await self.store.members(cohort.id)} if cohort else {}
        if share is None or cohort is None or not share.active or share.owner_id not in members:
            raise CohortError("not_shared", "not shared")
        session = await self.sharing.sessions.get_session(share.session_id)
        if session is None:
            raise CohortError("not_shared", "not shared")
        owner = members[share.owner_id]
        return SharedTranscript(
            share, session, cohort, owner.display_name if share.show_name else share.pseudonym
        )

    async def _review(
        self, trainer: UserRecord, review_id: int, status: ReviewStatus | None
    ) -> ReviewRecord:
        review = await self.store.get_review(review_id)
        if review is None:
            raise CohortError("not_found", "That review doesn't exist.")
        await self.trained_cohort(trainer, review.chat_id)
        if status is not None and review.status is not status:
            raise CohortError("over", "This review has already started.")
        return review


def suggested_move(persona: Persona, last: TurnEvaluation | None, seen: Sequence[str]) -> str:
    """The move the group is offered as "what could come next" (the hints' policy)."""
    return str(
        next_repair_move(
            persona.rupture_type, persona.markers[0], seen, last.pitfalls if last else ()
        )
    )
