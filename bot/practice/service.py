"""Practice sessions: the one place the patient, the judge and storage meet.

Telegram and the terminal both drive this service; neither holds practice logic.
Every step is stored before the next begins (trainee text, then its evaluation and
the patient's new state, then the patient's line), so a crash or restart mid-turn
loses nothing: `resume` finishes whatever a stored session still owes.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from bot.domain.catalog import Catalog
from bot.domain.engine import PatientEngine, PatientTurnRequest
from bot.domain.evaluation import Judge, RuptureMoment, TurnEvaluation, Utterance
from bot.domain.feedback import EvaluatedReply, SessionFeedback, build_feedback, hint
from bot.domain.ids import RuptureType, Speaker
from bot.domain.persona import Persona
from bot.domain.safety import CrisisDetector
from bot.domain.state import PatientState, advance, initial_state
from bot.practice.limits import LimitReached, UsageLimits
from bot.practice.records import (
    EndReason,
    SessionRecord,
    SessionStatus,
    SessionSummary,
    TurnRecord,
)
from bot.practice.store import PracticeStore, TurnExists

MAX_REPLY_CHARS = 2000
CONTEXT_UTTERANCES = 6
#: C0 controls (but tab and newline) and DEL: invisible, and PostgreSQL refuses NUL
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
#: tries to store a reply when another process took the same turn index first
APPEND_ATTEMPTS = 3


class PersonaSource(Protocol):
    """Personas beyond the shared catalogue (trainer-authored), resolved by id and per user."""

    def persona(self, persona_id: str) -> Persona | None: ...

    async def visible(self, user_id: int) -> list[Persona]:
        """The extra personas this user may start a session with."""
        ...

    async def reload(self, persona_id: str) -> Persona | None:
        """Read one persona from storage again (another replica may have added or changed it)."""
        ...


class PracticeError(Exception):
    """A user mistake or an impossible request; the message is safe to show."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


@dataclass(frozen=True)
class SessionView:
    session_id: int
    persona: Persona
    patient_line: str
    state: PatientState
    replay_of: int | None = None


@dataclass(frozen=True)
class TurnOutcome:
    session_id: int
    patient_line: str | None
    evaluation: TurnEvaluation | None
    state: PatientState | None
    recovered_lines: tuple[str, ...] = ()
    crisis_message: str | None = None
    fell_back: bool = False
    feedback: SessionFeedback | None = None
    end_reason: EndReason | None = None
    persona: Persona | None = None


