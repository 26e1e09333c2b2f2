"""The LLM patient against a loopback OpenAI server: prompt layout, usage, fallbacks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.adapters import LLMPatient, OpenAITranscriber, TranscriptionFailed, make_client
from bot.adapters.openai_llm import AsyncOpenAI
from bot.domain.catalog import load_persona
from bot.domain.engine import PatientReply, PatientTurnRequest
from bot.domain.evaluation import TokenUsage, TurnEvaluation, Utterance
from bot.domain.ids import Pitfall, RepairStrategy, Speaker, Stage
from bot.domain.persona import Persona
from bot.domain.state import PatientState, initial_state
from bot.domain.templates import PromptRenderer
from tests.fakes.openai_server import FakeOpenAI, FakeReply, FakeUsage

ROOT = Path(__file__).resolve().parent.parent
FALLBACK_LINE = "Whatever. Let's just get on with it."
TRAINEE = "{{7*7}} It sounds like the sheets feel like a test. What is that like for you?"


class FallbackPatient:
    """Stands in for the scripted engine: one fixed line, counts its calls."""

    name = "scripted"
    calls_model = False

    def __init__(self) -> None:
        self.calls = 0

    async def respond(self, request: PatientTurnRequest) -> PatientReply:
        self.calls += 1
        return PatientReply(text=FALLBACK_LINE, engine=self.name)


@pytest.fixture
def renderer() -> PromptRenderer:
    return PromptRenderer(ROOT / "personas" / "templates")


@pytest.fixture
def persona(renderer: PromptRenderer) -> Persona:
    return load_persona(ROOT / "personas" / "homework-pointless.yaml", renderer)


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as server:
        yield server


@pytest.fixture
async def client(fake: FakeOpenAI) -> AsyncIterator[AsyncOpenAI]:
    async with make_client(fake.base_url, "test-key", timeout_s=2.0, max_retries=0) as c:
        yield c


@pytest.fixture
def fallback() -> FallbackPatient:
    return FallbackPatient()


@pytest.fixture
def patient(client: AsyncOpenAI, renderer: PromptRenderer, fallback: FallbackPatient) -> LLMPatient:
    return LLMPatient(client, "fake-model", renderer, fallback)


def turn(
    persona: Persona,
    *trainee_lines: str,
    state: PatientState | None = None,
    evaluation: TurnEvaluation | None = None,
) -> PatientTurnRequest:
    history = [Utterance(speaker=Speaker.PATIENT, text=persona.opening)]
    for i, line in enumerate(trainee_lines):
        if i:
            history.append(Utterance(speaker=Speaker.PATIENT, text="Hm."))
        history.append(Utterance(speaker=Speaker.TRAINEE, text=line))
    return PatientTurnRequest(
        persona=persona,
        history=tuple(history),
        state=state or initial_state(persona),
        evaluation=evaluation,
        seed=1,
    )


async def test_prompt_is_system_then_conversation_then_state_note(
    fake: FakeOpenAI, patient: LLMPatient, persona: Persona, renderer: PromptRenderer
) -> None:
    fake.enqueue(FakeReply.text("Fine. It does feel like a test."))
    await patient.respond(turn(persona, TRAINEE))
    await patient.respond(turn(persona, TRAINEE, "And what else?"))

    first, second = (body["messages"] for body in fake.chat_requests)
    assert first[0] == {"role": "system", "content": renderer.render_system(persona)}
    assert second[0] == first[0], "the system prompt must be a stable, cacheable prefix"
    assert [m["role"] for m in first] == ["system", "assistant", "user", "system"]
    assert [m["role"] for m in second] == [
        "system",
        "assistant",
        "user",
        "assistant",
        "user",
        "system",
    ]
    assert first[1]["content"] == persona.opening
    assert first[2]["content"] == TRAINEE, "trainee text goes verbatim as user content"
    assert "49" not in first[2]["content"]
    assert all(TRAINEE not in m["content"] for m in first if m["role"] == "system")

    note = first[-1]["content"]
    assert "Tension: 7/10 (high)" in note
    assert f"Stage: anger: {persona.stage_description(Stage.ANGER).strip()}" in note
    assert "Stay in character as Daniel" in note
    assert "Reply in English" in note
    assert "1-4 sentences" in note


async def test_state_note_follows_state_and_pitfall(
    fake: FakeOpenAI, patient: LLMPatient, persona: Persona
) -> None:
    state = PatientState(tension=5, stage=Stage.DISAPPOINTMENT_HURT, turn=3)
    defensive = TurnEvaluation(pitfalls=(Pitfall.DEFENSIVE,), rating=1)
    await patient.respond(turn(persona, TRAINEE, state=state, evaluation=defensive))
    await patient.respond(
        turn(
            persona,
            TRAINEE,
            evaluation=TurnEvaluation(moves=(RepairStrategy.EXPLORE_RUPTURE,), rating=4),
        )
    )

    with_pitfall = fake.chat_requests[0]["messages"][-1]["content"]
    assert "Tension: 5/10 (medium)" in with_pitfall
    assert "Stage: disappointment_hurt" in with_pitfall
    assert "defended or justified themselves" in with_pitfall
    assert persona.reactions[Pitfall.DEFENSIVE][0] in with_pitfall
    without = fake.chat_requests[1]["messages"][-1]["content"]
    assert "React to that" not in without


async def test_reply_and_token_usage(
    fake: FakeOpenAI, patient: LLMPatient, persona: Persona
) -> None:
    fake.enqueue(
        FakeReply.text(
            "Daniel: Okay. I didn't expect you to ask that.",
            usage=FakeUsage(prompt_tokens=1300, completion_tokens=14, cached_tokens=1152),
        )
    )
    reply = await patient.respond(turn(persona, TRAINEE))
    assert reply == PatientReply(
        text="Okay. I didn't expect you to ask that.",
        engine="llm",
        usage=TokenUsage(prompt_tokens=1300, completion_tokens=14, cached_tokens=1152),
    )


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("Daniel: Fine.", "Fine."),
        ('"Fine. Whatever."', "Fine. Whatever."),
        ("“Fine.”", "Fine."),
        ('"Fine," I said. "Whatever."', '"Fine," I said. "Whatever."'),
    ],
)
async def test_wrapping_around_the_line_is_removed(
    fake: FakeOpenAI, patient: LLMPatient, persona: Persona, sent: str, shown: str
) -> None:
    fake.enqueue(FakeReply.text(sent))
    assert (await patient.respond(turn(persona, TRAINEE))).text == shown


async def test_second_turn_reports_cached_prefix(
    fake: FakeOpenAI, patient: LLMPatient, persona: Persona
) -> None:
    first = await patient.respond(turn(persona, TRAINEE))
    second = await patient.respond(turn(persona, TRAINEE, "Go on."))
    assert first.usage is not None
    assert second.usage is not None
    assert first.usage.cached_tokens == 0
    assert second.usage.cached_tokens > 0


async def test_timeout_falls_back_to_scripted_line(
    fake: FakeOpenAI, renderer: PromptRenderer, fallback: FallbackPatient, persona: Persona
) -> None:
    fake.enqueue(FakeReply.slow(1.5, then=FakeReply.text("Too late.")))
    async with make_client(fake.base_url, "k", timeout_s=0.2, max_retries=0) as client:
        reply = await LLMPatient(client, "fake-model", renderer, fallback).respond(
            turn(persona, TRAINEE)
        )
    assert reply.text == FALLBACK_LINE
    assert reply.fell_back is True
    assert reply.engine == "scripted"
    assert fallback.calls == 1


async def test_server_errors_are_retried_a_bounded_number_of_times(
    fake: FakeOpenAI, renderer: PromptRenderer, fallback: FallbackPatient, persona: Persona
) -> None:
    fake.enqueue(*[FakeReply.error(500, retry_after_s=0.01)] * 3, FakeReply.rate_limited(0.01))
    async with make_client(fake.base_url, "k", timeout_s=1.0, max_retries=2) as client:
        reply = await LLMPatient(client, "fake-model", renderer, fallback).respond(
            turn(persona, TRAINEE)
        )
    assert len(fake.chat_requests) == 3, "one call plus max_retries=2"
    assert fake.pending == 1
    assert reply.fell_back is True
    assert reply.text == FALLBACK_LINE


async def test_rate_limit_then_success_uses_the_model(
    fake: FakeOpenAI, renderer: PromptRenderer, fallback: FallbackPatient, persona: Persona
) -> None:
    fake.enqueue(FakeReply.rate_limited(0.01), FakeReply.text("Fine. Go on."))
    async with make_client(fake.base_url, "k", timeout_s=1.0, max_retries=1) as client:
        reply = await LLMPatient(client, "fake-model", renderer, fallback).respond(
            turn(persona, TRAINEE)
        )
    assert reply.text == "Fine. Go on."
    assert not reply.fell_back
    assert len(fake.chat_requests) == 2


async def test_unreachable_server_falls_back(
    renderer: PromptRenderer, fallback: FallbackPatient, persona: Persona
) -> None:
    async with FakeOpenAI() as gone:
        url = gone.base_url
    async with make_client(url, "k", timeout_s=1.0, max_retries=0) as client:
        reply = await LLMPatient(client, "fake-model", renderer, fallback).respond(
            turn(persona, TRAINEE)
        )
    assert reply.fell_back is True
    assert reply.text == FALLBACK_LINE


@pytest.mark.parametrize(
    "scripted",
    [
        pytest.param(FakeReply.text("   "), id="empty"),
        pytest.param(FakeReply.refusal(), id="refusal"),
        pytest.param(FakeReply.content_filter(), id="content-filter"),
        pytest.param(FakeReply.truncated("Look, I just don't think that"), id="cut-off"),
        pytest.param(
            FakeReply.text("As an AI language model, I can't really feel frustrated."),
            id="as-an-ai",
        ),
        pytest.param(FakeReply.text("My tension is 7/10 right now."), id="state-leak"),
        pytest.param(FakeReply.text("I'm in the disappointment_hurt stage."), id="stage-id"),
    ],
)
async def test_unusable_output_falls_back(
    fake: FakeOpenAI,
    patient: LLMPatient,
    fallback: FallbackPatient,
    persona: Persona,
    scripted: FakeReply,
) -> None:
    fake.enqueue(scripted)
    reply = await patient.respond(turn(persona, TRAINEE))
    assert reply.text == FALLBACK_LINE
    assert reply.fell_back is True
    assert fallback.calls == 1


async def test_verbatim_prompt_chunk_is_treated_as_a_leak(
    fake: FakeOpenAI, patient: LLMPatient, persona: Persona, renderer: PromptRenderer
) -> None:
    system = renderer.render_system(persona)
    chunk = " ".join(system.split("# Who you are")[0].split()[5:25])
    fake.enqueue(FakeReply.text(f"Sure. {chunk}"))
    reply = await patient.respond(turn(persona, TRAINEE))
    assert reply.fell_back is True


async def test_persona_line_echoed_from_state_note_is_not_a_leak(
    fake: FakeOpenAI, patient: LLMPatient, persona: Persona
) -> None:
    line = persona.reactions[Pitfall.DEFENSIVE][0]
    fake.enqueue(FakeReply.text(line))
    defensive = TurnEvaluation(pitfalls=(Pitfall.DEFENSIVE,), rating=1)
    reply = await patient.respond(turn(persona, TRAINEE, evaluation=defensive))
    assert reply.text == line
    assert not reply.fell_back


async def test_cut_off_reply_keeps_complete_sentences(
    fake: FakeOpenAI, patient: LLMPatient, persona: Persona
) -> None:
    fake.enqueue(FakeReply.truncated("Okay. Maybe. But I still think the whole"))
    reply = await patient.respond(turn(persona, TRAINEE))
    assert reply.text == "Okay. Maybe."
    assert not reply.fell_back


async def test_transcriber_sends_audio_and_returns_text(
    fake: FakeOpenAI, client: AsyncOpenAI
) -> None:
    fake.enqueue_transcription(FakeReply.text("  I notice we both got tense just now.  "))
    audio = b"OggS" + bytes(range(256)) * 8
    text = await OpenAITranscriber(client, "whisper-1").transcribe(audio, "voice.ogg")
    assert text == "I notice we both got tense just now."
    [sent] = fake.audio_requests
    assert sent.body["model"] == "whisper-1"
    assert sent.files["file"] == ("voice.ogg", audio)


async def test_transcriber_error_is_reported_without_openai_types(
    fake: FakeOpenAI, client: AsyncOpenAI
) -> None:
    fake.enqueue_transcription(FakeReply.error(400))
    with pytest.raises(TranscriptionFailed, match="HTTP 400"):
        await OpenAITranscriber(client, "whisper-1").transcribe(b"OggS", "voice.ogg")
