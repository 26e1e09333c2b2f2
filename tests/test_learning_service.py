"""The curriculum service over a real database: SQLite in tmp_path and, with
TEST_DATABASE_URL, PostgreSQL. Prompt answers are judged by the offline RuleJudge."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.catalog import load_catalog
from bot.domain.evaluation import Judge, RuptureMoment, TurnEvaluation
from bot.domain.ids import Pitfall, RepairStrategy
from bot.domain.safety import CrisisDetector
from bot.judges.rules import RuleJudge
from bot.learning import LearningCatalog, LearningError, LearningService, load_learning
from bot.learning.models import ModuleId, Noticed, RecognitionFamily
from bot.learning.records import DrillAttempt
from bot.progress_chart import progress_chart
from bot.storage import SqlLearningStore, SqlPracticeStore, create_engine_for, upgrade_database
from bot.storage.tables import DrillAttemptRow, PromptAttemptRow
from tests.test_storage import BACKENDS, TEST_DATABASE_URL, scratch_postgres_database

ROOT = Path(__file__).resolve().parent.parent
CURRICULUM = load_learning(ROOT / "content" / "modules")
RUBRICS = load_catalog(ROOT / "personas", ROOT / "rubrics").rubrics
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


class Clock:
    """A clock that moves one minute per reading, so attempts have distinct times."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@dataclass
