"""The curriculum service: theory, recognition drills and prompt exercises for one trainee.

Telegram and the terminal both drive this service; neither holds curriculum logic.
Every answer is stored before the result is returned, and "where did I leave off"
is derived from the stored answers. The trainee's text is quoted to the judge as
data and never rendered as a template.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from bot.domain.evaluation import Judge, Language, RuptureMoment, TurnEvaluation, Utterance
from bot.domain.ids import RepairStrategy, Speaker
from bot.domain.safety import CrisisDetector
from bot.learning.catalog import LearningCatalog
from bot.learning.checks import detail_kind
from bot.learning.models import (
    Drill,
    Module,
    ModuleId,
    Noticed,
    PromptExercise,
    QuizPoll,
    TheoryPage,
)
from bot.learning.next_step import next_drill, next_prompt, resume_point, suggest
from bot.learning.progress import family_progress, module_status, skill_progress, weekly
from bot.learning.records import DrillAttempt, PromptAttempt
from bot.learning.reports import ModuleStatus, Progress, Suggestion
from bot.learning.store import LearningStore

MAX_REPLY_CHARS = 2000
QUIZ_EXPLANATION_CHARS = 200


class LearningError(Exception):
    """A user mistake or an impossible request; the message is safe to show."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


class DrillResult(BaseModel):
    """The verdict on one drill answer, with the right answers and the explanation."""

    model_config = ConfigDict(frozen=True)

    drill_id: str
    module_id: ModuleId
    noticed: Noticed
    noticed_correct: bool
    right_noticed: Noticed
    detail: str | None
    detail_correct: bool | None
    right_detail: str | None
    correct: bool
    explanation: str


