"""Short units of work on a plain (sync) SQLAlchemy connection, one hop per transaction.

The practice hot path (who is writing, their active session, storing a turn) runs a
few Core statements per transaction. Through the async engine every statement is a
round trip to aiosqlite's thread plus the async pool's bookkeeping: about 2 ms per
transaction in the benchmark, most of a turn's cost. Here a whole transaction is one
function that runs in one go:

- **SQLite**: on a sync pysqlite connection, on the event loop's own thread while the
  database is free (0.3-0.6 ms per transaction), else in a worker thread that waits for
  the lock (`SqliteWorker`).
- **PostgreSQL**: through ``run_sync`` on a pool of its own (no pre-ping; a dropped
  connection is retried once), after waiting for a free connection without a deadline
  (an asyncio semaphore of the pool's size), so a burst of turns queues instead of failing
  with the pool's 30 s timeout. In-memory SQLite, which a second engine could not see, uses
  the caller's engine the same way.
"""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar, Final, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.storage.db import SQLITE_BEGIN, tune_sqlite, write_queue
from bot.storage.hot_cache import HotCache, Version

T = TypeVar("T")
Work = Callable[[Connection], T]

#: connections a PostgreSQL engine hands out at once (SQLAlchemy's default pool: 5 + 10)
POOL_CONNECTIONS: Final = 15
#: SQLite writes between two WAL checkpoints (in the worker thread; the inline connection
#: never checkpoints, so the event loop never waits for the file to be synced)
CHECKPOINT_EVERY: Final = 200


class Transactions:
    """``await tx.read(work)`` / ``await tx.write(work)``: `work(connection)` in one transaction.

    `work` is synchronous and must not await; it runs Core statements and returns plain
    values. Writes commit when it returns and roll back if it raises.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._own: AsyncEngine | None = None
        self._gate = asyncio.Semaphore(POOL_CONNECTIONS)
        self._worker: SqliteWorker | None = None
        if engine.dialect.name == "sqlite" and _is_file(engine):
            self._worker = SqliteWorker.acquire(engine.url)
        elif engine.dialect.name == "postgresql":
            # Its own pool without pre-ping: the ping is a round trip before every
            # transaction (half of one's cost); a connection the server dropped is
            # retried once instead (`_on_postgresql`).
            self._own = self._engine = create_async_engine(engine.url, pool_size=5, max_overflow=10)
        if engine.dialect.name == "postgresql":
            # Reads without BEGIN and COMMIT: two round trips fewer each. Under PostgreSQL's
            # READ COMMITTED every statement takes its own snapshot either way, so a unit of
            # reads sees exactly what it saw inside a transaction.
            self._reader = self._engine.execution_options(isolation_level="AUTOCOMMIT")
        else:
            self._reader = self._engine.execution_options(**{SQLITE_BEGIN: "DEFERRED"})
        #: what turns read, shared by every store of this database in the process; only a
        #: SQLite file's version can vouch for it (elsewhere it is never valid, so never used)
        self.cache = HotCache() if self._worker is None else self._worker.cache

    async def read(self, work: Work[T]) -> T:
        if self._worker is not None:
            return await self._worker.run(_read_in, work)
        return await self._on_postgresql(self._reader, work)

    async def write(self, work: Work[T]) -> T:
        if self._worker is not None:
            return await self._worker.run(_write_in, work)
        return await self._on_postgresql(self._engine, work)

    def version(self) -> Version | None:
        """A token that changes whenever the database may have changed; None: no such token.

        Only a SQLite file has one (`SqliteWorker.version`); a cache of rows is valid for
        as long as the token it was read under.
        """
        return None if self._worker is None else self._worker.version()

    async def _on_postgresql(self, engine: AsyncEngine, work: Work[T]) -> T:
        """`work` in a transaction; once more on a fresh connection if the server dropped it.

        Repeating a write is safe here: if the first attempt did commit before the
        connection died, the repeat meets the unique (session, index) key (`TurnExists`,
        which the practice service resolves by reading the session back) or sets the same
        evaluation again.
        """
        for attempt in range(2):
            try:
                async with self._gate, engine.begin() as connection:
                    return await connection.run_sync(work)
            except DBAPIError as exc:
                if attempt or not exc.connection_invalidated:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Release the SQLite worker; dispose of the own pool (runs inside ``dispose()``)."""
        if self._worker is not None:
            self._worker.release()
            self._worker = None
        if self._own is not None:
            self._own.sync_engine.dispose()
            self._own = None


