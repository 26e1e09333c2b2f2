"""Button payloads for cohorts, authoring, sharing, exports and group review.

Two-letter prefixes starting with "c" keep clear of the other features' one-letter
ones. The join button is a consent answer ("c:y:<token>"), so the consent gate lets
it through before the user has agreed. Every id is re-checked by the services.
"""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

from bot.domain.persona import PERSONA_ID
from bot.telegram.callbacks import MAX_ID, ConsentAnswer

INVITE_PATTERN = r"^[A-Za-z0-9_-]{8,40}$"
#: with a 48-character persona id, a larger cohort id would not fit in 64 bytes
MAX_ASSIGN_COHORT = 9_999_999


class CohortView(StrEnum):
    CARD = "c"
    REPORT = "r"
    ASSIGN = "a"
    MODULES = "m"
    SHARED = "s"
    LINK = "l"
    INVITE = "i"


class PersonaAction(StrEnum):
    TRY = "t"
    PUBLISH = "p"
    PROMPT = "x"


class JoinCb(CallbackData, prefix="c"):
    answer: ConsentAnswer
    token: str = Field(pattern=INVITE_PATTERN)


class CohortCb(CallbackData, prefix="ck"):
    cohort: int = Field(ge=1, le=MAX_ID)
    show: CohortView = CohortView.CARD


class CohortListCb(CallbackData, prefix="cc"):
    pass


class AssignCb(CallbackData, prefix="ca"):
    """Choose what to assign: `kind` p(ersona) or m(odule); `days` -1 asks for the due date."""

    cohort: int = Field(ge=1, le=MAX_ASSIGN_COHORT)
    kind: str = Field(pattern=r"^[pm]$")
    item: str = Field(pattern=PERSONA_ID.pattern)
    days: int = Field(default=-1, ge=-2, le=365)  # -1: ask; -2: no due date


class StartAssignedCb(CallbackData, prefix="cb"):
    assignment: int = Field(ge=1, le=MAX_ID)


class LeaveCb(CallbackData, prefix="cl"):
    cohort: int = Field(ge=1, le=MAX_ID)


class ShareCb(CallbackData, prefix="cs"):
    """`cohort` 0 asks which cohort; `confirm` 0 asks, 1 shares as pseudonym, 2 with the name."""

    session: int = Field(ge=1, le=MAX_ID)
    cohort: int = Field(default=0, ge=0, le=MAX_ID)
    confirm: int = Field(default=0, ge=0, le=2)


class RevokeCb(CallbackData, prefix="cx"):
    share: int = Field(ge=1, le=MAX_ID)


class OpenShareCb(CallbackData, prefix="co"):
    share: int = Field(ge=1, le=MAX_ID)


class ExportCb(CallbackData, prefix="ce"):
    """Export a session (its owner) or a share (`share` > 0, its cohort's trainer)."""

    session: int = Field(default=0, ge=0, le=MAX_ID)
    share: int = Field(default=0, ge=0, le=MAX_ID)
    fmt: str = Field(pattern=r"^(pdf|html|md)$")
    named: bool = False


class PersonaCbAction(CallbackData, prefix="cy"):
    persona: str = Field(pattern=PERSONA_ID.pattern)
    action: PersonaAction


class PublishCb(CallbackData, prefix="cz"):
    persona: str = Field(pattern=PERSONA_ID.pattern)
    cohort: int = Field(default=0, ge=0, le=MAX_ID)  # 0: all the trainer's cohorts


class ReviewPickCb(CallbackData, prefix="cr"):
    share: int = Field(ge=1, le=MAX_ID)


class ReviewStopCb(CallbackData, prefix="ct"):
    review: int = Field(ge=1, le=MAX_ID)
    turn: int = Field(ge=1, le=1000)


class ReviewGoCb(CallbackData, prefix="cg"):
    review: int = Field(ge=1, le=MAX_ID)
