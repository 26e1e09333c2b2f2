"""`SqlPracticeStore`: `PracticeStore` over SQLAlchemy, one short transaction per call."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import (
    Row,
    Select,
    Table,
    bindparam,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import selectinload

from bot.domain.evaluation import TokenUsage, TurnEvaluation
from bot.domain.ids import Speaker
from bot.domain.state import PatientState
from bot.practice.records import (
    EndReason,
    SessionRecord,
    SessionStatus,
    SessionSummary,
    TurnRecord,
    UserRecord,
)
from bot.practice.store import TurnExists
from bot.storage.cohort_repository import export_cohorts
from bot.storage.db import read_sessions, write_sessions
from bot.storage.hot_cache import HotCache, ReplyTimes, Trainee
from bot.storage.learning_repository import export_learning
from bot.storage.tables import Base, PracticeSession, Turn, User, utcnow
from bot.storage.transactions import Work, transactions_for

#: what a turn write teaches the cache (`SqlPracticeStore._write_remembered`)
Remember = Callable[[HotCache, None], None]
T = TypeVar("T")
_MISSING: Any = object()

#: Core tables for the practice hot path (`bot.storage.transactions`)
USERS: Table = Base.metadata.tables["users"]
SESSIONS: Table = Base.metadata.tables["practice_sessions"]
TURNS: Table = Base.metadata.tables["turns"]


class SqlPracticeStore:
    """Users, practice sessions and turns in SQLite or PostgreSQL.

    Every method commits before it returns, so a stored turn survives a crash. Methods
    that change a user, session or turn that does not exist raise `LookupError`;
    `get_*` and `active_session` return None instead. The engine belongs to the caller.

    What every trainee turn runs (finding the user, loading the active session,
    counting replies, storing turns) is Core in one `Transactions` hop per
    transaction; the rest uses ORM sessions.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._dialect = engine.dialect.name
        self._write = write_sessions(engine)
        self._read = read_sessions(engine)
        self._tx = transactions_for(engine)
        self._cache = self._tx.cache

    async def get_or_create_user(self, channel: str, external_id: str) -> UserRecord:
        user = await self.find_user(channel, external_id)
        if user is not None:
            return user
        insert = postgresql_insert if self._dialect == "postgresql" else sqlite_insert
        add_if_missing = (
            insert(USERS)
            .values(channel=channel, external_id=external_id, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["channel", "external_id"])
        )
        key = {"channel": channel, "external_id": external_id}

        def add(db: Connection) -> UserRecord:
            db.execute(add_if_missing)
            return _user_record(db.execute(_USER_BY_KEY, key).one())

        def remember(cache: HotCache, user: UserRecord) -> None:
            cache.users[(channel, external_id)] = user

        return await self._write_remembered(add, remember)

    async def find_user(self, channel: str, external_id: str) -> UserRecord | None:
        cached = self._cache.validate(self._tx.version())
        user = self._cache.users.get((channel, external_id), _MISSING) if cached else _MISSING
        if user is not _MISSING:
            return cast(UserRecord | None, user)
        key = {"channel": channel, "external_id": external_id}

        def find(db: Connection) -> UserRecord | None:
            row = db.execute(_USER_BY_KEY, key).first()
            return None if row is None else _user_record(row)

        if not cached:
            return await self._tx.read(find)
        return await self._read_remembered(
            find, lambda cache, found: cache.users.__setitem__((channel, external_id), found)
        )

    async def get_user(self, user_id: int) -> UserRecord | None:
        async with self._read() as db:
            user = await db.get(User, user_id)
            return None if user is None else _user_record(user)

    async def set_consent(self, user_id: int, consented: bool) -> None:
        await self._change_user(
            user_id, consented=consented, consented_at=utcnow() if consented else None
        )

    async def set_active(self, user_id: int, active: bool) -> None:
        await self._change_user(user_id, active=active)

    async def _change_user(self, user_id: int, **values: Any) -> None:
        change = update(USERS).where(USERS.c.id == user_id).values(**values).returning(USERS.c.id)

        def apply(db: Connection) -> None:
            if db.execute(change).first() is None:
                raise LookupError(f"no user {user_id}")

        await self._write_remembered(apply, lambda cache, _: cache.user_changed(user_id))

    async def count_trainee_turns(self, user_id: int, since: Sequence[datetime]) -> list[int]:
        """One count per moment in `since`, from one statement (the usage limits' windows)."""
        return await self._tx.read(lambda db: _count_replies(db, user_id, since))

    async def purge_finished_sessions(self, before: datetime) -> int:
        """Turns go with their session (ON DELETE CASCADE); replays of it keep their own."""
        old_ones = (
            delete(PracticeSession)
            .where(
                PracticeSession.status == SessionStatus.FINISHED.value,
                PracticeSession.ended_at < before,
            )
            .returning(PracticeSession.id)
            .execution_options(synchronize_session=False)
        )
        async with self._write() as db, db.begin():
            return len((await db.scalars(old_ones)).all())

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
        add = (
            insert(SESSIONS)
            .values(
                user_id=user_id,
                persona_id=persona_id,
                seed=seed,
                engine=engine,
                status=SessionStatus.ACTIVE.value,
                started_at=utcnow(),
                replay_of=replay_of,
                replay_from_turn=replay_from_turn,
            )
            .returning(SESSIONS.c.id)
        )
        try:
            return await self._write_remembered(
                lambda db: int(db.execute(add).scalar_one()),
                lambda cache, session_id: cache.session_started(user_id, session_id),
            )
        except IntegrityError as exc:
            missing = f"no user {user_id}" + (f" or session {replay_of}" if replay_of else "")
            raise LookupError(missing) from exc

    async def append_turn(self, session_id: int, turn: TurnRecord) -> None:
        def append(db: Connection) -> None:
            db.execute(_INSERT_TURN, _turn_values(session_id, turn))

        await self._append(
            session_id, append, turn.index, lambda cache, _: cache.appended(session_id, (turn,))
        )

    async def append_exchange(self, session_id: int, reply: TurnRecord, answer: TurnRecord) -> None:
        def append(db: Connection) -> None:
            db.execute(_INSERT_TURN, _turn_values(session_id, reply))
            db.execute(_INSERT_TURN, _turn_values(session_id, answer))

        await self._append(
            session_id,
            append,
            reply.index,
            lambda cache, _: cache.appended(session_id, (reply, answer)),
        )

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
        """`update_turn` on the trainee's turn and `append_turn` of the answer, atomically."""
        change, values = _evaluation_change(session_id, index, evaluation, state, usage)

        def record(db: Connection) -> None:
            if db.execute(change, values).first() is None:
                raise LookupError(f"session {session_id} has no turn {index}")
            db.execute(_INSERT_TURN, _turn_values(session_id, answer))

        def remember(cache: HotCache, _: None) -> None:
            cache.evaluated(session_id, index, evaluation=evaluation, state=state, usage=usage)
            cache.appended(session_id, (answer,))

        await self._append(session_id, record, answer.index, remember)

    async def _append(
        self, session_id: int, work: Work[None], index: int, remember: Remember
    ) -> None:
        try:
            await self._write_remembered(work, remember)
        except IntegrityError as exc:
            # The foreign key refuses a missing session, the unique key a taken index;
            # telling them apart only here saves a lookup on every successful append.
            found = {"session_id": session_id}
            if await self._tx.read(lambda db: db.execute(_SESSION_EXISTS, found).first()) is None:
                raise LookupError(f"no session {session_id}") from None
            raise TurnExists(f"session {session_id} already has turn {index}") from exc

    async def update_turn(
        self,
        session_id: int,
        index: int,
        *,
        evaluation: TurnEvaluation,
        state: PatientState,
        usage: TokenUsage | None = None,
    ) -> None:
        """Attach the evaluation and state; `usage` replaces the stored usage only if given."""
        change, values = _evaluation_change(session_id, index, evaluation, state, usage)

        def attach(db: Connection) -> None:
            if db.execute(change, values).first() is None:
                raise LookupError(f"session {session_id} has no turn {index}")

        await self._write_remembered(
            attach,
            lambda cache, _: cache.evaluated(
                session_id, index, evaluation=evaluation, state=state, usage=usage
            ),
        )

    async def _read_remembered(self, work: Work[T], keep: Callable[[HotCache, T], None]) -> T:
        """`work` in a read transaction; then the (valid) cache keeps its result.

        Only if nothing wrote in the meantime: a read that waited for a busy database may
        have let writes by.
        """
        version = self._cache.version
        result = await self._tx.read(work)
        if self._tx.version() == version:
            keep(self._cache, result)
        return result

    async def _write_remembered(self, work: Work[T], remember: Callable[[HotCache, T], None]) -> T:
        """`work` in a write transaction; then the cache learns its effect or forgets.

        It learns only if the write ran on the worker's own connection with nothing else
        written since the cache was last valid (the version moved by exactly this write).
        """
        cached = self._cache.validate(self._tx.version())
        before = self._cache.version
        result = await self._tx.write(work)
        if not cached or before is None:
            return result
        after = self._tx.version()
        if after == (before[0], before[1], before[2] + 1):
            self._cache.version = after
            remember(self._cache, result)
        else:
            self._cache.forget(after)
        return result

    async def get_session(self, session_id: int) -> SessionRecord | None:
        return await self._tx.read(
            lambda db: _load_session(db, _SESSION_BY_ID, {"session_id": session_id})
        )

    async def active_session(self, user_id: int) -> SessionRecord | None:
        def read(db: Connection) -> SessionRecord | None:
            return _load_session(db, _NEWEST_ACTIVE, {"user_id": user_id})

        if not self._cache.validate(self._tx.version()):
            return await self._tx.read(read)
        if (trainee := self._cache.trainees.get(user_id)) is not None:
            return trainee.session
        return await self._read_remembered(
            read, lambda cache, session: cache.keep(user_id, Trainee(session))
        )

    async def active_session_and_reply_counts(
        self, user_id: int, since: Sequence[datetime]
    ) -> tuple[SessionRecord | None, list[int]]:
        """The active session and `count_trainee_turns(user_id, since)`, from memory if known."""
        if not self._cache.validate(self._tx.version()):

            def read(db: Connection) -> tuple[SessionRecord | None, list[int]]:
                session = _load_session(db, _NEWEST_ACTIVE, {"user_id": user_id})
                return session, _count_replies(db, user_id, since)

            return await self._tx.read(read)
        trainee = self._cache.trainees.get(user_id)
        if trainee is not None:
            if not since:
                return trainee.session, []
            counts = None if trainee.replies is None else trainee.replies.counts(since)
            if counts is not None:
                return trainee.session, counts
        earliest = min(since) if since else None

        def read_times(db: Connection) -> Trainee:
            session = _load_session(db, _NEWEST_ACTIVE, {"user_id": user_id})
            if earliest is None:
                return Trainee(session)
            return Trainee(session, ReplyTimes(earliest, _reply_times(db, user_id, earliest)))

        trainee = await self._read_remembered(read_times, lambda cache, t: cache.keep(user_id, t))
        counts = [] if trainee.replies is None else trainee.replies.counts(since)
        return trainee.session, counts or []

    async def finish_session(
        self,
        session_id: int,
        *,
        end_reason: EndReason,
        resolution_rating: int,
        feedback: dict[str, Any],
    ) -> None:
        change = (
            update(SESSIONS)
            .where(SESSIONS.c.id == session_id)
            .values(
                status=SessionStatus.FINISHED.value,
                ended_at=utcnow(),
                end_reason=end_reason.value,
                resolution_rating=resolution_rating,
                feedback=feedback,
            )
            .returning(SESSIONS.c.id)
        )

        def finish(db: Connection) -> None:
            if db.execute(change).first() is None:
                raise LookupError(f"no session {session_id}")

        await self._write_remembered(finish, lambda cache, _: cache.session_finished(session_id))

    async def list_sessions(self, user_id: int, limit: int = 20) -> list[SessionSummary]:
        """The user's newest sessions first; `turns` counts every stored turn."""
        turn_count = (
            select(func.count(Turn.id))
            .where(Turn.session_id == PracticeSession.id)
            .correlate(PracticeSession)
            .scalar_subquery()
        )
        newest = (
            select(PracticeSession, turn_count)
            .where(PracticeSession.user_id == user_id)
            .order_by(PracticeSession.started_at.desc(), PracticeSession.id.desc())
            .limit(limit)
        )
        async with self._read() as db:
            rows = (await db.execute(newest)).all()
        return [
            SessionSummary(
                id=session.id,
                persona_id=session.persona_id,
                status=SessionStatus(session.status),
                started_at=session.started_at,
                resolution_rating=session.resolution_rating,
                turns=turns,
            )
            for session, turns in rows
        ]

    async def export_user(self, user_id: int) -> dict[str, Any]:
        """``{"user": {...}, "sessions": [{..., "turns": [...]}], "learning": {...}}``.

        Sessions oldest first; "learning" holds the curriculum answers (`export_learning`),
        "cohorts" memberships, shares, authored personas and cohorts trained (`export_cohorts`).
        """
        everything = (
            select(User)
            .where(User.id == user_id)
            .options(selectinload(User.sessions).selectinload(PracticeSession.turns))
        )
        async with self._read() as db:
            user = await db.scalar(everything)
            if user is None:
                raise LookupError(f"no user {user_id}")
            return {
                "user": {
                    "id": user.id,
                    "channel": user.channel,
                    "external_id": user.external_id,
                    "consented": user.consented,
                    "consented_at": _iso(user.consented_at),
                    "language": user.language,
                    "role": user.role,
                    "active": user.active,
                    "created_at": _iso(user.created_at),
                },
                "sessions": [
                    _session_record(session).model_dump(mode="json") for session in user.sessions
                ],
                "learning": await export_learning(db, user.id),
                "cohorts": await export_cohorts(db, user.id),
            }

    async def erase_user(self, user_id: int) -> None:
        """Sessions, turns and curriculum answers go with the user (ON DELETE CASCADE).

        Erasing twice is harmless.
        """
        erase = delete(User).where(User.id == user_id).execution_options(synchronize_session=False)
        self._cache.forget()  # what it held of them goes now, not at the next look
        async with self._write() as db, db.begin():
            await db.execute(erase)


