"""The simulated patient played by a language model, with the scripted engine as a net.

The prompt is laid out for prompt caching: the persona's system prompt (identical
on every turn of a session) comes first, then the conversation, then a short
state note that changes each turn. Trainee text only ever travels as message
content; it is never rendered through a template.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Sequence

from bot.adapters.openai_llm import (
    LANGUAGE_NAMES,
    AsyncOpenAI,
    LLMUnavailable,
    TextCompletion,
    complete_text,
)
from bot.domain.engine import PatientEngine, PatientReply, PatientTurnRequest
from bot.domain.evaluation import TokenUsage
from bot.domain.ids import (
    MARKER_IDS,
    Pitfall,
    RepairStrategy,
    Speaker,
    Stage,
)
from bot.domain.persona import Persona
from bot.domain.state import hardened
from bot.domain.templates import PromptRenderer

log = logging.getLogger(__name__)

#: how the patient experienced the therapist's pitfall, for the state note
PITFALL_EXPERIENCE: dict[Pitfall, str] = {
    Pitfall.IGNORES_RUPTURE: "went past what you just said and carried on with the task",
    Pitfall.DEFENSIVE: "defended or justified themselves instead of hearing you",
    Pitfall.BLAMES_PATIENT: "put the blame for the problem on you",
    Pitfall.PREMATURE_INTERPRETATION: (
        "offered an interpretation about you that you were not ready to hear"
    ),
}

#: a run of this many words copied from the prompt counts as a leak
LEAK_SHINGLE_WORDS = 9

_OUT_OF_CHARACTER = re.compile(
    r"\bas an ai\b"
    r"|\bi(?:'m| am) (?:an? |just an? )?(?:ai|artificial intelligence|language model|chatbot)\b"
    r"|\blarge language model\b|\blanguage model\b|\bsystem prompt\b|\bstate note\b"
    r"|\bals (?:eine )?ki\b|\bich bin (?:nur )?(?:eine )?ki\b|\bsprachmodell\b"
    r"|\btension\b[^.!?\n]{0,20}\b\d{1,2}\s*/\s*10\b",
    re.IGNORECASE,
)

#: canonical ids that only appear in the prompt; a patient never says "disappointment_hurt"
_PROMPT_IDS = frozenset(
    i
    for i in (
        *MARKER_IDS,
        *(s.value for s in Stage),
        *(p.value for p in Pitfall),
        *(m.value for m in RepairStrategy),
    )
    if "_" in i
)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def _shingles(words: list[str], size: int) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}


@functools.lru_cache(maxsize=256)
def _prompt_shingles(part: str) -> frozenset[tuple[str, ...]]:
    """A prompt part's word runs; the system prompt is the same every turn of a persona."""
    return frozenset(_shingles(_words(part), LEAK_SHINGLE_WORDS))


def leaks_prompt(text: str, prompt_parts: Sequence[str], own_lines: Sequence[str] = ()) -> bool:
    """True if the reply steps out of character or copies a run of the prompt.

    Runs that also occur in the persona's own scripted lines are in character, not a leak.
    """
    if _OUT_OF_CHARACTER.search(text):
        return True
    lowered = text.casefold()
    if any(i in lowered for i in _PROMPT_IDS):
        return True
    reply = _shingles(_words(text), LEAK_SHINGLE_WORDS)
    if not reply:
        return False
    copied: set[tuple[str, ...]] = set()
    for part in prompt_parts:
        copied |= reply & _prompt_shingles(part)
    for line in own_lines:
        if not copied:
            break
        copied -= _shingles(_words(line), LEAK_SHINGLE_WORDS)
    return bool(copied)


def scripted_speech(persona: Persona) -> list[str]:
    """Everything the persona file lets the patient say verbatim."""
    speech = [persona.opening]
    for bands in persona.lines.values():
        for variants in bands.values():
            speech.extend(variants)
    for reactions in persona.reactions.values():
        speech.extend(reactions)
    return speech


def clean_line(text: str, persona: Persona) -> str:
    """Strip wrapping a model sometimes adds: a 'Daniel:' prefix, surrounding quotes."""
    line = text.strip()
    prefix = re.compile(rf"^\**{re.escape(persona.patient.name)}\**\s*:\s*", re.IGNORECASE)
    line = prefix.sub("", line).strip()
    pairs = {'"': '"', "“": "”", "„": "“", "«": "»"}
    if len(line) >= 2 and pairs.get(line[0]) == line[-1]:
        inner = line[1:-1]
        if line[0] not in inner and line[-1] not in inner:
            line = inner.strip()
    return line