class PromptResult(BaseModel):
    """The judge's evaluation of a prompt answer, with the model answer and why it works.

    When the trainee's own words signal a crisis, nothing is judged or stored:
    `evaluation` is None and `crisis_message` holds the help text.
    """

    model_config = ConfigDict(frozen=True)

    prompt_id: str
    module_id: ModuleId
    evaluation: TurnEvaluation | None
    expected_moves: tuple[RepairStrategy, ...]
    hit_moves: tuple[RepairStrategy, ...]
    missed_moves: tuple[RepairStrategy, ...]
    model_answer: str
    why: str
    crisis_message: str | None = None


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class LearningService:
    catalog: LearningCatalog
    store: LearningStore
    judge: Judge
    crisis: CrisisDetector | None = None
    language: Language = "en"
    clock: Callable[[], datetime] = field(default=_now)

    # --- the curriculum -------------------------------------------------------------------

    def modules(self) -> list[Module]:
        return list(self.catalog.modules.values())

    def module(self, module_id: str) -> Module:
        module = self.catalog.module(module_id)
        if module is None:
            raise LearningError("unknown_module", f"There is no module called {module_id!r}.")
        return module

    def theory_page(self, module_id: str, index: int) -> TheoryPage:
        """Page `index` (0-based) of a module's theory."""
        pages = self.module(module_id).theory
        if not 0 <= index < len(pages):
            raise LearningError("bad_page", f"Choose a page between 1 and {len(pages)}.")
        return pages[index]

    def drill(self, drill_id: str) -> Drill:
        return self._drill(drill_id)[1]

    def prompt(self, prompt_id: str) -> PromptExercise:
        return self._prompt(prompt_id)[1]

    def label(self, item: str) -> str:
        """The trainee-facing words for a canonical id (noticed option, marker, strategy…)."""
        return self.catalog.glossary.label(item)

    def noticed_question(self) -> str:
        return self.catalog.glossary.questions.noticed

    def noticed_options(self) -> list[tuple[Noticed, str]]:
        """The seed's "What did you notice?" options, in a fixed order, with their labels."""
        return [(option, self.label(option.value)) for option in Noticed]

    def detail_options(self, drill: Drill) -> list[tuple[str, str]]:
        """The finer question's options with labels, in a stable order of their own.

        Authors may list the answer anywhere; shuffling by the drill's id keeps the
        position from giving it away, and keeps it the same on every screen.
        """
        if drill.detail is None:
            return []
        options = list(drill.detail.options)
        random.Random(drill.id).shuffle(options)
        return [(option, self.label(option)) for option in options]

    def detail_question(self, drill: Drill) -> str | None:
        """The finer question for a drill (None if it has none)."""
        if drill.detail is None:
            return None
        questions = self.catalog.glossary.questions
        default = getattr(questions, detail_kind(drill.noticed))
        return drill.detail.question or str(default)

    def quiz_poll(self, drill_id: str, part: Literal["noticed", "detail"] = "noticed") -> QuizPoll:
        """A drill question shaped for a quiz poll; send the exchange as a message first."""
        drill = self.drill(drill_id)
        if part == "noticed":
            option_ids = tuple(option.value for option in Noticed)
            question, answer = self.noticed_question(), drill.noticed.value
        else:
            if drill.detail is None:
                raise LearningError("no_detail", "This drill has no second question.")
            option_ids = tuple(option for option, _ in self.detail_options(drill))
            question, answer = self.detail_question(drill) or "", drill.detail.answer
        return QuizPoll(
            question=question,
            option_ids=option_ids,
            options=tuple(self.label(option) for option in option_ids),
            correct_option_id=option_ids.index(answer),
            explanation=_first_sentence(drill.explanation, QUIZ_EXPLANATION_CHARS),
        )

    # --- where the trainee is -------------------------------------------------------------

    async def module_status(self, user_id: int) -> list[ModuleStatus]:
        drills = await self.store.drill_attempts(user_id)
        prompts = await self.store.prompt_attempts(user_id)
        return [module_status(module, drills, prompts) for module in self.modules()]

    async def next_drill(self, user_id: int, module_id: str) -> Drill | None:
        """The drill to show next in a module; None once every drill was answered right."""
        module = self.module(module_id)
        return next_drill(module, await self.store.drill_attempts(user_id, module.id))

    async def next_prompt(self, user_id: int, module_id: str) -> PromptExercise | None:
        """The prompt to show next in a module; None once every prompt was answered."""
        module = self.module(module_id)
        return next_prompt(module, await self.store.prompt_attempts(user_id, module.id))

    async def resume(self, user_id: int) -> Suggestion | None:
        """Where the trainee left off (None if they have not started)."""
        return resume_point(
            self.catalog,
            await self.store.drill_attempts(user_id),
            await self.store.prompt_attempts(user_id),
        )

    # --- answering ------------------------------------------------------------------------

    async def answer_drill(
        self, user_id: int, drill_id: str, noticed: str, detail: str | None = None
    ) -> DrillResult:
        """Score and store an answer. Leave `detail` out to skip the finer question (a poll)."""
        module, drill = self._drill(drill_id)
        if noticed not in set(Noticed):
            raise LearningError("bad_answer", f"{noticed!r} is not one of the options.")
        if detail is not None and (drill.detail is None or detail not in drill.detail.options):
            raise LearningError("bad_answer", f"{detail!r} is not one of the options.")
        noticed_correct = Noticed(noticed) is drill.noticed
        detail_correct = None
        if detail is not None and drill.detail is not None:
            detail_correct = detail == drill.detail.answer
        attempt = DrillAttempt(
            user_id=user_id,
            module_id=module.id,
            drill_id=drill.id,
            noticed=Noticed(noticed),
            detail=detail,
            noticed_correct=noticed_correct,
            detail_correct=detail_correct,
            correct=noticed_correct and detail_correct is not False,
            family=drill.family,
            target=drill.detail.answer if drill.detail else None,
            created_at=self.clock(),
        )
        await self.store.add_drill_attempt(attempt)
        return DrillResult(
            drill_id=drill.id,
            module_id=module.id,
            noticed=attempt.noticed,
            noticed_correct=noticed_correct,
            right_noticed=drill.noticed,
            detail=detail,
            detail_correct=detail_correct,
            right_detail=attempt.target,
            correct=attempt.correct,
            explanation=drill.explanation,
        )

    async def answer_drill_detail(self, user_id: int, drill_id: str, detail: str) -> bool:
        """Score the finer question answered apart from the first (a group's second quiz).

        It completes the user's newest answer to that drill; without one (they skipped the
        first quiz) nothing is stored and False comes back.
        """
        _, drill = self._drill(drill_id)
        if drill.detail is None or detail not in drill.detail.options:
            raise LearningError("bad_answer", f"{detail!r} is not one of the options.")
        return await self.store.set_drill_detail(
            user_id, drill.id, detail, detail == drill.detail.answer
        )

    def is_noticed_option(self, option_id: str) -> bool:
        """Does this quiz option answer the first question ("what did you notice?")?"""
        return option_id in set(Noticed)

    async def answer_prompt(self, user_id: int, prompt_id: str, text: str) -> PromptResult:
        """Judge the trainee's answer, store it, and show the model answer and why it works."""
        module, prompt = self._prompt(prompt_id)
        text = text.strip()
        expected = tuple(prompt.expected_moves)
        if self.crisis is not None and self.crisis.signals_crisis(text):
            return PromptResult(
                prompt_id=prompt.id,
                module_id=module.id,
                evaluation=None,
                expected_moves=expected,
                hit_moves=(),
                missed_moves=(),
                model_answer=prompt.model_answer,
                why=prompt.why,
                crisis_message=self.crisis.help_message(self.language),
            )
        if not text:
            raise LearningError(
                "empty", "Your answer is empty. Write what you would say to the patient."
            )
        if len(text) > MAX_REPLY_CHARS:
            raise LearningError(
                "too_long",
                f"That answer is {len(text)} characters long; please keep it under "
                f"{MAX_REPLY_CHARS}, as you would speak in a session.",
            )
        evaluation = await self.judge.evaluate(
            RuptureMoment(
                lang=self.language,
                rupture=prompt.rupture,
                marker=prompt.marker,
                context=(Utterance(speaker=Speaker.PATIENT, text=prompt.patient),),
                reply=text,
            )
        )
        hit = tuple(m for m in expected if m in evaluation.moves)
        await self.store.add_prompt_attempt(
            PromptAttempt(
                user_id=user_id,
                module_id=module.id,
                prompt_id=prompt.id,
                reply=text,
                evaluation=evaluation,
                rating=evaluation.rating,
                expected_moves=expected,
                hit_moves=hit,
                created_at=self.clock(),
            )
        )
        return PromptResult(
            prompt_id=prompt.id,
            module_id=module.id,
            evaluation=evaluation,
            expected_moves=expected,
            hit_moves=hit,
            missed_moves=tuple(m for m in expected if m not in hit),
            model_answer=prompt.model_answer,
            why=prompt.why,
        )

    # --- progress -------------------------------------------------------------------------

    async def progress(self, user_id: int) -> Progress:
        drills = await self.store.drill_attempts(user_id)
        prompts = await self.store.prompt_attempts(user_id)
        families = family_progress(drills)
        skills = skill_progress(prompts)
        return Progress(
            user_id=user_id,
            drills_answered=len(drills),
            prompts_answered=len(prompts),
            recognition=families,
            skills=skills,
            weeks=weekly(drills, prompts),
            suggestion=suggest(self.catalog, drills, prompts, families, skills),
        )

    async def next_suggestion(self, user_id: int) -> Suggestion | None:
        """The next exercise for the trainee's weakest skill (or the first one, to start)."""
        return (await self.progress(user_id)).suggestion

    # --- internals ------------------------------------------------------------------------

    def _drill(self, drill_id: str) -> tuple[Module, Drill]:
        found = self.catalog.drill(drill_id)
        if found is None:
            raise LearningError("unknown_drill", f"There is no drill called {drill_id!r}.")
        return found

    def _prompt(self, prompt_id: str) -> tuple[Module, PromptExercise]:
        found = self.catalog.prompt(prompt_id)
        if found is None:
            raise LearningError("unknown_prompt", f"There is no prompt called {prompt_id!r}.")
        return found


def _first_sentence(text: str, limit: int) -> str:
    """The first sentence of `text`, cut to `limit` characters (quiz explanations are short)."""
    text = " ".join(text.split())
    ends = [text.find(mark) for mark in (". ", "? ", "! ")]
    if found := [end for end in ends if end >= 0]:
        text = text[: min(found) + 1]
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