def _user_by_key(channel: str, external_id: str) -> Select[User]:
    return select(User).where(User.channel == channel, User.external_id == external_id)


def _load_session(
    db: Connection, session_query: Select[Any], values: dict[str, Any]
) -> SessionRecord | None:
    """The session `session_query` selects (one row of SESSIONS) with its turns in order."""
    session = db.execute(session_query, values).first()
    if session is None:
        return None
    turns = db.execute(_TURNS_OF, {"session_id": session.id}).all()
    return _session_record(session, [_turn_record(turn) for turn in turns])


def _turn_values(session_id: int, turn: TurnRecord) -> dict[str, Any]:
    return {
        "session_id": session_id,
        "index": turn.index,
        "speaker": turn.speaker.value,
        "text": turn.text,
        "created_at": turn.created_at,
        "state": _json(turn.state),
        "evaluation": _json(turn.evaluation),
        "usage": _json(turn.usage),
        "engine": turn.engine,
    }


def _evaluation_change(
    session_id: int,
    index: int,
    evaluation: TurnEvaluation,
    state: PatientState,
    usage: TokenUsage | None,
) -> tuple[Any, dict[str, Any]]:
    values = {
        "in_session": session_id,
        "turn_index": index,
        "new_evaluation": _json(evaluation),
        "new_state": _json(state),
    }
    if usage is None:
        return _ATTACH_EVALUATION, values
    return _ATTACH_EVALUATION_AND_USAGE, {**values, "new_usage": _json(usage)}


