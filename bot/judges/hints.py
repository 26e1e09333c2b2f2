"""Choosing a next repair move to suggest as a hint.

The order follows the AFT guidance in the domain primer: in a confrontation,
open the rupture up (metacommunication, exploration) and own your part when the
complaint is about you; in a withdrawal, first validate the protective stance,
then invite the patient back; link to wider patterns only after exploring.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.domain.evaluation import RuptureMoment
from bot.domain.ids import ConfrontationMarker, RepairStrategy, RuptureType, WithdrawalMarker

S = RepairStrategy

_ABOUT_THERAPIST = (
    S.ACKNOWLEDGE_CONTRIBUTION,
    S.EXPLORE_RUPTURE,
    S.METACOMMUNICATION,
    S.VALIDATE_DEFENSE,
    S.DISCLOSE_INTERNAL_EXPERIENCE,
    S.LINK_TO_PATTERN,
)
_ABOUT_THE_WORK = (
    S.EXPLORE_RUPTURE,
    S.METACOMMUNICATION,
    S.VALIDATE_DEFENSE,
    S.ACKNOWLEDGE_CONTRIBUTION,
    S.CHANGE_TASK_OR_GOAL,
    S.LINK_TO_PATTERN,
)
_PUSHING = (
    S.METACOMMUNICATION,
    S.VALIDATE_DEFENSE,
    S.EXPLORE_RUPTURE,
    S.DISCLOSE_INTERNAL_EXPERIENCE,
    S.ACKNOWLEDGE_CONTRIBUTION,
    S.LINK_TO_PATTERN,
)
_SHUTTING_DOWN = (
    S.VALIDATE_DEFENSE,
    S.METACOMMUNICATION,
    S.EXPLORE_RUPTURE,
    S.DISCLOSE_INTERNAL_EXPERIENCE,
    S.LINK_TO_PATTERN,
)
_AVOIDING = (
    S.METACOMMUNICATION,
    S.REDIRECT_REFOCUS,
    S.VALIDATE_DEFENSE,
    S.EXPLORE_RUPTURE,
    S.LINK_TO_PATTERN,
)
_MIXED = (
    S.METACOMMUNICATION,
    S.VALIDATE_DEFENSE,
    S.EXPLORE_RUPTURE,
    S.ACKNOWLEDGE_CONTRIBUTION,
    S.DISCLOSE_INTERNAL_EXPERIENCE,
    S.LINK_TO_PATTERN,
)

_BY_MARKER: dict[str, tuple[RepairStrategy, ...]] = {
    ConfrontationMarker.COMPLAINT_ABOUT_THERAPIST: _ABOUT_THERAPIST,
    ConfrontationMarker.COMPLAINT_ABOUT_PARAMETERS: _ABOUT_THERAPIST,
    ConfrontationMarker.COMPLAINT_ABOUT_ACTIVITIES: _ABOUT_THE_WORK,
    ConfrontationMarker.COMPLAINT_ABOUT_PROGRESS: _ABOUT_THE_WORK,
    ConfrontationMarker.REJECT_INTERVENTION: _ABOUT_THE_WORK,
    ConfrontationMarker.DEFEND_SELF: _PUSHING,
    ConfrontationMarker.CONTROL_PRESSURE: _PUSHING,
    WithdrawalMarker.DENIAL: _SHUTTING_DOWN,
    WithdrawalMarker.MINIMAL_RESPONSE: _SHUTTING_DOWN,
    WithdrawalMarker.DEFERENTIAL_APPEASING: _SHUTTING_DOWN,
    WithdrawalMarker.CONTENT_AFFECT_SPLIT: _SHUTTING_DOWN,
    WithdrawalMarker.SELF_CRITICISM_HOPELESSNESS: _SHUTTING_DOWN,
    WithdrawalMarker.ABSTRACT_COMMUNICATION: _AVOIDING,
    WithdrawalMarker.AVOIDANT_STORYTELLING: _AVOIDING,
    WithdrawalMarker.SHIFTING_TOPIC: _AVOIDING,
}
_BY_TYPE: dict[RuptureType, tuple[RepairStrategy, ...]] = {
    RuptureType.CONFRONTATION: _ABOUT_THE_WORK,
    RuptureType.WITHDRAWAL: _SHUTTING_DOWN,
    RuptureType.MIXED: _MIXED,
}


def suggest_next_move(moment: RuptureMoment, moves_seen: Iterable[str] = ()) -> RepairStrategy:
    """The first move in the order for this rupture that the trainee has not used yet.

    A link to wider patterns is only suggested once the rupture has been explored.
    """
    seen = {str(m) for m in moves_seen}
    order = _BY_MARKER.get(moment.marker or "", _BY_TYPE[moment.rupture])
    explored = bool(seen & {S.EXPLORE_RUPTURE, S.METACOMMUNICATION})
    for move in order:
        if move in seen or (move is S.LINK_TO_PATTERN and not explored):
            continue
        return move
    return order[0]
