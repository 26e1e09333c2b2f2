"""Storage adapter: the only package that imports SQLAlchemy.

Wiring at start-up::

    await upgrade_database(url)
    engine = create_engine_for(url)
    store = SqlPracticeStore(engine)
    learning_store = SqlLearningStore(engine)
    ...
    await engine.dispose()
"""

from bot.storage.db import DatabaseURLError, async_url, create_engine_for
from bot.storage.learning_repository import SqlLearningStore
from bot.storage.migrate import (
    MigrationError,
    database_revision,
    downgrade_database,
    head_revision,
    upgrade_database,
)
from bot.storage.repository import SqlPracticeStore

__all__ = [
    "DatabaseURLError",
    "MigrationError",
    "SqlLearningStore",
    "SqlPracticeStore",
    "async_url",
    "create_engine_for",
    "database_revision",
    "downgrade_database",
    "head_revision",
    "upgrade_database",
]
