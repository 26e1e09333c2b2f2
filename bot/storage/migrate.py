"""Schema migrations with Alembic, driven from code (no alembic.ini needed).

The app calls `upgrade_database` at start-up. A developer adding a revision runs e.g.::

    from alembic import command
    command.revision(alembic_config("sqlite:///dev.db"), "add x", autogenerate=True, rev_id="0002")
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Final
from weakref import WeakKeyDictionary

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from bot.storage.db import build_engine

MIGRATIONS: Final = Path(__file__).resolve().with_name("migrations")
_MIGRATION_LOCKS: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = WeakKeyDictionary()


class MigrationError(RuntimeError):
    """A migration left the database inconsistent; it was rolled back."""


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config for the packaged migrations; `url` is used when no connection is given."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    if url is not None:
        config.attributes["url"] = url
    return config


async def upgrade_database(url: str, revision: str = "head") -> None:
    """Bring the schema up to `revision` (default: the newest) in one transaction."""
    await run_alembic(url, lambda config: command.upgrade(config, revision))


async def downgrade_database(url: str, revision: str = "base") -> None:
    """Take the schema back to `revision`; the default, "base", drops every table."""
    await run_alembic(url, lambda config: command.downgrade(config, revision))


async def database_revision(url: str) -> str | None:
    """The revision the database is at, or None if it has never been migrated."""
    engine = build_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
    finally:
        await engine.dispose()


def head_revision() -> str | None:
    """The newest revision shipped with the code."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def run_alembic(url: str, action: Callable[[Config], None]) -> None:
    """Run an Alembic command, ``action(config)``, on `url` in one transaction.

    Alembic keeps the running migration context in module globals, so migrations in one
    event loop take turns; separate processes are kept apart by the database (BEGIN
    IMMEDIATE on SQLite, an advisory lock on PostgreSQL).
    """
    loop = asyncio.get_running_loop()
    lock = _MIGRATION_LOCKS.setdefault(loop, asyncio.Lock())
    async with lock:
        engine = build_engine(url, foreign_keys=False)
        try:
            async with engine.begin() as connection:
                await connection.run_sync(run_on_connection, action)
        finally:
            await engine.dispose()


def run_on_connection(connection: Connection, action: Callable[[Config], None]) -> None:
    """Run an Alembic command on `connection`, inside the caller's transaction."""
    config = alembic_config()
    config.attributes["connection"] = connection
    action(config)
