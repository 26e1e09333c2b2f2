"""A user's data: exported as one JSON document, erased on request, purged after retention.

Transport-free, so the Telegram commands, the CLI and a future web page all give the
same answers.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

log = logging.getLogger(__name__)

EXPORT_FORMAT = "rupture-coach/my-data/v1"


class PrivacyStore(Protocol):
    async def export_user(self, user_id: int) -> dict[str, Any]: ...

    async def erase_user(self, user_id: int) -> None: ...

    async def purge_finished_sessions(self, before: datetime) -> int: ...


async def export_document(store: PrivacyStore, user_id: int, now: datetime | None = None) -> bytes:
    """Everything stored about the user, as readable UTF-8 JSON."""
    data = await store.export_user(user_id)
    document = {
        "format": EXPORT_FORMAT,
        "exported_at": (now or datetime.now(UTC)).isoformat(),
        **data,
    }
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=False).encode()


def retention_cutoff(retention_days: int, now: datetime | None = None) -> datetime | None:
    """Sessions that ended before this moment are due for deletion; None keeps everything."""
    if retention_days <= 0:
        return None
    return (now or datetime.now(UTC)) - timedelta(days=retention_days)


async def purge_expired(
    store: PrivacyStore, retention_days: int, now: datetime | None = None
) -> int:
    """Delete finished sessions older than the retention period; returns how many went."""
    cutoff = retention_cutoff(retention_days, now)
    if cutoff is None:
        return 0
    purged = await store.purge_finished_sessions(cutoff)
    if purged:
        log.info("retention: deleted %d session(s) that ended before %s", purged, cutoff.date())
    return purged
