"""Canonical 3RS ids shared by personas, rubrics, evaluations and exports."""

from __future__ import annotations

from enum import StrEnum


class RuptureType(StrEnum):
    CONFRONTATION = "confrontation"
    WITHDRAWAL = "withdrawal"
    MIXED = "mixed"


class WithdrawalMarker(StrEnum):
    DENIAL = "denial"
    MINIMAL_RESPONSE = "minimal_response"
    ABSTRACT_COMMUNICATION = "abstract_communication"
    AVOIDANT_STORYTELLING = "avoidant_storytelling"
    SHIFTING_TOPIC = "shifting_topic"
    DEFERENTIAL_APPEASING = "deferential_appeasing"
    CONTENT_AFFECT_SPLIT = "content_affect_split"
    SELF_CRITICISM_HOPELESSNESS = "self_criticism_hopelessness"


class ConfrontationMarker(StrEnum):
    COMPLAINT_ABOUT_THERAPIST = "complaint_about_therapist"
    COMPLAINT_ABOUT_ACTIVITIES = "complaint_about_activities"
    COMPLAINT_ABOUT_PARAMETERS = "complaint_about_parameters"
    COMPLAINT_ABOUT_PROGRESS = "complaint_about_progress"
    REJECT_INTERVENTION = "reject_intervention"
    DEFEND_SELF = "defend_self"
    CONTROL_PRESSURE = "control_pressure"


Marker = WithdrawalMarker | ConfrontationMarker

MARKER_IDS: frozenset[str] = frozenset(m.value for m in WithdrawalMarker) | frozenset(
    m.value for m in ConfrontationMarker
)


def parse_marker(value: str) -> Marker:
    """Return the marker enum for a canonical id (ValueError if unknown)."""
    if value in WithdrawalMarker._value2member_map_:
        return WithdrawalMarker(value)
    return ConfrontationMarker(value)


def marker_family(marker: Marker) -> RuptureType:
    if isinstance(marker, WithdrawalMarker):
        return RuptureType.WITHDRAWAL
    return RuptureType.CONFRONTATION


class MoveFamily(StrEnum):
    IMMEDIATE = "immediate"
    EXPRESSIVE = "expressive"
    META = "meta"
    PITFALL = "pitfall"


class RepairStrategy(StrEnum):
    """Repair moves a trainee can make; `metacommunication` is the core expressive skill."""

    CLARIFY_MISUNDERSTANDING = "clarify_misunderstanding"
    CHANGE_TASK_OR_GOAL = "change_task_or_goal"
    PROVIDE_RATIONALE = "provide_rationale"
    REDIRECT_REFOCUS = "redirect_refocus"
    EXPLORE_RUPTURE = "explore_rupture"
    DISCLOSE_INTERNAL_EXPERIENCE = "disclose_internal_experience"
    LINK_TO_PATTERN = "link_to_pattern"
    ACKNOWLEDGE_CONTRIBUTION = "acknowledge_contribution"
    VALIDATE_DEFENSE = "validate_defense"
    METACOMMUNICATION = "metacommunication"

    @property
    def family(self) -> MoveFamily:
        if self in _IMMEDIATE:
            return MoveFamily.IMMEDIATE
        if self is RepairStrategy.METACOMMUNICATION:
            return MoveFamily.META
        return MoveFamily.EXPRESSIVE


_IMMEDIATE = frozenset(
    {
        RepairStrategy.CLARIFY_MISUNDERSTANDING,
        RepairStrategy.CHANGE_TASK_OR_GOAL,
        RepairStrategy.PROVIDE_RATIONALE,
        RepairStrategy.REDIRECT_REFOCUS,
    }
)


class Pitfall(StrEnum):
    IGNORES_RUPTURE = "ignores_rupture"
    DEFENSIVE = "defensive"
    BLAMES_PATIENT = "blames_patient"
    PREMATURE_INTERPRETATION = "premature_interpretation"


class Stage(StrEnum):
    """Stages of the 3RS resolution progression, one sequence per rupture kind."""

    ANGER = "anger"
    DISAPPOINTMENT_HURT = "disappointment_hurt"
    VULNERABILITY = "vulnerability"
    VAGUE_DISCONTENT = "vague_discontent"
    CLEARER_DISCONTENT = "clearer_discontent"
    SELF_ASSERTION = "self_assertion"


PROGRESSIONS: dict[RuptureType, tuple[Stage, Stage, Stage]] = {
    RuptureType.CONFRONTATION: (Stage.ANGER, Stage.DISAPPOINTMENT_HURT, Stage.VULNERABILITY),
    RuptureType.WITHDRAWAL: (
        Stage.VAGUE_DISCONTENT,
        Stage.CLEARER_DISCONTENT,
        Stage.SELF_ASSERTION,
    ),
}


class TensionBand(StrEnum):
    """Coarse tension bands the scripted engine picks lines by."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class Speaker(StrEnum):
    PATIENT = "patient"
    TRAINEE = "trainee"