@dataclass
class PracticeService:
    catalog: Catalog
    store: PracticeStore
    patient: PatientEngine
    judge: Judge
    crisis: CrisisDetector
    limits: UsageLimits | None = None
    persona_source: PersonaSource | None = None
    _locks: defaultdict[int, asyncio.Lock] = field(
        default_factory=lambda: defaultdict(asyncio.Lock), repr=False
    )

    @property
    def calls_model(self) -> bool:
        """Does a reply wait for a model server? (Then the chat shows "typing…" first.)"""
        return self.judge.calls_model or self.patient.calls_model

    # --- choosing -----------------------------------------------------------------

    def personas(self, rupture: RuptureType | None = None) -> list[Persona]:
        found = [
            p
            for p in self.catalog.personas.values()
            if rupture is None or p.rupture_type is rupture
        ]
        order = list(RuptureType)
        return sorted(found, key=lambda p: (order.index(p.rupture_type), p.difficulty, p.title))

    async def personas_for(self, user_id: int, rupture: RuptureType | None = None) -> list[Persona]:
        """The catalogue plus the personas of the user's cohorts (`persona_source`)."""
        found = self.personas(rupture)
        if self.persona_source is not None:
            extra = await self.persona_source.visible(user_id)
            found += [p for p in extra if rupture is None or p.rupture_type is rupture]
        order = list(RuptureType)
        return sorted(found, key=lambda p: (order.index(p.rupture_type), p.difficulty, p.title))

    def persona(self, persona_id: str) -> Persona:
        persona = self.catalog.persona(persona_id)
        if persona is None and self.persona_source is not None:
            persona = self.persona_source.persona(persona_id)
        if persona is None:
            raise PracticeError("unknown_persona", f"There is no persona called {persona_id!r}.")
        return persona

    async def persona_of(self, session: SessionRecord) -> Persona:
        """The persona of a stored session, read again from storage if this process does not
        know it yet (a trainer published it through another replica)."""
        try:
            return self.persona(session.persona_id)
        except PracticeError:
            if self.persona_source is None or not await self.persona_source.reload(
                session.persona_id
            ):
                raise
            return self.persona(session.persona_id)

    # --- a session ----------------------------------------------------------------

    async def start(self, user_id: int, persona_id: str, seed: int | None = None) -> SessionView:
        persona = self.persona(persona_id)
        source = self.persona_source
        if (
            source is not None
            and self.catalog.persona(persona_id) is None
            and persona.id not in {p.id for p in await source.visible(user_id)}
        ):
            raise PracticeError("unknown_persona", f"There is no persona called {persona_id!r}.")
        async with self._locks[user_id]:
            await self._abandon_active(user_id)
            seed = secrets.randbelow(2**31) if seed is None else seed
            session_id = await self.store.create_session(
                user_id, persona.id, seed, self.patient.name
            )
            state = initial_state(persona)
            await self.store.append_turn(
                session_id,
                TurnRecord(
                    index=0,
                    speaker=Speaker.PATIENT,
                    text=persona.opening,
                    created_at=_now(),
                    state=state,
                ),
            )
        return SessionView(session_id, persona, persona.opening, state)

    async def active(self, user_id: int) -> SessionRecord | None:
        return await self.store.active_session(user_id)

    async def reply(self, user_id: int, text: str) -> TurnOutcome:
        """Take one trainee reply: evaluate it, move the patient, get the patient's answer."""
        text = _CONTROL_CHARS.sub("", text).strip()
        async with self._locks[user_id]:
            now = _now()
            windows = self.limits.windows(now) if self.limits is not None else []
            found, reply_counts = await self.store.active_session_and_reply_counts(user_id, windows)
            session = _required(found)
            persona = await self.persona_of(session)
            if self.crisis.signals_crisis(text):
                message = "\n\n".join(
                    (
                        self.crisis.help_message(persona.language),
                        self.crisis.resume_message(persona.language),
                    )
                )
                return TurnOutcome(
                    session.id, None, None, None, crisis_message=message, persona=persona
                )
            if not text:
                raise PracticeError(
                    "empty", "Your reply is empty. Write what you would say to the patient."
                )
            if len(text) > MAX_REPLY_CHARS:
                raise PracticeError(
                    "too_long",
                    f"That reply is {len(text)} characters long; please keep it under "
                    f"{MAX_REPLY_CHARS}, as you would speak in a session. Nothing was lost: "
                    "the patient is still waiting for your answer.",
                )
            last = session.turns[-1] if session.turns else None
            if last is not None and last.speaker is Speaker.TRAINEE and last.text == text:
                # The same reply again while it still awaits the patient: a redelivery after
                # a crash or a shutdown hand-back. Finish it once instead of storing it twice.
                return (await self._finish_turn(session, persona))[1]
            if self.limits is not None:
                try:
                    self.limits.enforce(reply_counts, now)
                except LimitReached as exc:
                    raise PracticeError(exc.code, str(exc)) from None
            if self._answers_in_one_write and _awaits_reply(session):
                try:
                    return await self._exchange(session, persona, text)
                except TurnExists:  # another process stored a turn first: the usual way
                    session = await self._load(session.id)
            session, recovered = await self._append_reply(session, persona, text)
            session, outcome = await self._finish_turn(session, persona)
        if recovered:
            outcome = TurnOutcome(**{**outcome.__dict__, "recovered_lines": recovered})
        return outcome

    async def resume(self, user_id: int) -> tuple[str, ...]:
        """Finish a turn that a crash or restart interrupted; returns patient lines owed."""
        async with self._locks[user_id]:
            session = await self.store.active_session(user_id)
            if session is None:
                return ()
            _, lines = await self._complete_pending(session, await self.persona_of(session))
            return lines

    async def hint(self, user_id: int) -> str:
        session = await self._require_active(user_id)
        persona = await self.persona_of(session)
        last = _last_evaluation(session)
        return hint(
            persona, self.catalog.rubric_for(persona.language), _current_state(session), last
        )

    async def end(self, user_id: int) -> SessionFeedback:
        async with self._locks[user_id]:
            session = await self._require_active(user_id)
            persona = await self.persona_of(session)
            session, _ = await self._complete_pending(session, persona)
            if session.status is SessionStatus.FINISHED:
                return self._stored_feedback(session)
            return await self._finish(session, persona, EndReason.ENDED_BY_TRAINEE)

    async def replay(self, user_id: int, session_id: int, from_turn: int) -> SessionView:
        """A "what if" session: the same patient, restored to just before reply `from_turn`."""
        original = await self.owned_session(user_id, session_id)
        persona = await self.persona_of(original)
        trainee_turns = [t for t in original.turns if t.speaker is Speaker.TRAINEE]
        if not 1 <= from_turn <= len(trainee_turns):
            raise PracticeError("bad_turn", f"Choose a turn between 1 and {len(trainee_turns)}.")
        keep = [t for t in original.turns if t.index <= 2 * (from_turn - 1)]
        async with self._locks[user_id]:
            await self._abandon_active(user_id)
            new_id = await self.store.create_session(
                user_id,
                persona.id,
                original.seed,
                self.patient.name,
                replay_of=original.id,
                replay_from_turn=from_turn,
            )
            for turn in keep:
                await self.store.append_turn(new_id, turn.model_copy(update={"created_at": _now()}))
        state = _current_state_of(keep) or initial_state(persona)
        return SessionView(new_id, persona, keep[-1].text, state, replay_of=original.id)

    # --- reading back ---------------------------------------------------------------

    async def history(self, user_id: int, limit: int = 20) -> list[SessionSummary]:
        return await self.store.list_sessions(user_id, limit)

    async def owned_session(self, user_id: int, session_id: int) -> SessionRecord:
        session = await self.store.get_session(session_id)
        if session is None or session.user_id != user_id:
            raise PracticeError("not_found", "That session doesn't exist or isn't yours.")
        return session

    async def feedback(self, user_id: int, session_id: int) -> SessionFeedback:
        session = await self.owned_session(user_id, session_id)
        if session.status is not SessionStatus.FINISHED:
            raise PracticeError(
                "not_finished", "This session is still running; end it with /end first."
            )
        return self._stored_feedback(session)

    # --- internals ------------------------------------------------------------------

    async def _require_active(self, user_id: int) -> SessionRecord:
        return _required(await self.store.active_session(user_id))

    async def _load(self, session_id: int) -> SessionRecord:
        session = await self.store.get_session(session_id)
        assert session is not None
        return session

    async def _abandon_active(self, user_id: int) -> None:
        active = await self.store.active_session(user_id)
        if active is not None:
            await self._finish(active, await self.persona_of(active), EndReason.ABANDONED)

    @property
    def _answers_in_one_write(self) -> bool:
        """Neither engine calls a model, so nothing waits between taking and answering a reply.

        Then the reply, its evaluation and the answer are stored in one transaction: a crash
        can only come before it (the reply was not answered and is not stored, as when it
        never arrived) or after it. With a model call in between, the reply is stored first
        so that a crash during the call loses nothing.
        """
        return not (self.judge.calls_model or self.patient.calls_model)

    async def _exchange(self, session: SessionRecord, persona: Persona, text: str) -> TurnOutcome:
        turn = TurnRecord(
            index=len(session.turns), speaker=Speaker.TRAINEE, text=text, created_at=_now()
        )
        with_reply = session.model_copy(update={"turns": (*session.turns, turn)})
        try:
            return (await self._finish_turn(with_reply, persona, reply_stored=False))[1]
        except TurnExists:
            raise
        except Exception:
            # A failure before the one write (a bug in an engine, say): keep the reply, as
            # the usual way would have, so that the next message finishes it.
            if not await self._stored(session.id, turn.index):
                await self.store.append_turn(session.id, turn)
            raise

    async def _stored(self, session_id: int, index: int) -> bool:
        session = await self.store.get_session(session_id)
        return session is not None and len(session.turns) > index

    async def _append_reply(
        self, session: SessionRecord, persona: Persona, text: str
    ) -> tuple[SessionRecord, tuple[str, ...]]:
        """Store the trainee's reply at the next index, after whatever the session still owes.

        Another process (a second replica without shared isolation) may take the same index
        first; the unique (session, index) key refuses the duplicate, and the reply goes in
        after that process's turn instead of being lost or stored twice.
        """
        recovered: tuple[str, ...] = ()
        for attempt in range(APPEND_ATTEMPTS):
            session, owed = await self._complete_pending(session, persona)
            recovered += owed
            if session.status is SessionStatus.FINISHED:
                raise PracticeError("finished", "This session has already ended.")
            turn = TurnRecord(
                index=len(session.turns), speaker=Speaker.TRAINEE, text=text, created_at=_now()
            )
            try:
                await self.store.append_turn(session.id, turn)
            except TurnExists:
                if attempt == APPEND_ATTEMPTS - 1:
                    raise
                session = await self._load(session.id)
                continue
            return session.model_copy(update={"turns": (*session.turns, turn)}), recovered
        raise AssertionError("unreachable")

    async def _complete_pending(
        self, session: SessionRecord, persona: Persona
    ) -> tuple[SessionRecord, tuple[str, ...]]:
        """If the last stored turn is the trainee's, finish it (evaluation and patient reply)."""
        if not session.turns or session.turns[-1].speaker is Speaker.PATIENT:
            return session, ()
        session, outcome = await self._finish_turn(session, persona)
        return session, (outcome.patient_line,) if outcome.patient_line else ()

    async def _finish_turn(
        self, session: SessionRecord, persona: Persona, *, reply_stored: bool = True
    ) -> tuple[SessionRecord, TurnOutcome]:
        trainee = session.turns[-1]
        previous = _current_state_of(session.turns[:-1]) or initial_state(persona)
        evaluation, state = trainee.evaluation, trainee.state
        evaluated_before = evaluation is not None and state is not None
        if evaluation is None or state is None:
            evaluation = await self.judge.evaluate(self._moment(session, persona))
            state = advance(persona, previous, evaluation)
            if self.judge.calls_model:  # a crash during the patient's model call keeps it
                await self.store.update_turn(
                    session.id,
                    trainee.index,
                    evaluation=evaluation,
                    state=state,
                    usage=evaluation.usage,
                )
                evaluated_before = True
        history = tuple(Utterance(speaker=t.speaker, text=t.text) for t in session.turns)
        reply = await self.patient.respond(
            PatientTurnRequest(
                persona=persona,
                history=history,
                state=state,
                evaluation=evaluation,
                seed=session.seed,
            )
        )
        answer = TurnRecord(
            index=trainee.index + 1,
            speaker=Speaker.PATIENT,
            text=reply.text,
            created_at=_now(),
            state=state,
            usage=reply.usage,
            engine=reply.engine,
        )
        evaluated = trainee.model_copy(
            update={
                "evaluation": evaluation,
                "state": state,
                "usage": evaluation.usage or trainee.usage,
            }
        )
        try:
            if not reply_stored:  # the reply, its evaluation and the answer at once
                await self.store.append_exchange(session.id, evaluated, answer)
            elif evaluated_before:
                await self.store.append_turn(session.id, answer)
            else:  # the evaluation and the answer in one transaction
                await self.store.record_answer(
                    session.id,
                    trainee.index,
                    evaluation=evaluation,
                    state=state,
                    usage=evaluation.usage,
                    answer=answer,
                )
        except TurnExists:  # another process answered this reply first: its answer is kept
            if not reply_stored:  # ... or took the reply's place: the caller starts again
                raise
            session = await self._load(session.id)
            answer = session.turns[trainee.index + 1]
        else:  # what is stored now, without reading the session back
            session = session.model_copy(update={"turns": (*session.turns[:-1], evaluated, answer)})
        reply = reply.model_copy(update={"text": answer.text})
        state = answer.state or state
        end_reason = None
        if state.resolved:
            end_reason = EndReason.RESOLVED
        elif state.turn >= persona.dynamics.turn_limit:
            end_reason = EndReason.TURN_LIMIT
        feedback = await self._finish(session, persona, end_reason) if end_reason else None
        return session, TurnOutcome(
            session.id,
            reply.text,
            evaluation,
            state,
            fell_back=reply.fell_back,
            feedback=feedback,
            end_reason=end_reason,
            persona=persona,
        )

    def _moment(self, session: SessionRecord, persona: Persona) -> RuptureMoment:
        *before, reply = session.turns
        context = tuple(
            Utterance(speaker=t.speaker, text=t.text) for t in before[-CONTEXT_UTTERANCES:]
        )
        return RuptureMoment(
            lang=persona.language,
            rupture=persona.rupture_type,
            marker=persona.markers[0],
            context=context,
            reply=reply.text,
        )

    async def _finish(
        self, session: SessionRecord, persona: Persona, reason: EndReason
    ) -> SessionFeedback:
        feedback = build_feedback(
            persona,
            self.catalog.rubric_for(persona.language),
            initial_state(persona),
            evaluated_replies(session.turns),
            reason.value,
        )
        await self.store.finish_session(
            session.id,
            end_reason=reason,
            resolution_rating=feedback.resolution_rating,
            feedback=feedback.model_dump(mode="json"),
        )
        return feedback

    def _stored_feedback(self, session: SessionRecord) -> SessionFeedback:
        if session.feedback is None:
            raise PracticeError("no_feedback", "This session ended without feedback.")
        return SessionFeedback.model_validate(session.feedback)


