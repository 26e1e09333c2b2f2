"""Engine factory: async SQLite (WAL, foreign keys, BEGIN IMMEDIATE) or PostgreSQL via asyncpg.

SQLite is the default for a single-process bot; its connections are tuned so that
several writers queue politely instead of failing with "database is locked".
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import weakref
from pathlib import Path
from types import TracebackType
from typing import Any, Final

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

BUSY_TIMEOUT_MS: Final = 5000

# aiosqlite logs every statement with its parameters (trainee text) at DEBUG; transcript
# text must stay out of the logs even when LOG_LEVEL=DEBUG.
logging.getLogger("aiosqlite").setLevel(logging.INFO)
#: execution option naming the SQLite BEGIN mode; writes default to IMMEDIATE
SQLITE_BEGIN: Final = "sqlite_begin"
_BEGIN_MODES: Final = frozenset({"DEFERRED", "IMMEDIATE", "EXCLUSIVE"})
_EXAMPLES: Final = "e.g. sqlite:///data/coach.db or postgresql://user:password@host/dbname"


class DatabaseURLError(ValueError):
    """The configured database URL cannot be used (the message says what to write instead)."""


def async_url(url: str) -> URL:
    """Parse `url` and switch it to the async driver (aiosqlite or asyncpg).

    A plain ``sqlite:///x.db``, ``postgresql://…`` or ``postgres://…`` URL, or one naming a
    sync driver, is upgraded; libpq's ``sslmode`` query parameter becomes asyncpg's ``ssl``.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseURLError(f"cannot parse the database URL ({_EXAMPLES})") from None
    backend = parsed.drivername.partition("+")[0]
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite")
    if backend in ("postgresql", "postgres"):
        query = dict(parsed.query)
        if "sslmode" in query and "ssl" not in query:
            query["ssl"] = query.pop("sslmode")
        return parsed.set(drivername="postgresql+asyncpg", query=query)
    raise DatabaseURLError(
        f"unsupported database {backend!r}: use SQLite or PostgreSQL ({_EXAMPLES})"
    )


def create_engine_for(url: str, *, echo: bool = False) -> AsyncEngine:
    """An async engine for `url`; the caller disposes of it (``await engine.dispose()``).

    For a SQLite file the parent directory is created if it is missing.
    """
    return build_engine(url, echo=echo)


def build_engine(url: str, *, echo: bool = False, foreign_keys: bool = True) -> AsyncEngine:
    """`create_engine_for` with a switch migrations need: SQLite foreign-key enforcement.

    Table rebuilds (alembic batch mode) drop the old table, which with enforcement on
    would cascade-delete every child row; migrations therefore run with it off and
    check the keys afterwards.
    """
    target = async_url(url)
    if target.get_backend_name() == "sqlite":
        _ensure_directory(target)
        engine = create_async_engine(target, echo=echo)
        tune_sqlite(engine.sync_engine, foreign_keys=foreign_keys)
        return engine
    return create_async_engine(target, echo=echo, pool_pre_ping=True)


def write_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for transactions that write (on SQLite they start with BEGIN IMMEDIATE).

    On SQLite they also queue in-process for the database's one write lock
    (`QueuedWriteSession`).
    """
    if engine.dialect.name == "sqlite":
        return async_sessionmaker(
            engine, class_=QueuedWriteSession, expire_on_commit=False, database_url=engine.url
        )
    return async_sessionmaker(engine, expire_on_commit=False)


#: per event loop, per SQLite database: the queue its writers wait in
_WRITE_QUEUES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = (
    weakref.WeakKeyDictionary()
)


def write_queue(database_url: URL) -> asyncio.Lock:
    """The in-process queue for the write lock of the SQLite database at `database_url`.

    ORM write sessions (`QueuedWriteSession`) and the hot path's units of work
    (`bot.storage.transactions.SqliteWorker`) both wait in it.
    """
    queues = _WRITE_QUEUES.setdefault(asyncio.get_running_loop(), {})
    return queues.setdefault(database_url.render_as_string(hide_password=True), asyncio.Lock())


class QueuedWriteSession(AsyncSession):
    """A write session that first waits its turn in an in-process queue (SQLite only).

    SQLite admits one writer at a time, and writers that find it busy retry with
    growing sleeps (busy_timeout), in no particular order: under a burst of turns
    some waited seconds and the unlucky ones failed with "database is locked" (seen
    at 25 trainees enrolling at once in the benchmark). Waiting on an asyncio lock
    first hands the write lock over in arrival order, without polling. Every
    engine of the same database in this process shares the queue; other processes
    still meet busy_timeout.
    """

    def __init__(self, *args: Any, database_url: URL, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._database_url = database_url
        self._queued: asyncio.Lock | None = None

    async def __aenter__(self) -> QueuedWriteSession:
        self._queued = write_queue(self._database_url)
        await self._queued.acquire()
        return self

    async def __aexit__(
        self,
        type_: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            await super().__aexit__(type_, value, traceback)
        finally:
            if self._queued is not None:
                self._queued.release()
                self._queued = None


def read_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for read-only transactions (a deferred BEGIN, so readers never block writers)."""
    return async_sessionmaker(
        engine.execution_options(**{SQLITE_BEGIN: "DEFERRED"}), expire_on_commit=False
    )


def _ensure_directory(url: URL) -> None:
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def tune_sqlite(
    engine: Engine,
    *,
    foreign_keys: bool,
    busy_timeout_ms: int | None = None,
    extra_pragmas: tuple[str, ...] = (),
) -> None:
    """WAL, a busy timeout and foreign keys on every connection; SQLAlchemy emits BEGIN.

    The sqlite3 driver's own transaction handling starts a transaction only at the first
    write, so a read-then-write transaction can fail at once with "database is locked"
    (busy_timeout does not help there). Starting writes with BEGIN IMMEDIATE takes the
    write lock up front and lets waiting writers queue on busy_timeout instead. This is
    the recipe in SQLAlchemy's "Transactions with SQLite and the sqlite3 driver".
    """
    timeout = BUSY_TIMEOUT_MS if busy_timeout_ms is None else busy_timeout_ms
    pragmas = (
        f"PRAGMA busy_timeout = {timeout}",
        "PRAGMA journal_mode = WAL",
        # In WAL mode NORMAL syncs at checkpoints, not at every commit: a process crash
        # still loses nothing; an OS crash or power cut may lose the last commits.
        "PRAGMA synchronous = NORMAL",
        f"PRAGMA foreign_keys = {'ON' if foreign_keys else 'OFF'}",
        *extra_pragmas,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            for pragma in pragmas:
                cursor.execute(pragma)
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN, "IMMEDIATE")
        if mode not in _BEGIN_MODES:
            raise ValueError(f"{SQLITE_BEGIN} must be one of {sorted(_BEGIN_MODES)}, not {mode!r}")
        statement = f"BEGIN {mode}"
        driver = connection.connection.driver_connection
        if isinstance(driver, sqlite3.Connection):
            # straight to pysqlite: SQLAlchemy's statement path cost more than the BEGIN
            # itself, on every transaction of the hot path (`bot.storage.transactions`)
            try:
                driver.execute(statement)
                return
            except sqlite3.OperationalError:
                pass  # again below, so the caller gets SQLAlchemy's wrapped error
        connection.exec_driver_sql(statement)
