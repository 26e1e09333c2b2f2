"""Inline-button payloads. Telegram allows 64 bytes, so prefixes are one letter.

A payload is untrusted input: anyone can send any string. Parsing rejects what does
not fit these shapes, and handlers re-check ownership of every session id.
"""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

from bot.domain.persona import PERSONA_ID

MAX_CALLBACK_BYTES = 64
MAX_ID = 2**53


class ConsentAnswer(StrEnum):
    YES = "y"
    NO = "n"


class MenuItem(StrEnum):
    MENU = "menu"
    PRACTISE = "practise"
    LEARN = "learn"
    PROGRESS = "progress"
    HISTORY = "history"
    HELP = "help"


class RuptureChoice(StrEnum):
    CONFRONTATION = "confrontation"
    WITHDRAWAL = "withdrawal"
    MIXED = "mixed"
    SURPRISE = "surprise"


class HistoryView(StrEnum):
    ITEM = "i"
    FEEDBACK = "f"
    TRANSCRIPT = "x"


class ConsentCb(CallbackData, prefix="c"):
    answer: ConsentAnswer


class MenuCb(CallbackData, prefix="m"):
    item: MenuItem


class RuptureCb(CallbackData, prefix="r"):
    kind: RuptureChoice


class PersonaCb(CallbackData, prefix="p"):
    persona: str = Field(pattern=PERSONA_ID.pattern)


class WhatIfCb(CallbackData, prefix="w"):
    """Show the turns of a finished session that can be replayed."""

    session: int = Field(ge=1, le=MAX_ID)


class ReplayCb(CallbackData, prefix="t"):
    session: int = Field(ge=1, le=MAX_ID)
    turn: int = Field(ge=1, le=1000)


class ForgetCb(CallbackData, prefix="d"):
    """The answer to /forget's "delete everything?" question."""

    answer: ConsentAnswer


class HistoryCb(CallbackData, prefix="h"):
    session: int = Field(ge=1, le=MAX_ID)
    show: HistoryView = HistoryView.ITEM
