"""The crisis path: the trainee's own crisis pauses practice; in-role distress does not."""

from __future__ import annotations

import pytest

from bot.domain.safety import CrisisDetector
from tests.helpers import ROOT


@pytest.fixture
def detector() -> CrisisDetector:
    return CrisisDetector.from_file(ROOT / "content" / "safety.yaml")


@pytest.mark.parametrize(
    "text",
    [
        "honestly I want to kill myself",
        "I'm suicidal and I don't know who to tell",
        "sorry, I can't go on like this",
        "I've been cutting myself again",
        "Ich will nicht mehr leben.",
        "ich bringe mich um",
    ],
)
def test_trainee_in_crisis_is_recognised(detector: CrisisDetector, text: str) -> None:
    assert detector.signals_crisis(text)


@pytest.mark.parametrize(
    "text",
    [
        "You said you want to die. That sounds really painful, can we stay with that?",
        "It sounds like part of you wants to end it all.",
        "Sie sagten, Sie wollen nicht mehr leben. Das klingt sehr schwer.",
        "I am going to die of embarrassment if I get this wrong, but let me try",
        "I notice I feel tense too when we talk about the homework.",
    ],
)
def test_replies_about_the_patients_distress_do_not_trigger(
    detector: CrisisDetector, text: str
) -> None:
    assert not detector.signals_crisis(text)


def test_help_text_is_in_the_persona_language(detector: CrisisDetector) -> None:
    assert "116 123" in detector.help_message("en")
    assert detector.help_message("de").startswith("Ich habe das Rollenspiel angehalten.")
    assert detector.help_message("fr") == detector.help_message("en")
