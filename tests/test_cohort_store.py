"""The cohort store and service over SQLite and (with TEST_DATABASE_URL) PostgreSQL:
roles, invites, membership, assignments, shares and views, export and erasure."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.cohorts.records import AssignmentKind, Role, ShareVia
from bot.cohorts.service import CohortError, CohortService
from bot.cohorts.sharing import SharingService
from bot.domain.catalog import load_catalog
from bot.practice.records import UserRecord
from bot.storage import SqlPracticeStore, create_engine_for, upgrade_database
from bot.storage.cohort_repository import SqlCohortStore
from tests.helpers import ROOT, open_practice
from tests.test_storage import BACKENDS, TEST_DATABASE_URL, scratch_postgres_database

CATALOG = load_catalog(ROOT / "personas", ROOT / "rubrics")
META = (
    "I notice that since I brought up the homework things have felt tense between us. "
    "I think I pushed it on you without asking how it was for you, and that's on me."
)


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'coach.db'}"
        return
    async with scratch_postgres_database(TEST_DATABASE_URL) as url:
        yield url


async def consented(store: SqlPracticeStore, telegram_id: str) -> UserRecord:
    user = await store.get_or_create_user("telegram", telegram_id)
    await store.set_consent(user.id, True)
    return user.model_copy(update={"consented": True})


async def test_cohort_lifecycle_export_and_erasure(database_url: str) -> None:
    await upgrade_database(database_url)
    engine = create_engine_for(database_url)
    try:
        users = SqlPracticeStore(engine)
        store = SqlCohortStore(engine)
        service = CohortService(store, users, CATALOG.persona, admin_ids=frozenset({"1"}))
        sharing = SharingService(store, users, service)
        admin = await consented(users, "1")
        trainer = await consented(users, "2")
        rival = await consented(users, "3")
        trainee = await consented(users, "4")

        with pytest.raises(CohortError, match="Only trainers"):
            await service.create_cohort(trainee, "Mine")
        await service.set_trainer(admin, "2", True)
        await service.set_trainer(admin, "3", True)
        assert await service.role(trainer) is Role.TRAINER
        cohort = await service.create_cohort(trainer, "  Spring   CBT ")
        assert cohort.name == "Spring CBT"
        invite = await service.invite(trainer, cohort.id)
        assert (await service.invite(trainer, cohort.id)).token == invite.token
        renewed = await service.invite(trainer, cohort.id, renew=True)
        assert renewed.token != invite.token
        with pytest.raises(CohortError, match="isn't valid any more"):
            await service.join(trainee, invite.token, "Alex")
        joined = await service.join(trainee, renewed.token, "Alex Doe")
        assert not joined.already_member and joined.member.display_name == "Alex Doe"
        with pytest.raises(CohortError, match="isn't yours"):
            await service.report(rival, cohort.id)
        with pytest.raises(CohortError, match="Only trainers"):
            await service.report(trainee, cohort.id)

        await service.assign(trainer, cohort.id, AssignmentKind.PERSONA, "homework-pointless", 7)
        with pytest.raises(CohortError, match="no persona called 'nobody'"):
            await service.assign(trainer, cohort.id, AssignmentKind.PERSONA, "nobody")
        [status] = await service.assignments_for(trainee)
        assert (status.title, status.done, status.overdue) == (
            "The homework is pointless",
            False,
            False,
        )

        async with open_practice(database_url) as practice:
            await practice.start(trainee.id, "homework-pointless", seed=1)
            await practice.reply(trainee.id, META)
            await practice.end(trainee.id)
            [summary] = await practice.history(trainee.id)
        report = await service.report(trainer, cohort.id)
        [row] = report.trainees
        assert (row.sessions_done, row.assignments_done) == (1, 1)
        assert row.moves.get("metacommunication") == 1

        share = await sharing.share(trainee, summary.id, cohort.id)
        opened = await sharing.open(trainer, share.id)
        assert opened.label == joined.member.pseudonym
        with pytest.raises(CohortError, match="isn't shared with you"):
            await sharing.open(rival, share.id)
        assert [v.via for v in await store.views(share.id)] == [ShareVia.PRIVATE]

        exported = await users.export_user(trainee.id)
        assert json.loads(json.dumps(exported)) == exported
        mine = exported["cohorts"]
        assert [m["pseudonym"] for m in mine["memberships"]] == [joined.member.pseudonym]
        assert [s["session_id"] for s in mine["shares"]] == [summary.id]
        assert mine["shares"][0]["views"][0]["via"] == "private"
        assert (await users.export_user(trainer.id))["cohorts"]["cohorts_trained"][0][
            "name"
        ] == "Spring CBT"

        await users.erase_user(trainee.id)
        assert await store.members(cohort.id) == []
        assert await store.get_share(share.id) is None
        await users.erase_user(trainer.id)
        assert await store.get_cohort(cohort.id) is None
    finally:
        await engine.dispose()
