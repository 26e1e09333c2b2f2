"""Spotting a trainee (not the simulated patient) in real crisis.

This is a training tool, not therapy: when the trainee's own words signal real
distress, the role-play pauses and help resources are shown. The patterns are
deliberately first-person and present-tense so that a trainee *quoting* or
*addressing* the patient's in-role distress ("you said you want to die") does not
trigger it. The patterns and the help text are content (see `content/safety.yaml`).
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from bot.domain.content import load_model


class SafetyContent(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    crisis_patterns: dict[str, list[str]] = Field(description="language -> regexes")
    help_text: dict[str, str] = Field(description="language -> message with help resources")
    resume_text: dict[str, str]


class CrisisDetector:
    def __init__(self, content: SafetyContent) -> None:
        self.content = content
        self._patterns: list[re.Pattern[str]] = [
            re.compile(p, re.IGNORECASE)
            for patterns in content.crisis_patterns.values()
            for p in patterns
        ]

    @classmethod
    def from_file(cls, path: Path) -> CrisisDetector:
        return cls(load_model(path, SafetyContent))

    def signals_crisis(self, text: str) -> bool:
        return any(p.search(text) for p in self._patterns)

    def help_message(self, language: str) -> str:
        return self.content.help_text.get(language) or self.content.help_text["en"]

    def resume_message(self, language: str) -> str:
        return self.content.resume_text.get(language) or self.content.resume_text["en"]
