"""The offline patient is deterministic per seed and does not repeat itself."""

from __future__ import annotations

from bot.domain.engine import PatientTurnRequest
from bot.domain.evaluation import TurnEvaluation, Utterance
from bot.domain.ids import Pitfall, Speaker, Stage, TensionBand
from bot.domain.state import PatientState, advance, initial_state
from bot.patients.scripted import ScriptedPatient
from tests.helpers import bad, persona


async def _play(seed: int, evaluations: list[TurnEvaluation]) -> list[str]:
    daniel = persona()
    engine = ScriptedPatient()
    state = initial_state(daniel)
    history = [Utterance(speaker=Speaker.PATIENT, text=daniel.opening)]
    lines = []
    for evaluation in evaluations:
        state = advance(daniel, state, evaluation)
        history.append(Utterance(speaker=Speaker.TRAINEE, text="…"))
        reply = await engine.respond(
            PatientTurnRequest(
                persona=daniel,
                history=tuple(history),
                state=state,
                evaluation=evaluation,
                seed=seed,
            )
        )
        history.append(Utterance(speaker=Speaker.PATIENT, text=reply.text))
        lines.append(reply.text)
    return lines


async def test_same_seed_same_lines_and_other_seeds_differ() -> None:
    neutral = [TurnEvaluation(rating=2)] * 3
    first = await _play(7, neutral)
    assert first == await _play(7, neutral)
    others = {tuple(await _play(seed, neutral)) for seed in range(8)}
    assert len(others) > 1


async def test_no_line_repeats_while_alternatives_remain() -> None:
    lines = await _play(3, [TurnEvaluation(rating=2)] * 8)
    assert len(lines) == len(set(lines))


async def test_lines_follow_stage_and_band() -> None:
    daniel = persona()
    state = PatientState(tension=8, stage=Stage.ANGER)
    request = PatientTurnRequest(persona=daniel, history=(), state=state, evaluation=None, seed=1)
    line = (await ScriptedPatient().respond(request)).text
    assert line in daniel.lines[Stage.ANGER][TensionBand.HIGH]


async def test_a_pitfall_gets_the_personas_reaction() -> None:
    lines = await _play(5, [bad(Pitfall.BLAMES_PATIENT)])
    assert lines == ["Wow. Okay. So I'm the problem."]
