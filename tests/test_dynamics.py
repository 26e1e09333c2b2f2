"""The patient softens slowly with good repair and hardens with pitfalls."""

from __future__ import annotations

from bot.domain.evaluation import TurnEvaluation
from bot.domain.ids import Pitfall, RepairStrategy, Stage
from bot.domain.state import advance, initial_state
from tests.helpers import bad, good, persona


def test_one_good_reply_lowers_tension_by_a_bounded_step() -> None:
    daniel = persona()
    start = initial_state(daniel)
    after = advance(daniel, start, good(RepairStrategy.ACKNOWLEDGE_CONTRIBUTION, rating=5))
    assert start.tension == 7
    assert after.tension == 5  # softened_by 2, capped by max_softening_per_turn 2
    assert not after.resolved


def test_good_replies_resolve_gradually_through_the_stages() -> None:
    daniel = persona()
    state = initial_state(daniel)
    trace = []
    for _ in range(3):
        state = advance(daniel, state, good(RepairStrategy.METACOMMUNICATION))
        trace.append((state.tension, state.stage, state.resolved))
    assert trace == [
        (5, Stage.DISAPPOINTMENT_HURT, False),
        (3, Stage.VULNERABILITY, False),
        (1, Stage.VULNERABILITY, True),
    ]


def test_defensive_reply_raises_tension_and_ignoring_keeps_it() -> None:
    daniel = persona()
    start = initial_state(daniel)
    assert advance(daniel, start, bad(Pitfall.DEFENSIVE)).tension == 9
    assert advance(daniel, start, bad(Pitfall.BLAMES_PATIENT)).tension == 10
    ignored = TurnEvaluation(pitfalls=(Pitfall.IGNORES_RUPTURE,), rating=2)
    assert advance(daniel, start, ignored).tension == 9  # this patient hates being ignored (+2)
    neutral = TurnEvaluation(rating=2)
    assert advance(daniel, start, neutral).tension == 7


def test_a_pitfall_cancels_a_move_in_the_same_reply() -> None:
    daniel = persona()
    mixed = TurnEvaluation(
        moves=(RepairStrategy.PROVIDE_RATIONALE,), pitfalls=(Pitfall.DEFENSIVE,), rating=2
    )
    assert advance(daniel, initial_state(daniel), mixed).tension == 9


def test_partial_reply_softens_at_most_one_point() -> None:
    daniel = persona()
    partial = TurnEvaluation(moves=(RepairStrategy.EXPLORE_RUPTURE,), rating=3)
    assert advance(daniel, initial_state(daniel), partial).tension == 6


def test_pitfall_after_progress_sends_the_patient_back_a_stage() -> None:
    daniel = persona()
    state = advance(daniel, initial_state(daniel), good())
    assert state.stage is Stage.DISAPPOINTMENT_HURT
    worse = advance(daniel, state, bad(Pitfall.BLAMES_PATIENT))
    assert worse.tension == 8
    assert worse.stage is Stage.ANGER


def test_resolution_needs_two_low_turns_in_a_row() -> None:
    daniel = persona()
    state = initial_state(daniel)
    for _ in range(2):
        state = advance(daniel, state, good())
    assert state.tension == 3 and state.low_streak == 1 and not state.resolved
    state = advance(daniel, state, bad(Pitfall.DEFENSIVE))
    assert state.low_streak == 0
    assert state.turn == 3
    assert state.moves_seen == (RepairStrategy.METACOMMUNICATION,)