# --- the hot path's statements, built once (their parameters are bound per call) -------

_USER_BY_KEY = select(USERS).where(
    USERS.c.channel == bindparam("channel"), USERS.c.external_id == bindparam("external_id")
)
_SESSION_BY_ID = select(SESSIONS).where(SESSIONS.c.id == bindparam("session_id"))
_SESSION_EXISTS = select(SESSIONS.c.id).where(SESSIONS.c.id == bindparam("session_id"))
_NEWEST_ACTIVE = (
    select(SESSIONS)
    .where(
        SESSIONS.c.user_id == bindparam("user_id"),
        SESSIONS.c.status == SessionStatus.ACTIVE.value,
    )
    .order_by(SESSIONS.c.started_at.desc(), SESSIONS.c.id.desc())
    .limit(1)
)
_TURNS_OF = (
    select(TURNS).where(TURNS.c.session_id == bindparam("session_id")).order_by(TURNS.c.index)
)
_INSERT_TURN = insert(TURNS)
_ATTACH_EVALUATION = (
    update(TURNS)
    .where(TURNS.c.session_id == bindparam("in_session"), TURNS.c.index == bindparam("turn_index"))
    .values(evaluation=bindparam("new_evaluation"), state=bindparam("new_state"))
    .returning(TURNS.c.id)
)
_ATTACH_EVALUATION_AND_USAGE = _ATTACH_EVALUATION.values(usage=bindparam("new_usage"))


