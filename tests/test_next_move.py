"""One policy picks the next repair move for /hint, session feedback, group review and the
rule judge's feedback sentence."""

from __future__ import annotations

from bot.domain.evaluation import RuptureMoment
from bot.domain.ids import (
    ConfrontationMarker,
    Pitfall,
    RepairStrategy,
    RuptureType,
    WithdrawalMarker,
)
from bot.domain.next_move import next_repair_move
from bot.judges.hints import suggest_next_move

S = RepairStrategy


def test_a_pitfall_in_the_last_reply_decides_first() -> None:
    about_work = (RuptureType.CONFRONTATION, ConfrontationMarker.COMPLAINT_ABOUT_ACTIVITIES)
    assert next_repair_move(*about_work, (), [Pitfall.DEFENSIVE]) is S.ACKNOWLEDGE_CONTRIBUTION
    assert next_repair_move(*about_work, (), [Pitfall.BLAMES_PATIENT]) is S.ACKNOWLEDGE_CONTRIBUTION
    assert next_repair_move(*about_work, (), ["premature_interpretation"]) is S.EXPLORE_RUPTURE
    assert next_repair_move(*about_work, (), [Pitfall.IGNORES_RUPTURE]) is S.METACOMMUNICATION
    both = [Pitfall.IGNORES_RUPTURE, Pitfall.DEFENSIVE]
    assert next_repair_move(*about_work, (), both) is S.ACKNOWLEDGE_CONTRIBUTION


def test_without_a_pitfall_the_marker_orders_the_moves_not_yet_tried() -> None:
    about_me = (RuptureType.CONFRONTATION, ConfrontationMarker.COMPLAINT_ABOUT_THERAPIST)
    assert next_repair_move(*about_me) is S.ACKNOWLEDGE_CONTRIBUTION
    assert next_repair_move(*about_me, [S.ACKNOWLEDGE_CONTRIBUTION]) is S.EXPLORE_RUPTURE
    quiet = (RuptureType.WITHDRAWAL, WithdrawalMarker.MINIMAL_RESPONSE)
    assert next_repair_move(*quiet) is S.VALIDATE_DEFENSE
    drifting = (RuptureType.WITHDRAWAL, WithdrawalMarker.SHIFTING_TOPIC)
    assert next_repair_move(*drifting) is S.METACOMMUNICATION
    assert next_repair_move(RuptureType.MIXED, None) is S.METACOMMUNICATION


def test_a_link_to_patterns_waits_until_the_rupture_was_explored() -> None:
    quiet = (RuptureType.WITHDRAWAL, WithdrawalMarker.DENIAL)
    tried = [S.VALIDATE_DEFENSE, S.DISCLOSE_INTERNAL_EXPERIENCE]
    assert next_repair_move(*quiet, tried) is S.METACOMMUNICATION
    everything_but_link = [*tried, S.METACOMMUNICATION, S.EXPLORE_RUPTURE]
    assert next_repair_move(*quiet, everything_but_link) is S.LINK_TO_PATTERN


def test_the_rule_judge_suggests_by_the_same_policy() -> None:
    moment = RuptureMoment(
        lang="en",
        rupture=RuptureType.CONFRONTATION,
        marker=ConfrontationMarker.COMPLAINT_ABOUT_ACTIVITIES,
        context=(),
        reply="Well, the worksheets are evidence-based.",
    )
    assert suggest_next_move(moment, (), [Pitfall.DEFENSIVE]) is S.ACKNOWLEDGE_CONTRIBUTION
    assert suggest_next_move(moment) is next_repair_move(moment.rupture, moment.marker)