class FixedJudge:
    """A judge that finds the moves it is told to find, and records what it was asked."""

    moves: tuple[RepairStrategy, ...] = ()
    name: str = "fixed"
    calls_model: bool = False
    seen: list[RuptureMoment] = field(default_factory=list)

    async def evaluate(self, moment: RuptureMoment) -> TurnEvaluation:
        self.seen.append(moment)
        if not self.moves:
            return TurnEvaluation(pitfalls=(Pitfall.IGNORES_RUPTURE,), rating=2)
        return TurnEvaluation(moves=self.moves, rating=4)


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'coach.db'}"
        return
    async with scratch_postgres_database(TEST_DATABASE_URL) as url:
        yield url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    await upgrade_database(database_url)
    engine = create_engine_for(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def user_id(engine: AsyncEngine) -> int:
    return (await SqlPracticeStore(engine).get_or_create_user("telegram", "42")).id


@pytest.fixture
def clock() -> Clock:
    return Clock()


def service_for(
    engine: AsyncEngine,
    clock: Clock,
    judge: Judge | None = None,
    catalog: LearningCatalog = CURRICULUM,
) -> LearningService:
    return LearningService(
        catalog=catalog,
        store=SqlLearningStore(engine),
        judge=judge or RuleJudge(RUBRICS),
        crisis=CrisisDetector.from_file(ROOT / "content" / "safety.yaml"),
        clock=clock,
    )


@pytest.fixture
def service(engine: AsyncEngine, clock: Clock) -> LearningService:
    return service_for(engine, clock)


def right_answer(service: LearningService, drill_id: str) -> tuple[str, str | None]:
    drill = service.drill(drill_id)
    return drill.noticed.value, drill.detail.answer if drill.detail else None


def wrong_noticed(service: LearningService, drill_id: str) -> str:
    return next(n.value for n in Noticed if n is not service.drill(drill_id).noticed)


# --- the module menu --------------------------------------------------------------------


async def test_module_menu_shows_every_module_to_do_for_a_new_trainee(
    service: LearningService, user_id: int
) -> None:
    menu = await service.module_status(user_id)

    assert [m.module_id for m in menu] == list(ModuleId)
    assert [m.title for m in menu] == [
        "Introduction",
        "Confrontation ruptures",
        "Withdrawal ruptures",
        "Mixed ruptures",
        "Immediate resolutions",
        "Expressive resolutions",
    ]
    for status in menu:
        assert status.state == "to_do"
        assert status.theory_pages >= 3
        assert status.drills_total >= 10
        assert status.prompts_total == 10
        assert (status.drills_answered, status.prompts_done) == (0, 0)
        assert status.accuracy is None


async def test_module_menu_counts_answers_and_accuracy_per_module(
    service: LearningService, user_id: int
) -> None:
    await service.answer_drill(user_id, "conf-d01", *right_answer(service, "conf-d01"))
    await service.answer_drill(user_id, "conf-d02", wrong_noticed(service, "conf-d02"))
    await service.answer_drill(user_id, "conf-d02", *right_answer(service, "conf-d02"))
    await service.answer_drill(user_id, "conf-d03", *right_answer(service, "conf-d03"))

    menu = {m.module_id: m for m in await service.module_status(user_id)}

    confrontation = menu[ModuleId.CONFRONTATION]
    assert confrontation.state == "in_progress"
    assert (confrontation.drills_answered, confrontation.drills_correct) == (3, 3)
    assert confrontation.accuracy == 0.75
    assert menu[ModuleId.INTRODUCTION].state == "to_do"


async def test_a_module_is_done_when_every_drill_is_right_and_every_prompt_answered(
    engine: AsyncEngine, clock: Clock, user_id: int
) -> None:
    service = service_for(engine, clock, FixedJudge((RepairStrategy.CHANGE_TASK_OR_GOAL,)))
    module = service.module("immediate")
    for drill in module.drills:
        await service.answer_drill(user_id, drill.id, *right_answer(service, drill.id))
    for prompt in module.prompts[:-1]:
        await service.answer_prompt(user_id, prompt.id, "Shall we try a different exercise?")

    almost = {m.module_id: m for m in await service.module_status(user_id)}
    await service.answer_prompt(user_id, module.prompts[-1].id, "We could change the plan.")
    done = {m.module_id: m for m in await service.module_status(user_id)}

    assert almost[ModuleId.IMMEDIATE].state == "in_progress"
    assert done[ModuleId.IMMEDIATE].done
    assert done[ModuleId.IMMEDIATE].prompts_done == 10
    assert done[ModuleId.IMMEDIATE].mean_rating == 4
    assert await service.next_drill(user_id, "immediate") is None
    assert await service.next_prompt(user_id, "immediate") is None


# --- drills -------------------------------------------------------------------------------


async def test_a_drill_answered_right(service: LearningService, user_id: int) -> None:
    result = await service.answer_drill(
        user_id, "intro-d01", "confrontation_rupture", "complaint_about_activities"
    )

    assert result.correct
    assert result.noticed_correct
    assert result.detail_correct is True
    assert result.right_noticed is Noticed.CONFRONTATION_RUPTURE
    assert result.right_detail == "complaint_about_activities"
    assert result.explanation.startswith(
        "The patient moves against the work, and the target is the task itself"
    )


async def test_a_drill_answered_wrong_shows_the_right_answers_and_why(
    service: LearningService, user_id: int
) -> None:
    result = await service.answer_drill(user_id, "intro-d07", "confrontation_rupture")

    assert not result.correct
    assert not result.noticed_correct
    assert result.detail_correct is None
    assert result.right_noticed is Noticed.WITHDRAWAL_RUPTURE
    assert result.right_detail == "content_affect_split"
    assert service.label(result.right_detail) == "Content/affect split"
    assert "Painful news told with a laugh" in result.explanation
    [attempt] = await stored(service).drill_attempts(user_id)
    assert attempt.family is RecognitionFamily.WITHDRAWAL
    assert attempt.target == "content_affect_split"


async def test_the_right_category_with_the_wrong_marker_is_not_correct(
    service: LearningService, user_id: int
) -> None:
    result = await service.answer_drill(user_id, "wd-d01", "withdrawal_rupture", "minimal_response")

    assert result.noticed_correct
    assert result.detail_correct is False
    assert not result.correct
    assert result.right_detail == "denial"


async def test_the_finer_answer_given_later_completes_the_newest_answer(
    service: LearningService, user_id: int
) -> None:
    """A group answers in two quizzes: the second vote completes the first answer."""
    assert not await service.answer_drill_detail(user_id, "wd-d01", "denial")  # nothing yet
    await service.answer_drill(user_id, "wd-d01", "withdrawal_rupture")
    await service.answer_drill(user_id, "wd-d01", "withdrawal_rupture")
    assert await service.answer_drill_detail(user_id, "wd-d01", "denial")
    older, newest = await stored(service).drill_attempts(user_id)
    assert (older.detail, older.correct) == (None, True)
    assert (newest.detail, newest.detail_correct, newest.correct) == ("denial", True, True)
    assert await service.answer_drill_detail(user_id, "wd-d01", "minimal_response")
    older, _ = await stored(service).drill_attempts(user_id)
    assert (older.detail, older.detail_correct, older.correct) == ("minimal_response", False, False)
    assert not await service.answer_drill_detail(user_id, "wd-d01", "denial")  # none open now
    with pytest.raises(LearningError, match="not one of the options"):
        await service.answer_drill_detail(user_id, "wd-d01", "astrology")


async def test_a_none_drill_has_no_finer_question(service: LearningService, user_id: int) -> None:
    drill = service.drill("intro-d03")
    result = await service.answer_drill(user_id, "intro-d03", "none")

    assert service.detail_question(drill) is None
    assert result.correct
    assert result.right_detail is None
    assert "Agreement is not withdrawal" in result.explanation


async def test_drill_answers_outside_the_options_are_refused(
    service: LearningService, user_id: int
) -> None:
    with pytest.raises(LearningError, match="'withdrawal' is not one of the options"):
        await service.answer_drill(user_id, "intro-d01", "withdrawal")
    with pytest.raises(LearningError, match="'shifting_topic' is not one of the options"):
        await service.answer_drill(user_id, "intro-d01", "confrontation_rupture", "shifting_topic")
    with pytest.raises(LearningError, match="There is no drill called 'nope'"):
        await service.answer_drill(user_id, "nope", "none")
    assert await stored(service).drill_attempts(user_id) == []


async def test_resume_continues_after_the_last_answer_and_returns_to_mistakes(
    engine: AsyncEngine, clock: Clock, user_id: int
) -> None:
    service = service_for(engine, clock)
    ids = [d.id for d in service.module("withdrawal").drills]
    first = await service.next_drill(user_id, "withdrawal")

    await service.answer_drill(user_id, ids[0], *right_answer(service, ids[0]))
    await service.answer_drill(user_id, ids[1], wrong_noticed(service, ids[1]))
    after_mistake = await service.next_drill(user_id, "withdrawal")
    restarted = service_for(engine, clock)
    after_restart = await restarted.next_drill(user_id, "withdrawal")
    for drill_id in ids[2:]:
        await restarted.answer_drill(user_id, drill_id, *right_answer(restarted, drill_id))
    back_to_mistake = await restarted.next_drill(user_id, "withdrawal")
    where = await restarted.resume(user_id)

    assert first is not None and first.id == ids[0]
    assert after_mistake is not None and after_mistake.id == ids[2]
    assert after_restart is not None and after_restart.id == ids[2]
    assert back_to_mistake is not None and back_to_mistake.id == ids[1]
    assert where is not None
    assert (where.kind, where.module_id, where.item_id, where.reason) == (
        "drill",
        ModuleId.WITHDRAWAL,
        ids[1],
        "resume",
    )


async def test_a_new_trainee_has_nothing_to_resume(service: LearningService, user_id: int) -> None:
    assert await service.resume(user_id) is None


def test_a_drill_as_a_quiz_poll(service: LearningService) -> None:
    noticed = service.quiz_poll("intro-d08")
    detail = service.quiz_poll("intro-d08", "detail")

    assert noticed.question == "What did you notice in the last line?"
    assert noticed.options == (
        "Confrontation rupture",
        "Withdrawal rupture",
        "Mixed rupture",
        "Immediate repair strategy",
        "Expressive repair strategy",
        "None is correct",
    )
    assert noticed.option_ids[noticed.correct_option_id] == "mixed_rupture"
    assert noticed.explanation.startswith("Sarcastic compliance: on the surface")
    assert noticed.explanation.endswith("while the tone attacks the task.")
    assert detail.question == "Which withdrawal marker carries the going-along side?"
    assert detail.option_ids[detail.correct_option_id] == "deferential_appeasing"
    assert sorted(detail.option_ids) == sorted(service.drill("intro-d08").detail.options)  # type: ignore[union-attr]
    assert all(len(option) <= 100 for option in (*noticed.options, *detail.options))


def test_finer_options_do_not_give_the_answer_away_by_position(service: LearningService) -> None:
    positions = {
        [option for option, _ in service.detail_options(drill)].index(drill.detail.answer)
        for module in service.modules()
        for drill in module.drills
        if drill.detail is not None
    }

    assert len(positions) >= 3
    assert service.detail_options(service.drill("conf-d05")) == service.detail_options(
        service.drill("conf-d05")
    )


# --- prompt exercises -----------------------------------------------------------------------


async def test_a_prompt_exercise_is_evaluated_with_the_model_answer(
    service: LearningService, user_id: int
) -> None:
    prompt = await service.next_prompt(user_id, "confrontation")
    assert prompt is not None and prompt.id == "conf-p01"

    result = await service.answer_prompt(
        user_id,
        prompt.id,
        "That's a fair question. I haven't lost a husband myself. "
        "What would you need from me to feel understood?",
    )

    assert result.evaluation is not None
    assert result.evaluation.judge == "rules"
    assert set(result.evaluation.moves) >= {
        RepairStrategy.VALIDATE_DEFENSE,
        RepairStrategy.EXPLORE_RUPTURE,
    }
    assert result.evaluation.rating >= 4
    assert result.hit_moves == (RepairStrategy.VALIDATE_DEFENSE, RepairStrategy.EXPLORE_RUPTURE)
    assert result.missed_moves == ()
    assert result.model_answer.startswith("That's a fair question. I haven't lost a husband")
    assert "validating" in result.why
    next_prompt = await service.next_prompt(user_id, "confrontation")
    assert next_prompt is not None and next_prompt.id == "conf-p02"


async def test_a_reply_that_pushes_on_misses_the_expected_moves(
    service: LearningService, user_id: int
) -> None:
    result = await service.answer_prompt(
        user_id, "wd-p01", "Okay. Next question: how many hours did you sleep last night?"
    )

    assert result.evaluation is not None
    assert Pitfall.IGNORES_RUPTURE in result.evaluation.pitfalls
    assert result.evaluation.rating <= 2
    assert result.hit_moves == ()
    assert result.missed_moves == (
        RepairStrategy.METACOMMUNICATION,
        RepairStrategy.VALIDATE_DEFENSE,
    )
    [attempt] = await stored(service).prompt_attempts(user_id, "withdrawal")
    assert attempt.reply == "Okay. Next question: how many hours did you sleep last night?"
    assert attempt.rating == result.evaluation.rating


async def test_the_judge_gets_the_patient_line_as_context_and_the_reply_as_data(
    engine: AsyncEngine, clock: Clock, user_id: int
) -> None:
    judge = FixedJudge((RepairStrategy.EXPLORE_RUPTURE,))
    service = service_for(engine, clock, judge)
    reply = "{{ 7 * 7 }} {% raw %}What has that been like for you?"

    result = await service.answer_prompt(user_id, "mixed-p06", f"  {reply}  ")

    [moment] = judge.seen
    assert moment.reply == reply
    assert moment.rupture.value == "mixed"
    assert moment.marker == "control_pressure"
    assert [u.text for u in moment.context] == [service.prompt("mixed-p06").patient]
    assert result.hit_moves == (RepairStrategy.EXPLORE_RUPTURE,)
    [attempt] = await stored(service).prompt_attempts(user_id)
    assert attempt.reply == reply


async def test_prompt_answers_that_cannot_be_judged(service: LearningService, user_id: int) -> None:
    with pytest.raises(LearningError, match="Your answer is empty"):
        await service.answer_prompt(user_id, "intro-p01", "   ")
    with pytest.raises(LearningError, match="2001 characters long"):
        await service.answer_prompt(user_id, "intro-p01", "x" * 2001)
    crisis = await service.answer_prompt(user_id, "intro-p01", "honestly I want to die")

    assert crisis.evaluation is None
    assert crisis.crisis_message is not None
    assert crisis.crisis_message.startswith("I've paused the role-play.")
    assert await stored(service).prompt_attempts(user_id) == []


# --- progress -----------------------------------------------------------------------------


async def test_progress_is_recorded_per_family_and_skill_and_charted(
    engine: AsyncEngine, clock: Clock, user_id: int
) -> None:
    service = service_for(engine, clock)
    for drill_id in ("conf-d01", "conf-d02", "conf-d03"):
        await service.answer_drill(user_id, drill_id, *right_answer(service, drill_id))
    await service.answer_drill(user_id, "conf-d04", wrong_noticed(service, "conf-d04"))
    await service.answer_drill(user_id, "wd-d01", wrong_noticed(service, "wd-d01"))
    await service.answer_drill(user_id, "wd-d02", *right_answer(service, "wd-d02"))
    await service.answer_prompt(
        user_id, "conf-p08", "I'm sorry, I was late. That was on me. What was it like out there?"
    )

    progress = await service.progress(user_id)
    families = {f.family: f for f in progress.recognition}
    skills = {s.skill: s for s in progress.skills}

    assert (progress.drills_answered, progress.prompts_answered) == (6, 1)
    assert families[RecognitionFamily.CONFRONTATION].accuracy == 0.75
    assert [p.accuracy for p in families[RecognitionFamily.CONFRONTATION].trend] == [
        1.0,
        1.0,
        1.0,
        0.75,
    ]
    assert families[RecognitionFamily.WITHDRAWAL].accuracy == 0.5
    assert families[RecognitionFamily.MIXED].accuracy is None
    assert skills[RepairStrategy.ACKNOWLEDGE_CONTRIBUTION].rate == 1.0
    assert skills[RepairStrategy.EXPLORE_RUPTURE].rate == 1.0
    assert skills[RepairStrategy.LINK_TO_PATTERN].expected == 0
    times = [p.at for p in families[RecognitionFamily.CONFRONTATION].trend]
    assert times == sorted(times)
    assert times[0].tzinfo is not None

    png = progress_chart(progress, CURRICULUM.glossary.labels)
    assert png.startswith(PNG_MAGIC)
    assert len(png) > 10_000


async def test_progress_is_summarised_per_week(
    engine: AsyncEngine, clock: Clock, user_id: int
) -> None:
    service = service_for(engine, clock)
    await service.answer_drill(user_id, "mixed-d01", *right_answer(service, "mixed-d01"))
    await service.answer_drill(user_id, "mixed-d02", wrong_noticed(service, "mixed-d02"))
    clock.now += timedelta(days=8)
    await service.answer_drill(user_id, "mixed-d03", *right_answer(service, "mixed-d03"))

    weeks = (await service.progress(user_id)).weeks

    assert [(w.week_start.isoformat(), w.drills, w.drill_accuracy) for w in weeks] == [
        ("2025-03-03", 2, 0.5),
        ("2025-03-10", 1, 1.0),
    ]
    assert all(w.prompts == 0 and w.mean_rating is None for w in weeks)


def test_the_chart_draws_for_a_trainee_with_no_answers_yet() -> None:
    from bot.learning import Progress
    from bot.learning.progress import family_progress, skill_progress

    empty = Progress(
        user_id=1,
        drills_answered=0,
        prompts_answered=0,
        recognition=family_progress([]),
        skills=skill_progress([]),
        suggestion=None,
    )

    assert progress_chart(empty).startswith(PNG_MAGIC)


async def test_the_next_suggestion_trains_the_weakest_skill(
    engine: AsyncEngine, clock: Clock, user_id: int
) -> None:
    explores = service_for(engine, clock, FixedJudge((RepairStrategy.EXPLORE_RUPTURE,)))
    # conf-p01 expects validate + explore, conf-p02 explore + change task: explore is hit
    # every time, validate and change task never.
    await explores.answer_prompt(user_id, "conf-p01", "What would you need from me?")
    await explores.answer_prompt(user_id, "conf-p02", "Tell me more.")
    await explores.answer_drill(user_id, "intro-d01", *right_answer(explores, "intro-d01"))
    progress = await explores.progress(user_id)
    suggestion = await explores.next_suggestion(user_id)

    assert suggestion == progress.suggestion
    assert suggestion is not None
    assert (suggestion.kind, suggestion.focus, suggestion.reason, suggestion.rate) == (
        "prompt",
        "change_task_or_goal",
        "weakest",
        0.0,
    )
    suggested = explores.prompt(suggestion.item_id)
    assert RepairStrategy.CHANGE_TASK_OR_GOAL in suggested.expected_moves
    assert suggestion.item_id not in {"conf-p01", "conf-p02"}
    assert suggestion.module_id is ModuleId.INTRODUCTION


async def test_a_weak_recognition_family_suggests_one_of_its_drills(
    engine: AsyncEngine, clock: Clock, user_id: int
) -> None:
    service = service_for(engine, clock)
    await service.answer_drill(user_id, "mixed-d01", wrong_noticed(service, "mixed-d01"))
    await service.answer_drill(user_id, "conf-d01", *right_answer(service, "conf-d01"))

    suggestion = await service.next_suggestion(user_id)

    assert suggestion is not None
    assert (suggestion.kind, suggestion.focus, suggestion.reason) == ("drill", "mixed", "weakest")
    assert service.drill(suggestion.item_id).family is RecognitionFamily.MIXED
    assert suggestion.item_id != "mixed-d01"


async def test_once_everything_practised_is_mastered_an_untried_skill_comes_next(
    service: LearningService, user_id: int
) -> None:
    await service.answer_drill(user_id, "conf-d01", *right_answer(service, "conf-d01"))

    suggestion = await service.next_suggestion(user_id)

    assert suggestion is not None
    assert (suggestion.kind, suggestion.focus, suggestion.reason) == (
        "drill",
        "withdrawal",
        "untried",
    )


async def test_a_new_trainee_is_pointed_at_the_first_drill(
    service: LearningService, user_id: int
) -> None:
    suggestion = await service.next_suggestion(user_id)

    assert suggestion is not None
    assert (suggestion.kind, suggestion.item_id, suggestion.reason) == (
        "drill",
        "intro-d01",
        "start",
    )


# --- storage, export and erasure ---------------------------------------------------------


async def test_attempts_for_an_unknown_user_are_refused(engine: AsyncEngine) -> None:
    store = SqlLearningStore(engine)
    attempt = DrillAttempt(
        user_id=999,
        module_id=ModuleId.INTRODUCTION,
        drill_id="intro-d01",
        noticed=Noticed.NONE,
        noticed_correct=False,
        correct=False,
        family=RecognitionFamily.CONFRONTATION,
        created_at=T0,
    )

    with pytest.raises(LookupError, match="no user 999"):
        await store.add_drill_attempt(attempt)


async def test_export_includes_the_curriculum_and_erase_removes_it(
    engine: AsyncEngine, clock: Clock, user_id: int
) -> None:
    service = service_for(engine, clock)
    practice = SqlPracticeStore(engine)
    other = (await practice.get_or_create_user("telegram", "43")).id
    await service.answer_drill(user_id, "intro-d02", "withdrawal_rupture", "minimal_response")
    await service.answer_prompt(user_id, "intro-p03", "You're right, I've mostly listened.")
    await service.answer_drill(other, "intro-d02", "none")

    exported = await practice.export_user(user_id)
    decoded = json.loads(json.dumps(exported))
    await practice.erase_user(user_id)

    assert decoded == exported
    [drill] = decoded["learning"]["drill_attempts"]
    assert (drill["drill_id"], drill["noticed"], drill["correct"]) == (
        "intro-d02",
        "withdrawal_rupture",
        True,
    )
    [prompt] = decoded["learning"]["prompt_attempts"]
    assert prompt["reply"] == "You're right, I've mostly listened."
    assert prompt["evaluation"]["judge"] == "rules"
    assert await service.module_status(user_id) == await service_for(engine, clock).module_status(
        user_id + 1000
    )
    assert await count(engine, DrillAttemptRow) == 1
    assert await count(engine, PromptAttemptRow) == 0
    assert len(await SqlLearningStore(engine).drill_attempts(other)) == 1


# --- helpers ------------------------------------------------------------------------------


def stored(service: LearningService) -> SqlLearningStore:
    assert isinstance(service.store, SqlLearningStore)
    return service.store


async def count(engine: AsyncEngine, table: type[DrillAttemptRow] | type[PromptAttemptRow]) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(select(func.count()).select_from(table))).scalar_one())