def _count_replies(db: Connection, user_id: int, since: Sequence[datetime]) -> list[int]:
    """One count per moment in `since`, from one statement (the usage limits' windows)."""
    if not since:
        return []
    values: dict[str, Any] = {"user_id": user_id, "earliest": min(since)}
    values.update({f"since_{n}": moment for n, moment in enumerate(since)})
    row = db.execute(_reply_counts(len(since)), values).one()
    return [int(n or 0) for n in row]


@functools.cache
def _reply_counts(windows: int) -> Select[Any]:
    """Trainee replies since each of `windows` moments (``since_0``, ...), in one row."""
    counts: list[Any] = [
        func.count(case((TURNS.c.created_at >= bindparam(f"since_{n}"), 1))) for n in range(windows)
    ]
    return _counted_replies(select(*counts))


def _counted_replies(columns: Select[Any]) -> Select[Any]:
    """`columns` over the user's trainee replies since ``earliest`` that count against limits."""
    turns, sessions = TURNS.c, SESSIONS.c
    return columns.select_from(TURNS.join(SESSIONS, turns.session_id == sessions.id)).where(
        sessions.user_id == bindparam("user_id"),
        turns.speaker == Speaker.TRAINEE.value,
        turns.created_at >= bindparam("earliest"),
        # not the replies a "what if" replay copied from its original session
        or_(
            sessions.replay_from_turn.is_(None),
            turns.index > 2 * (sessions.replay_from_turn - 1),
        ),
    )


