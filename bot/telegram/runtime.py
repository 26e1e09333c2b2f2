"""What bot processes share: FSM state, per-user ordering, seen update ids, in-flight turns.

One process keeps these in memory. Several replicas behind a webhook keep them in
Redis (`REDIS_URL`): aiogram's `RedisStorage` for FSM state, an ordered variant of
`RedisEventIsolation` so one user's updates run one at a time and oldest first
whichever replica received them, and update ids claimed with ``SET NX`` so Telegram
redelivering an update (or two replicas both receiving it) produces one turn.

The dispatcher's outer middlewares run in this order: aiogram's error and user
context middlewares, `UpdateGuard` (duplicates dropped, in-flight work tracked), then
the FSM middleware that takes the per-user lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncGenerator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from aiogram import BaseMiddleware, Dispatcher
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, DefaultKeyBuilder, StorageKey
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import TelegramObject, Update
from redis.asyncio import Redis
from redis.exceptions import LockError

from bot.config import Settings
from bot.practice.privacy import PrivacyStore, purge_expired

log = logging.getLogger(__name__)

#: update ids remembered by one process (about a day of a busy bot's traffic)
MEMORY_SEEN_UPDATES: Final = 50_000
#: how long a handled update id is remembered in Redis (Telegram redelivers for hours at most)
DONE_TTL_S: Final = 24 * 3600
POLL_S: Final = 0.02
KEY_PREFIX: Final = "rc"
#: time for Telegram calls on top of the model calls in one update
TELEGRAM_MARGIN_S: Final = 30.0
PURGE_EVERY_S: Final = 3600.0

#: the update being handled in this task, so the isolation lock can order by it
CURRENT_UPDATE: ContextVar[int | None] = ContextVar("current_update", default=None)


class SeenUpdates(Protocol):
    """Updates being or already handled, so a repeated update is handled once.

    An update is named by ``"<bot id>:<update id>"`` (update ids are per bot).
    """

    async def claim(self, update: str) -> bool:
        """True for the first claim of `update`; False for a duplicate."""
        ...

    async def done(self, update: str) -> None: ...

    async def release(self, update: str) -> None:
        """Forget a claim whose handling was cut off, so a redelivery is handled."""
        ...


class MemorySeenUpdates:
    """A bounded LRU of update ids, for a single process."""

    def __init__(self, size: int = MEMORY_SEEN_UPDATES) -> None:
        self.size = size
        self._seen: OrderedDict[str, None] = OrderedDict()

    async def claim(self, update: str) -> bool:
        if update in self._seen:
            self._seen.move_to_end(update)
            return False
        self._seen[update] = None
        while len(self._seen) > self.size:
            self._seen.popitem(last=False)
        return True

    async def done(self, update: str) -> None:
        return None

    async def release(self, update: str) -> None:
        self._seen.pop(update, None)


class RedisSeenUpdates:
    """Updates in Redis: claimed with SET NX while in flight, kept for a day once done.

    A claim left by a killed process expires after `pending_ttl_s`, so Telegram's next
    redelivery of that update is handled then.
    """

    def __init__(
        self,
        redis: Redis,
        pending_ttl_s: float,
        done_ttl_s: float = DONE_TTL_S,
        prefix: str = KEY_PREFIX,
    ) -> None:
        self.redis = redis
        self.pending_ttl_ms = int(pending_ttl_s * 1000)
        self.done_ttl_ms = int(done_ttl_s * 1000)
        self.prefix = prefix

    def _key(self, update: str) -> str:
        return f"{self.prefix}:update:{update}"

    async def claim(self, update: str) -> bool:
        claimed = await self.redis.set(self._key(update), "1", nx=True, px=self.pending_ttl_ms)
        return bool(claimed)

    async def done(self, update: str) -> None:
        await self.redis.set(self._key(update), "2", px=self.done_ttl_ms)

    async def release(self, update: str) -> None:
        await self.redis.delete(self._key(update))


@dataclass
class InFlight:
    """The updates this process is handling, so shutdown can wait for them."""

    tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    draining: bool = False
    _idle: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self._idle.set()

    def enter(self) -> None:
        task = asyncio.current_task()
        if task is not None:
            self.tasks.add(task)
        self._idle.clear()

    def leave(self) -> None:
        task = asyncio.current_task()
        if task is not None:
            self.tasks.discard(task)
        if not self.tasks:
            self._idle.set()

    @property
    def count(self) -> int:
        return len(self.tasks)

    async def drain(self, grace_s: float) -> int:
        """Wait up to `grace_s` for in-flight updates, then cancel the rest; returns how many.

        A cancelled turn is safe: what was stored stays, the update id is released for
        Telegram's redelivery, and the next message finishes what the session still owes.
        """
        self.draining = True
        if self.tasks:
            log.info("shutting down: waiting for %d update(s) in flight", len(self.tasks))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), timeout=grace_s)
        left = [t for t in self.tasks if not t.done()]
        for task in left:
            task.cancel()
        if left:
            log.warning("shutting down: %d update(s) cut off and handed back", len(left))
            await asyncio.gather(*left, return_exceptions=True)
        return len(left)


class UpdateGuard(BaseMiddleware):
    """Outer update middleware: one handling per update id, and in-flight tracking."""

    def __init__(self, seen: SeenUpdates, in_flight: InFlight) -> None:
        self.seen = seen
        self.in_flight = in_flight

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if not isinstance(event, Update):
            return await handler(event, data)
        update_id = event.update_id
        bot = data.get("bot")
        name = f"{bot.id if bot is not None else 0}:{update_id}"
        if not await self.seen.claim(name):
            log.info("update %s is a duplicate; ignored", update_id)
            return None
        token = CURRENT_UPDATE.set(update_id)
        self.in_flight.enter()
        try:
            result = await handler(event, data)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await asyncio.shield(self.seen.release(name))
            raise
        except Exception:
            await self.seen.done(name)  # the error handler answers it; no redelivery
            raise
        finally:
            self.in_flight.leave()
            CURRENT_UPDATE.reset(token)
        await self.seen.done(name)
        return result


class OrderedRedisEventIsolation(BaseEventIsolation):
    """`RedisEventIsolation` that also keeps each user's updates in update-id order.

    A Redis lock alone admits waiters in no particular order, so a burst of messages
    spread over replicas could be answered out of order. Each waiting update joins a
    per-user queue (a sorted set scored by update id) and takes the lock only when it
    is at the head. A queue entry left by a killed process is dropped once it is older
    than the lock's timeout, so a crash delays that user's next update, never blocks it.
    """

    def __init__(
        self,
        redis: Redis,
        *,
        lock_timeout_s: float,
        key_builder: DefaultKeyBuilder | None = None,
        poll_s: float = POLL_S,
    ) -> None:
        self.redis = redis
        self.lock_timeout_s = lock_timeout_s
        self.key_builder = key_builder or DefaultKeyBuilder(prefix=f"{KEY_PREFIX}:fsm")
        self.poll_s = poll_s

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        name = self.key_builder.build(key, "lock")
        update_id = CURRENT_UPDATE.get()
        queue = f"{name}:queue"
        member = f"{update_id}@{time.time():.3f}"
        if update_id is not None:
            await self.redis.zadd(queue, {member: update_id})
            await self.redis.expire(queue, int(self.lock_timeout_s * 4) + 60)
        try:
            if update_id is not None:
                await self._wait_for_turn(queue, member)
            lock = self.redis.lock(name, timeout=self.lock_timeout_s, sleep=self.poll_s)
            await lock.acquire()
            try:
                yield None
            finally:
                try:
                    await asyncio.shield(lock.release())
                except LockError:
                    log.warning("a per-user lock expired before its update was done")
        finally:
            if update_id is not None:
                with contextlib.suppress(Exception):
                    await asyncio.shield(self.redis.zrem(queue, member))

    async def _wait_for_turn(self, queue: str, member: str) -> None:
        while True:
            head = await self.redis.zrange(queue, 0, 0)
            if not head:
                return
            first = head[0].decode() if isinstance(head[0], bytes) else str(head[0])
            if first == member:
                return
            joined = float(first.rpartition("@")[2] or 0)
            if time.time() - joined > self.lock_timeout_s:
                log.warning("dropping a stale queue entry left by a stopped process")
                await self.redis.zrem(queue, first)
                continue
            await asyncio.sleep(self.poll_s)

    async def close(self) -> None:
        return None


class SharedRedisStorage(RedisStorage):
    """`RedisStorage` whose client belongs to the `Runtime`, closed after in-flight work.

    The dispatcher closes its FSM storage first thing at shutdown, while turns may still
    be finishing; the runtime closes the client once they are done.
    """

    async def close(self) -> None:
        return None


@dataclass
class Runtime:
    storage: BaseStorage
    isolation: BaseEventIsolation
    seen: SeenUpdates
    in_flight: InFlight = field(default_factory=InFlight)
    redis: Redis | None = None

    @classmethod
    def in_memory(cls) -> Runtime:
        """One process: FSM in memory, per-user asyncio locks (first come, first served)."""
        return cls(MemoryStorage(), SimpleEventIsolation(), MemorySeenUpdates())

    @classmethod
    def with_redis(cls, redis: Redis, *, turn_budget_s: float, prefix: str = KEY_PREFIX) -> Runtime:
        """Replicas: everything in Redis, under keys starting with `prefix`.

        `turn_budget_s` bounds one update's handling (lock timeout, claim expiry).
        """
        builder = DefaultKeyBuilder(prefix=f"{prefix}:fsm", with_bot_id=True)
        return cls(
            storage=SharedRedisStorage(redis, key_builder=builder),
            isolation=OrderedRedisEventIsolation(
                redis, lock_timeout_s=turn_budget_s, key_builder=builder
            ),
            seen=RedisSeenUpdates(redis, pending_ttl_s=turn_budget_s, prefix=prefix),
            redis=redis,
        )

    def dispatcher(self, **workflow_data: Any) -> Dispatcher:
        """A dispatcher with the guard in front of the FSM middleware and its per-user lock."""
        dp = Dispatcher(
            storage=self.storage,
            events_isolation=self.isolation,
            disable_fsm=True,  # registered below, after the guard
            **workflow_data,
        )
        dp.update.outer_middleware(UpdateGuard(self.seen, self.in_flight))
        dp.update.outer_middleware(dp.fsm)
        return dp

    async def ping(self) -> bool:
        if self.redis is None:
            return True
        try:
            return bool(await self.redis.ping())
        except Exception:  # any failure means "not healthy"
            return False

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()


def open_runtime(redis_url: str | None, *, turn_budget_s: float) -> Runtime:
    """Redis when a URL is configured, else memory (a single process)."""
    if not redis_url:
        return Runtime.in_memory()
    return Runtime.with_redis(Redis.from_url(redis_url), turn_budget_s=turn_budget_s)


def turn_budget_s(settings: Settings) -> float:
    """The longest one update may take: a judge and a patient call, each with its retries."""
    per_call = settings.model_timeout_seconds * (settings.model_max_retries + 1)
    return 2 * per_call + TELEGRAM_MARGIN_S


def keep_purging(
    dp: Dispatcher, store: PrivacyStore, retention_days: int, every_s: float = PURGE_EVERY_S
) -> None:
    """Delete sessions past retention at start-up and then every `every_s` while running.

    Every replica does it; the deletes are idempotent.
    """
    tasks: list[asyncio.Task[None]] = []

    async def purge_forever() -> None:
        while True:
            try:
                await purge_expired(store, retention_days)
            except Exception:  # a failed purge is retried next round, never fatal
                log.exception("retention purge failed")
            await asyncio.sleep(every_s)

    async def start() -> None:
        tasks.append(asyncio.create_task(purge_forever()))

    async def stop() -> None:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    dp.startup.register(start)
    dp.shutdown.register(stop)
