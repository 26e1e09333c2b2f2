"""Trainer's corrections ("principles") and how each patient engine honours them.

Every principle goes into the model-played patient's prompt (under "Trainer's
corrections"). The scripted patient cannot read free text, so a few written forms
also change the persona's numbers, which both engines then follow through the
patient's tension (see `bot.domain.state.advance`):

========================  ==================================================
``slower``                the patient softens at most 1 point a turn
``max-softening: N``      at most N points a turn (1-3)
``initial-tension: N``    the session starts at tension N (4-10)
``turn-limit: N``         the session ends after N replies (4-40)
``softened-by MOVE: N``   a repair move lowers tension by N (0-3)
``hardened-by PITFALL: N``  a pitfall raises tension by N (0-3)
========================  ==================================================

Anything else ("he gets sarcastic, not loud") reaches only the model-played patient.
When two corrections set the same number, the later one wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.ids import Pitfall, RepairStrategy
from bot.domain.persona import Persona

MAX_PRINCIPLE_CHARS = 300
MAX_PRINCIPLES = 20

_DIRECTIVE = re.compile(
    r"^(?P<key>[a-z][a-z-]+)(?:\s+(?P<arg>[a-z_]+))?\s*[:=]\s*(?P<value>-?\d+)\s*$"
)
_RANGES = {
    "max-softening": (1, 3),
    "initial-tension": (4, 10),
    "turn-limit": (4, 40),
    "softened-by": (0, 3),
    "hardened-by": (0, 3),
}
#: free text that sounds like pacing, for a gentle pointer to `slower`
_PACE_WORDS = re.compile(r"\b(fast|quick|quickly|soon|slow|slower|open up|warm)", re.IGNORECASE)


class PrincipleError(ValueError):
    """A recognised form with a value out of range; the message says what to write."""


@dataclass(frozen=True)
class Principle:
    text: str
    scripted: str | None = None  # what the scripted patient does with it (None: model only)
    prompt: str = ""  # how the model-played patient reads it

    @property
    def model_only(self) -> bool:
        return self.scripted is None


def parse_principle(text: str) -> Principle:
    text = " ".join(text.split())
    if not text:
        raise PrincipleError("Write the correction after the command, e.g. /principle slower.")
    if len(text) > MAX_PRINCIPLE_CHARS:
        raise PrincipleError(f"Keep a correction under {MAX_PRINCIPLE_CHARS} characters.")
    lowered = text.lower()
    if lowered in ("slower", "slow"):
        return Principle(
            text,
            scripted="softens at most 1 tension point a turn",
            prompt="Open up slowly: even after a good repair, warm up only a little at a time.",
        )
    match = _DIRECTIVE.match(lowered)
    if match is None or match["key"] not in _RANGES:
        return Principle(text, prompt=text)
    key, arg, value = match["key"], match["arg"], int(match["value"])
    low, high = _RANGES[key]
    if not low <= value <= high:
        raise PrincipleError(f"{key} takes a number from {low} to {high}, not {value}.")
    if key == "softened-by":
        if arg not in RepairStrategy._value2member_map_:
            raise PrincipleError(_expected("softened-by", arg, [m.value for m in RepairStrategy]))
        effect = "does not soften" if value == 0 else f"softens by {value}"
        return Principle(
            text,
            scripted=f"{arg} {effect}",
            prompt=f"When the therapist uses {arg.replace('_', ' ')}, it "
            + (
                "does not reach you."
                if value == 0
                else "helps you a lot."
                if value > 2
                else "helps you."
            ),
        )
    if key == "hardened-by":
        if arg not in Pitfall._value2member_map_:
            raise PrincipleError(_expected("hardened-by", arg, [p.value for p in Pitfall]))
        return Principle(
            text,
            scripted=f"{arg} raises tension by {value}",
            prompt=f"When the therapist {arg.replace('_', ' ')}, "
            + ("you let it pass." if value == 0 else "it upsets you."),
        )
    if arg is not None:
        raise PrincipleError(f"{key} takes only a number, e.g. {key}: {low}.")
    scripted = {
        "max-softening": f"softens at most {value} tension point(s) a turn",
        "initial-tension": f"starts at tension {value}",
        "turn-limit": f"session ends after {value} replies",
    }[key]
    prompt = {
        "max-softening": "Warm up only gradually, never all at once.",
        "initial-tension": "Start the session "
        + ("very upset." if value >= 8 else "guarded and tense."),
        "turn-limit": "",
    }[key]
    return Principle(text, scripted=scripted, prompt=prompt)


def _expected(key: str, got: str | None, allowed: list[str]) -> str:
    return f"{key} needs one of {', '.join(allowed)} (got {got or 'nothing'})."


def pacing_tip(principle: Principle) -> bool:
    """Model-only text about pace: suggest `slower`, which the scripted patient follows."""
    return principle.model_only and bool(_PACE_WORDS.search(principle.text))


def apply_principles(persona: Persona, texts: Iterable[str]) -> Persona:
    """The persona with its trainer's corrections: numbers changed, prompt lines added."""
    dynamics = persona.dynamics.model_dump()
    softened = dict(persona.sensitivities.softened_by)
    hardened = dict(persona.sensitivities.hardened_by)
    lines = list(persona.principles)
    for text in texts:
        try:
            principle = parse_principle(text)
        except PrincipleError:
            continue  # stored before a rule changed; never block a session over it
        if principle.prompt:
            lines.append(principle.prompt)
        match = _DIRECTIVE.match(principle.text.lower())
        if principle.text.lower() in ("slower", "slow"):
            dynamics["max_softening_per_turn"] = 1
        elif match is not None and principle.scripted is not None:
            key, arg, value = match["key"], match["arg"], int(match["value"])
            if key == "softened-by":
                softened[RepairStrategy(arg)] = value
            elif key == "hardened-by":
                hardened[Pitfall(arg)] = value
            else:
                dynamics[key.replace("-", "_").replace("softening", "softening_per_turn")] = value
    sensitivities = persona.sensitivities.model_copy(
        update={"softened_by": softened, "hardened_by": hardened}
    )
    return persona.model_copy(
        update={
            "dynamics": type(persona.dynamics).model_validate(dynamics),
            "sensitivities": sensitivities,
            "principles": lines,
        }
    )
