"""Which repair move to suggest next: one policy for hints, feedback and group review.

First the reply's own pitfall decides (defending or blaming → own your part; an
interpretation before exploring → explore; ignoring the rupture → name it). Otherwise
the marker decides the order, following the AFT guidance in the domain primer: in a
confrontation, open the rupture up (metacommunication, exploration) and own your part
when the complaint is about you; in a withdrawal, first validate the protective
stance, then invite the patient back; link to wider patterns only after exploring.
The first move in that order the trainee has not used yet is the suggestion.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.domain.ids import (
    ConfrontationMarker,
    Pitfall,
    RepairStrategy,
    RuptureType,
    WithdrawalMarker,
)

S = RepairStrategy

#: a pitfall in the last reply calls for its own repair, whatever was tried before
ANSWER_TO_PITFALL: dict[Pitfall, RepairStrategy] = {
    Pitfall.DEFENSIVE: S.ACKNOWLEDGE_CONTRIBUTION,
    Pitfall.BLAMES_PATIENT: S.ACKNOWLEDGE_CONTRIBUTION,
    Pitfall.PREMATURE_INTERPRETATION: S.EXPLORE_RUPTURE,
    Pitfall.IGNORES_RUPTURE: S.METACOMMUNICATION,
}

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

ORDER_BY_MARKER: dict[str, tuple[RepairStrategy, ...]] = {
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
ORDER_BY_TYPE: dict[RuptureType, tuple[RepairStrategy, ...]] = {
    RuptureType.CONFRONTATION: _ABOUT_THE_WORK,
    RuptureType.WITHDRAWAL: _SHUTTING_DOWN,
    RuptureType.MIXED: _MIXED,
}


def next_repair_move(
    rupture: RuptureType,
    marker: str | None,
    moves_seen: Iterable[str] = (),
    pitfalls: Iterable[str] = (),
) -> RepairStrategy:
    """The repair move most worth trying next.

    `moves_seen`: every move the trainee has made so far; `pitfalls`: those of the last
    reply.
    """
    shown = {str(p) for p in pitfalls}
    for pitfall, answer in ANSWER_TO_PITFALL.items():  # in order: owning up comes first
        if pitfall in shown:
            return answer
    seen = {str(m) for m in moves_seen}
    order = ORDER_BY_MARKER.get(marker or "", ORDER_BY_TYPE[rupture])
    explored = bool(seen & {S.EXPLORE_RUPTURE, S.METACOMMUNICATION})
    for move in order:
        if move in seen or (move is S.LINK_TO_PATTERN and not explored):
            continue
        return move
    return order[0]