_REPLY_TIMES = _counted_replies(select(TURNS.c.created_at)).order_by(TURNS.c.created_at)


def _reply_times(db: Connection, user_id: int, earliest: datetime) -> list[datetime]:
    """When the user's counted replies since `earliest` were stored, oldest first."""
    return list(db.scalars(_REPLY_TIMES, {"user_id": user_id, "earliest": earliest}))


def _json(model: PatientState | TurnEvaluation | TokenUsage | None) -> dict[str, Any] | None:
    return None if model is None else model.model_dump(mode="json")


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _user_record(user: User | Row[Any]) -> UserRecord:
    return UserRecord(
        id=user.id,
        channel=user.channel,
        external_id=user.external_id,
        consented=user.consented,
        language=user.language,
        active=user.active,
        created_at=user.created_at,
    )


def _turn_record(turn: Turn | Row[Any]) -> TurnRecord:
    return TurnRecord(
        index=turn.index,
        speaker=Speaker(turn.speaker),
        text=turn.text,
        created_at=turn.created_at,
        state=None if turn.state is None else PatientState.model_validate(turn.state),
        evaluation=(
            None if turn.evaluation is None else TurnEvaluation.model_validate(turn.evaluation)
        ),
        usage=None if turn.usage is None else TokenUsage.model_validate(turn.usage),
        engine=turn.engine,
    )


def _session_record(
    session: PracticeSession | Row[Any], turns: Sequence[TurnRecord] | None = None
) -> SessionRecord:
    return SessionRecord(
        id=session.id,
        user_id=session.user_id,
        persona_id=session.persona_id,
        seed=session.seed,
        engine=session.engine,
        status=SessionStatus(session.status),
        started_at=session.started_at,
        ended_at=session.ended_at,
        end_reason=None if session.end_reason is None else EndReason(session.end_reason),
        resolution_rating=session.resolution_rating,
        feedback=session.feedback,
        replay_of=session.replay_of,
        replay_from_turn=session.replay_from_turn,
        turns=tuple(
            turns
            if turns is not None
            else (_turn_record(turn) for turn in cast(PracticeSession, session).turns)
        ),
    )
