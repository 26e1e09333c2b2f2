"""Inline keyboards, built from the interface texts and the callback payloads."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.domain.persona import Persona
from bot.practice.records import SessionSummary, TurnRecord
from bot.telegram.callbacks import (
    ConsentAnswer,
    ConsentCb,
    HistoryCb,
    HistoryView,
    MenuCb,
    MenuItem,
    PersonaCb,
    ReplayCb,
    RuptureCb,
    RuptureChoice,
    WhatIfCb,
)
from bot.telegram.formatting import rating_label, snippet, stars
from bot.telegram.texts import UiTexts


def _button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def consent(texts: UiTexts) -> InlineKeyboardMarkup:
    b = texts.buttons
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(b.agree, ConsentCb(answer=ConsentAnswer.YES)),
                _button(b.decline, ConsentCb(answer=ConsentAnswer.NO)),
            ]
        ]
    )


def main_menu(texts: UiTexts) -> InlineKeyboardMarkup:
    b = texts.buttons
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(b.practise, MenuCb(item=MenuItem.PRACTISE)),
                _button(b.learn, MenuCb(item=MenuItem.LEARN)),
            ],
            [
                _button(b.progress, MenuCb(item=MenuItem.PROGRESS)),
                _button(b.help, MenuCb(item=MenuItem.HELP)),
            ],
        ]
    )


def back_to_menu(texts: UiTexts) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(texts.buttons.menu, MenuCb(item=MenuItem.MENU))]]
    )


def rupture_types(texts: UiTexts) -> InlineKeyboardMarkup:
    b = texts.buttons
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(b.confrontation, RuptureCb(kind=RuptureChoice.CONFRONTATION)),
                _button(b.withdrawal, RuptureCb(kind=RuptureChoice.WITHDRAWAL)),
            ],
            [
                _button(b.mixed, RuptureCb(kind=RuptureChoice.MIXED)),
                _button(b.surprise, RuptureCb(kind=RuptureChoice.SURPRISE)),
            ],
            [_button(b.back, MenuCb(item=MenuItem.MENU))],
        ]
    )


def persona_cards(texts: UiTexts, personas: Sequence[Persona]) -> InlineKeyboardMarkup:
    rows = [
        [
            _button(
                texts.persona_button.format(title=p.title, difficulty=stars(texts, p.difficulty)),
                PersonaCb(persona=p.id),
            )
        ]
        for p in personas
    ]
    rows.append([_button(texts.buttons.back, MenuCb(item=MenuItem.PRACTISE))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def after_feedback(texts: UiTexts, session_id: int) -> InlineKeyboardMarkup:
    b = texts.buttons
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(b.what_if, WhatIfCb(session=session_id))],
            [
                _button(b.practise_again, MenuCb(item=MenuItem.PRACTISE)),
                _button(b.menu, MenuCb(item=MenuItem.MENU)),
            ],
        ]
    )


def replay_turns(
    texts: UiTexts, session_id: int, trainee_turns: Sequence[TurnRecord]
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for number, turn in enumerate(trainee_turns, start=1):
        builder.row(
            _button(
                texts.what_if_button.format(turn=number, snippet=snippet(turn.text)),
                ReplayCb(session=session_id, turn=number),
            )
        )
    return builder.as_markup()


def history(texts: UiTexts, sessions: Sequence[tuple[SessionSummary, str]]) -> InlineKeyboardMarkup:
    """One button per session; `sessions` pairs each summary with its persona title."""
    builder = InlineKeyboardBuilder()
    for summary, title in sessions:
        label = texts.history_button.format(
            date=summary.started_at.strftime(texts.history_date_format),
            title=snippet(title),
            rating=rating_label(texts, summary.status, summary.resolution_rating),
        )
        builder.row(_button(label, HistoryCb(session=summary.id)))
    builder.row(_button(texts.buttons.menu, MenuCb(item=MenuItem.MENU)))
    return builder.as_markup()


def history_item(
    texts: UiTexts, session_id: int, *, finished: bool, replayable: bool
) -> InlineKeyboardMarkup:
    b = texts.buttons
    row = [_button(b.transcript, HistoryCb(session=session_id, show=HistoryView.TRANSCRIPT))]
    if finished:
        row.insert(0, _button(b.feedback, HistoryCb(session=session_id, show=HistoryView.FEEDBACK)))
    rows = [row]
    if finished and replayable:
        rows.append([_button(b.what_if, WhatIfCb(session=session_id))])
    return InlineKeyboardMarkup(inline_keyboard=rows)
