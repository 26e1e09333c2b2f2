"""The AFT curriculum as data: modules with theory pages, recognition drills and prompts.

The schema mirrors the seed's online platform (six modules, each with Theory,
Examples and Prompts). Pydantic checks the shape of each file; the cross-field
rules (an answer among its options, a marker that fits the rupture) live in
`bot.learning.checks`, so their messages can name the drill and say what to write.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.domain.ids import RepairStrategy, RuptureType

ItemId = str
ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,31}$"
MAX_PAGE_CHARS = 900
MAX_LABEL_CHARS = 100


class ModuleId(StrEnum):
    """The six modules of the online AFT platform, in the seed's order."""

    INTRODUCTION = "introduction"
    CONFRONTATION = "confrontation"
    WITHDRAWAL = "withdrawal"
    MIXED = "mixed"
    IMMEDIATE = "immediate"
    EXPRESSIVE = "expressive"


class Noticed(StrEnum):
    """The seed's "What did you notice?" options."""

    CONFRONTATION_RUPTURE = "confrontation_rupture"
    WITHDRAWAL_RUPTURE = "withdrawal_rupture"
    MIXED_RUPTURE = "mixed_rupture"
    IMMEDIATE_REPAIR = "immediate_repair"
    EXPRESSIVE_REPAIR = "expressive_repair"
    NONE = "none"


class RecognitionFamily(StrEnum):
    """What a drill trains the eye for: a rupture type, a repair family, or "nothing here"."""

    CONFRONTATION = "confrontation"
    WITHDRAWAL = "withdrawal"
    MIXED = "mixed"
    IMMEDIATE = "immediate"
    EXPRESSIVE = "expressive"
    NONE = "none"


FAMILY_OF: dict[Noticed, RecognitionFamily] = {
    Noticed.CONFRONTATION_RUPTURE: RecognitionFamily.CONFRONTATION,
    Noticed.WITHDRAWAL_RUPTURE: RecognitionFamily.WITHDRAWAL,
    Noticed.MIXED_RUPTURE: RecognitionFamily.MIXED,
    Noticed.IMMEDIATE_REPAIR: RecognitionFamily.IMMEDIATE,
    Noticed.EXPRESSIVE_REPAIR: RecognitionFamily.EXPRESSIVE,
    Noticed.NONE: RecognitionFamily.NONE,
}

#: the rupture families charted as recognition lines
RUPTURE_FAMILIES = (
    RecognitionFamily.CONFRONTATION,
    RecognitionFamily.WITHDRAWAL,
    RecognitionFamily.MIXED,
)


class _Content(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModuleInfo(_Content):
    """`module.yaml`: what the module is called and what it is for."""

    id: ModuleId
    title: str = Field(min_length=2, max_length=60)
    summary: str = Field(min_length=10, max_length=400)


class TheoryPage(_Content):
    """One phone screen of theory (a `## ` section of `theory.md`)."""

    title: str = Field(min_length=2, max_length=80)
    body: str = Field(min_length=20, max_length=MAX_PAGE_CHARS)


class Line(_Content):
    """One line of a drill's exchange; written in YAML as ``- patient: "..."``."""

    speaker: Literal["patient", "therapist"]
    text: str = Field(min_length=1, max_length=400)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: object) -> object:
        if isinstance(data, dict) and len(data) == 1:
            ((speaker, text),) = data.items()
            if speaker in ("patient", "therapist"):
                return {"speaker": speaker, "text": text}
        if isinstance(data, dict) and not {"speaker", "text"} <= set(data):
            raise ValueError('write each line as `- patient: "..."` or `- therapist: "..."`')
        return data


class DetailQuestion(_Content):
    """The finer question: which marker, which strategy, or which pitfall (canonical ids)."""

    question: str | None = Field(default=None, max_length=200)
    options: list[str] = Field(min_length=3, max_length=4)
    answer: str


class Drill(_Content):
    """A recognition drill (the seed's "Examples"): judge the last line of a short exchange."""

    id: ItemId = Field(pattern=ID_PATTERN)
    exchange: list[Line] = Field(min_length=1, max_length=4)
    noticed: Noticed
    detail: DetailQuestion | None = None
    explanation: str = Field(min_length=20, max_length=700)

    @property
    def family(self) -> RecognitionFamily:
        return FAMILY_OF[self.noticed]


class PromptExercise(_Content):
    """A prompt (the seed's "Prompts"): the patient says one thing, the trainee answers."""

    id: ItemId = Field(pattern=ID_PATTERN)
    context: str | None = Field(default=None, max_length=300)
    patient: str = Field(min_length=2, max_length=500)
    rupture: RuptureType
    marker: str
    expected_moves: list[RepairStrategy] = Field(min_length=1, max_length=3)
    model_answer: str = Field(min_length=10, max_length=600)
    why: str = Field(min_length=20, max_length=700)


class Module(_Content):
    """A whole module, assembled from its folder."""

    id: ModuleId
    title: str
    summary: str
    theory: tuple[TheoryPage, ...]
    drills: tuple[Drill, ...]
    prompts: tuple[PromptExercise, ...]


class Questions(_Content):
    noticed: str = Field(max_length=200)
    marker: str = Field(max_length=200)
    strategy: str = Field(max_length=200)
    pitfall: str = Field(max_length=200)


class Glossary(_Content):
    """`glossary.yaml`: the words a trainee sees for canonical ids, and the default questions."""

    questions: Questions
    labels: dict[str, str] = Field(description="canonical id -> label (≤100 characters)")
    families: dict[RecognitionFamily, str]

    def label(self, item: str) -> str:
        return self.labels.get(item, item.replace("_", " "))


class QuizPoll(BaseModel):
    """A drill question in the shape of a Telegram quiz poll (transport-neutral)."""

    model_config = ConfigDict(frozen=True)

    question: str
    option_ids: tuple[str, ...]
    options: tuple[str, ...]
    correct_option_id: int
    explanation: str = Field(max_length=200)
