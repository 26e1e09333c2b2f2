"""Rubric files: the criteria the evaluator applies and the trainee sees.

One rubric per language (`rubrics/en.yaml`, `rubrics/de.yaml`): the feedback is
written in the persona's language, and the rule judge needs that language's
indicators. The LLM judge's prompt is built from the same criteria.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.domain.ids import MoveFamily, Pitfall, RepairStrategy

CriterionId = RepairStrategy | Pitfall


class Indicators(BaseModel):
    """Regular expressions (case-insensitive) the rule judge looks for in a reply.

    The judge checks each sentence on its own. A negation word ("not", "nicht",
    "never") before a `patterns` match in the same clause, or inside it, cancels
    the match, so "I'm not saying I was wrong" is not an acknowledgement. Phrasings
    that carry the criterion *through* a negation ("I didn't listen well",
    "ich habe das nicht gut gemacht") go in `negated_patterns`: only a negation
    before them cancels them.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    patterns: list[str] = Field(default_factory=list)
    negated_patterns: list[str] = Field(
        default_factory=list,
        description='phrasings that contain a negation themselves, e.g. "I didn\'t listen"',
    )
    counter_patterns: list[str] = Field(
        default_factory=list,
        description="if any matches in the same sentence, the criterion does not count there",
    )

    @field_validator("patterns", "negated_patterns", "counter_patterns")
    @classmethod
    def _compiles(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(
                    f"pattern {pattern!r} is not a valid regular expression: {exc}"
                ) from exc
        return value


class Criterion(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: CriterionId
    family: MoveFamily
    name: str = Field(min_length=2, max_length=80)
    description: str = Field(min_length=10)
    good_looks_like: str = Field(min_length=10)
    examples: list[str] = Field(min_length=1)
    indicators: Indicators = Field(default_factory=Indicators)
    weight: float = Field(default=1.0, gt=0, le=5)
    tip: str = Field(min_length=10, description="one concrete suggestion shown in feedback")

    @model_validator(mode="after")
    def _family_matches(self) -> Criterion:
        expected = MoveFamily.PITFALL if isinstance(self.id, Pitfall) else self.id.family
        if self.family is not expected:
            raise ValueError(f"family: {self.id} belongs to '{expected}', not '{self.family}'")
        return self


class Rubric(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9_-]+$")
    language: Literal["en", "de"]
    title: str
    criteria: list[Criterion]
    rating_anchors: dict[int, str]
    phrases: dict[str, str] = Field(
        default_factory=dict, description="labels used when feedback is shown"
    )

    @model_validator(mode="after")
    def _complete(self) -> Rubric:
        ids = [c.id for c in self.criteria]
        dupes = {i for i in ids if ids.count(i) > 1}
        if dupes:
            raise ValueError(f"criteria: duplicate ids {', '.join(sorted(dupes))}")
        missing = [
            *(m for m in RepairStrategy if m not in ids),
            *(p for p in Pitfall if p not in ids),
        ]
        if missing:
            raise ValueError(
                f"criteria: missing {', '.join(missing)}; every move and pitfall needs one"
            )
        if sorted(self.rating_anchors) != [1, 2, 3, 4, 5]:
            raise ValueError("rating_anchors: needs exactly the keys 1, 2, 3, 4, 5")
        return self

    def criterion(self, criterion_id: CriterionId) -> Criterion:
        return next(c for c in self.criteria if c.id == criterion_id)

    def phrase(self, key: str) -> str:
        return self.phrases.get(key, key)
