"""Alembic environment: runs on the connection `bot.storage.migrate` hands over, else on a URL.

The whole run is one transaction. On PostgreSQL an advisory lock keeps two starting
processes from migrating at once; on SQLite (where migrations run with foreign-key
enforcement off, see `bot.storage.db.build_engine`) the keys are checked at the end.
"""

from __future__ import annotations

import asyncio
from typing import Final

from alembic import context
from sqlalchemy.engine import Connection

from bot.storage.db import build_engine
from bot.storage.migrate import MigrationError
from bot.storage.tables import Base

PG_MIGRATION_LOCK: Final = 0x52555054

config = context.config
target_metadata = Base.metadata


def _configure_and_run(connection: Connection) -> None:
    dialect = connection.dialect.name
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=dialect == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        if dialect == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_MIGRATION_LOCK})")
        context.run_migrations()
        if dialect == "sqlite":
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise MigrationError(f"migration broke foreign keys: {broken[:5]!r}")


async def _run_on_url(url: str) -> None:
    engine = build_engine(url, foreign_keys=False)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_configure_and_run)
    finally:
        await engine.dispose()


def _url() -> str:
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database: pass a URL to bot.storage.migrate.alembic_config(url)")
    return str(url)


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif (shared := config.attributes.get("connection")) is not None:
    _configure_and_run(shared)
else:
    asyncio.run(_run_on_url(_url()))