def trim_truncated(text: str) -> str:
    """Keep the complete sentences of a reply cut off by the token limit ('' if none)."""
    ends = [m.end() for m in re.finditer(r"[.!?…](?:[\"'”»)]*)(?=\s|$)", text)]
    return text[: ends[-1]].strip() if ends else ""


def state_note(request: PatientTurnRequest) -> str:
    """The per-turn instruction that follows the conversation (never shown to the trainee)."""
    persona, state = request.persona, request.state
    name = persona.patient.name
    language = LANGUAGE_NAMES.get(persona.language, persona.language)
    lines = [
        "State note for your next line (never mention or quote it):",
        f"- Tension: {state.tension}/10 ({state.band.value}).",
        f"- Stage: {state.stage.value}: {persona.stage_description(state.stage).strip()}",
    ]
    pitfall = hardened(request.evaluation) if request.evaluation else None
    if pitfall is not None:
        lines.append(
            f"- In their last reply the therapist {PITFALL_EXPERIENCE[pitfall]}. "
            f"React to that as {name} would."
        )
        examples = persona.reactions.get(pitfall)
        if examples:
            lines.append(f'  In the spirit of: "{examples[0]}"')
    lines.append(
        f"Stay in character as {name}. Reply in {language} with 1-4 sentences of what "
        f"{name} says, nothing else: no narration, no name prefix, no notes."
    )
    return "\n".join(lines)


def build_patient_messages(system_prompt: str, request: PatientTurnRequest) -> list[dict[str, str]]:
    """System prompt, then the conversation (patient = assistant), then the state note."""
    messages = [{"role": "system", "content": system_prompt}]
    for utterance in request.history:
        role = "assistant" if utterance.speaker is Speaker.PATIENT else "user"
        messages.append({"role": role, "content": utterance.text})
    messages.append({"role": "system", "content": state_note(request)})
    return messages


class LLMPatient:
    """A `PatientEngine` backed by a chat model, falling back to another engine on failure."""

    name = "llm"
    calls_model = True

    def __init__(
        self,
        client: AsyncOpenAI,
        model: str,
        renderer: PromptRenderer,
        fallback: PatientEngine,
        *,
        max_completion_tokens: int | None = 400,
    ) -> None:
        self._client = client
        self._model = model
        self._renderer = renderer
        self._fallback = fallback
        self._max_completion_tokens = max_completion_tokens

    async def respond(self, request: PatientTurnRequest) -> PatientReply:
        try:
            system_prompt = self._renderer.render_system(request.persona)
            messages = build_patient_messages(system_prompt, request)
            completion = await complete_text(
                self._client,
                model=self._model,
                messages=messages,
                max_completion_tokens=self._max_completion_tokens,
            )
            text = self._usable_line(completion, request, [system_prompt, messages[-1]["content"]])
        except LLMUnavailable as exc:
            log.warning("LLM patient unavailable (%s); using %s", exc.reason, self._fallback.name)
            return await self._fall_back(request, exc.usage)
        except Exception:
            log.exception("LLM patient failed unexpectedly; using %s", self._fallback.name)
            return await self._fall_back(request, None)
        return PatientReply(text=text, engine=self.name, usage=completion.usage)

    def _usable_line(
        self, completion: TextCompletion, request: PatientTurnRequest, prompt_parts: list[str]
    ) -> str:
        text = clean_line(completion.text, request.persona)
        if completion.finish_reason == "length":
            text = trim_truncated(text)
        if not text:
            raise LLMUnavailable("no usable line", completion.usage)
        if leaks_prompt(text, prompt_parts, scripted_speech(request.persona)):
            raise LLMUnavailable("reply left the role or leaked the prompt", completion.usage)
        return text

    async def _fall_back(
        self, request: PatientTurnRequest, usage: TokenUsage | None
    ) -> PatientReply:
        reply = await self._fallback.respond(request)
        return reply.model_copy(update={"fell_back": True, "usage": usage or reply.usage})