def evaluated_replies(turns: Sequence[TurnRecord]) -> list[EvaluatedReply]:
    replies: list[EvaluatedReply] = []
    for turn in turns:
        if turn.speaker is Speaker.TRAINEE and turn.evaluation and turn.state:
            replies.append(
                EvaluatedReply(
                    turn=len(replies) + 1,
                    text=turn.text,
                    evaluation=turn.evaluation,
                    state_after=turn.state,
                )
            )
    return replies


def _current_state_of(turns: Sequence[TurnRecord]) -> PatientState | None:
    return next((t.state for t in reversed(turns) if t.state is not None), None)


def _current_state(session: SessionRecord) -> PatientState:
    state = _current_state_of(session.turns)
    assert state is not None, "a session always stores the opening state"
    return state


def _last_evaluation(session: SessionRecord) -> TurnEvaluation | None:
    return next((t.evaluation for t in reversed(session.turns) if t.evaluation is not None), None)


def _awaits_reply(session: SessionRecord) -> bool:
    """The patient spoke last: nothing is owed from an interrupted turn."""
    return bool(session.turns) and session.turns[-1].speaker is Speaker.PATIENT


def _required(session: SessionRecord | None) -> SessionRecord:
    """The active session, or the trainee is told to start one."""
    if session is None:
        raise PracticeError("no_session", "There is no practice session running. Start one first.")
    return session


def _now() -> datetime:
    return datetime.now(UTC)