class SqliteWorker:
    """SQLite units of work, run on the event loop's thread when the database is free.

    A unit is a few Core statements on a local file (0.3-0.6 ms). Handing each one to a
    thread cost more than the work itself: the GIL hand-over added ~1 ms per hop, three
    to four hops a turn. So a unit first runs right here, on a connection that never
    waits (``busy_timeout = 0``, no automatic checkpoint): nothing in it can block the
    loop. If the database is busy (another process or another engine holds the write
    lock) SQLite refuses at BEGIN, before anything was done, and the unit runs again in
    the worker thread, whose connection waits ``busy_timeout`` for the lock. The WAL is
    checkpointed in that thread, every `CHECKPOINT_EVERY` writes, since checkpoints sync
    the file.

    One worker per database file, shared by every engine of it in this process.

    `version()` lets a cache know when to forget: SQLite's ``data_version`` changes when
    any other connection (another engine, thread or process) commits, and the worker
    counts the writes made on its own connection.
    """

    _open: ClassVar[dict[str, SqliteWorker]] = {}

    def __init__(self, url: URL) -> None:
        self._key = url.render_as_string(hide_password=False)
        self._url = url
        self._users = 0
        sync_url = url.set(drivername="sqlite+pysqlite")
        self._inline = create_engine(sync_url, pool_size=1, max_overflow=0)
        tune_sqlite(
            self._inline,
            foreign_keys=True,
            busy_timeout_ms=0,
            extra_pragmas=("PRAGMA wal_autocheckpoint = 0",),
        )
        self._engine = create_engine(sync_url, pool_size=1, max_overflow=0)
        tune_sqlite(self._engine, foreign_keys=True)
        # reads begin DEFERRED; options set once here (per connection they cost ~0.1 ms)
        self._inline_reader = self._inline.execution_options(**{SQLITE_BEGIN: "DEFERRED"})
        self._reader = self._engine.execution_options(**{SQLITE_BEGIN: "DEFERRED"})
        self.cache = HotCache()
        self._connects = 0
        self._connection: Any = None
        self._writes = 0
        event.listen(self._inline, "connect", self._on_connect)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-tx")
        self._checkpoint: asyncio.Future[None] | None = None

    @classmethod
    def acquire(cls, url: URL) -> SqliteWorker:
        key = url.render_as_string(hide_password=False)
        worker = cls._open.get(key)
        if worker is None:
            worker = cls._open[key] = cls(url)
        worker._users += 1
        return worker

    def release(self) -> None:
        self._users -= 1
        if self._users <= 0 and self._open.get(self._key) is self:
            del self._open[self._key]
            self._thread.submit(_checkpoint, self._engine)
            self._thread.shutdown(wait=True)
            self._inline.dispose()
            self._engine.dispose()

    def _on_connect(self, dbapi_connection: Any, _record: Any) -> None:
        self._connects += 1
        self._connection = dbapi_connection

    def version(self) -> Version | None:
        """Changes whenever anything may have written since: see the class docstring.

        Read off the inline connection between units of work (they run whole on this
        thread, so none is half done); a closed or failing connection gives None.
        """
        connection = self._connection
        if connection is None:
            return None
        try:
            (data_version,) = connection.execute("PRAGMA data_version").fetchone()
        except sqlite3.Error:
            return None
        return (self._connects, int(data_version), self._writes)

    async def run(self, runner: Callable[[Engine, Work[T]], T], work: Work[T]) -> T:
        if runner is _read_in:
            return await self._attempt(runner, work, self._inline_reader, self._reader)
        # Writers of this process queue here, the ORM's write sessions included, so a unit
        # meets the lock only when another process holds it: queued behind one that went to
        # the thread, the next no longer finds the lock taken and follows it there, and so
        # on (seen as hundreds of thread hops while trainees enrolled during a burst).
        async with write_queue(self._url):
            self._writes += 1  # counted before it runs: a failed write makes a cache forget too
            result = await self._attempt(runner, work, self._inline, self._engine)
        if self._writes % CHECKPOINT_EVERY == 0 and (
            self._checkpoint is None or self._checkpoint.done()
        ):
            loop = asyncio.get_running_loop()
            self._checkpoint = loop.run_in_executor(self._thread, _checkpoint, self._engine)
        return result

    async def _attempt(
        self,
        runner: Callable[[Engine, Work[T]], T],
        work: Work[T],
        inline: Engine,
        waiting: Engine,
    ) -> T:
        """`work` on the loop's thread; in the worker thread if SQLite says it is busy."""
        try:
            return runner(inline, work)
        except OperationalError as exc:
            if not _is_busy(exc):
                raise
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, runner, waiting, work)


def _checkpoint(engine: Engine) -> None:
    """Copy committed WAL pages into the database file (outside any transaction)."""
    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        assert driver is not None
        driver.execute("PRAGMA wal_checkpoint(PASSIVE)")
    finally:
        raw.close()


def _is_busy(error: OperationalError) -> bool:
    """SQLITE_BUSY / SQLITE_LOCKED: someone else holds the lock; nothing was done yet."""
    message = str(error.orig).lower()
    return "locked" in message or "busy" in message


def _read_in(engine: Engine, work: Work[T]) -> T:
    with engine.connect() as connection, connection.begin():
        return work(connection)


def _write_in(engine: Engine, work: Work[T]) -> T:
    with engine.begin() as connection:
        return work(connection)


def _is_file(engine: AsyncEngine) -> bool:
    database = engine.url.database or ""
    return database not in ("", ":memory:") and "mode=memory" not in str(engine.url)


_SHARED: weakref.WeakKeyDictionary[Engine, Transactions] = weakref.WeakKeyDictionary()


def transactions_for(engine: AsyncEngine) -> Transactions:
    """One `Transactions` per engine, closed when the engine is disposed.

    Stores built over the same engine share it; ``await engine.dispose()`` closes it.
    """
    key = engine.sync_engine
    shared = _SHARED.get(key)
    if shared is None:
        shared = _SHARED[key] = Transactions(engine)

        @event.listens_for(key, "engine_disposed")
        def _close(_engine: Any) -> None:
            closing = _SHARED.pop(key, None)
            if closing is not None:
                closing.close()

    return shared
