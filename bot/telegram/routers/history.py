"""/history ("My progress"): past sessions, their feedback again, transcripts as documents."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message

from bot.cohort_wiring import Cohorts
from bot.domain.ids import Speaker
from bot.practice.records import SessionStatus, UserRecord
from bot.practice.service import PracticeService
from bot.telegram import keyboards
from bot.telegram.callbacks import HistoryCb, HistoryView, MenuCb, MenuItem
from bot.telegram.cohort_views import share_export_rows
from bot.telegram.formatting import fill, rating_label, transcript_text
from bot.telegram.presenters import send_feedback, show
from bot.telegram.texts import UiTexts

HISTORY_LIMIT = 10


def _title(practice: PracticeService, persona_id: str) -> str:
    persona = practice.catalog.persona(persona_id)
    return persona.title if persona is not None else persona_id


async def _overview(
    practice: PracticeService, texts: UiTexts, trainee: UserRecord
) -> tuple[str, InlineKeyboardMarkup]:
    sessions = await practice.history(trainee.id, HISTORY_LIMIT)
    if not sessions:
        return texts.history_empty, keyboards.main_menu(texts)
    ratings = [s.resolution_rating for s in sessions if s.resolution_rating is not None]
    if ratings:
        title = texts.history_title.format(
            count=len(sessions), average=f"{sum(ratings) / len(ratings):.1f}"
        )
    else:
        title = texts.history_title_no_rating.format(count=len(sessions))
    items = [(s, _title(practice, s.persona_id)) for s in sessions]
    return title, keyboards.history(texts, items)


def create_router() -> Router:
    router = Router(name="history")

    @router.message(Command("history"))
    async def history_command(
        message: Message, practice: PracticeService, texts: UiTexts, trainee: UserRecord
    ) -> None:
        text, markup = await _overview(practice, texts, trainee)
        await message.answer(text, reply_markup=markup)

    @router.callback_query(MenuCb.filter(F.item.in_({MenuItem.PROGRESS, MenuItem.HISTORY})))
    async def progress_button(
        callback: CallbackQuery,
        bot: Bot,
        practice: PracticeService,
        texts: UiTexts,
        trainee: UserRecord,
    ) -> None:
        text, markup = await _overview(practice, texts, trainee)
        await callback.answer()
        await show(bot, callback, text, markup)

    @router.callback_query(HistoryCb.filter())
    async def session_item(
        callback: CallbackQuery,
        callback_data: HistoryCb,
        bot: Bot,
        practice: PracticeService,
        texts: UiTexts,
        trainee: UserRecord,
        cohorts: Cohorts | None = None,
    ) -> None:
        session = await practice.owned_session(trainee.id, callback_data.session)
        if callback.message is None:
            await callback.answer()
            return
        chat_id = callback.message.chat.id
        persona = await practice.persona_of(session)
        if callback_data.show is HistoryView.FEEDBACK:
            feedback = await practice.feedback(trainee.id, session.id)
            await callback.answer()
            await send_feedback(bot, chat_id, practice, texts, session.id, persona, feedback)
            return
        date = session.started_at.strftime(texts.history_date_format)
        await callback.answer()
        if callback_data.show is HistoryView.TRANSCRIPT:
            document = transcript_text(texts, persona, session).encode()
            await bot.send_document(
                chat_id,
                BufferedInputFile(document, filename=f"transcript-{session.id}.txt"),
                caption=fill(texts.transcript_caption, title=persona.title, date=date),
            )
            return
        replies = sum(1 for t in session.turns if t.speaker is Speaker.TRAINEE)
        finished = session.status is SessionStatus.FINISHED
        markup = keyboards.history_item(
            texts, session.id, finished=finished, replayable=replies > 0
        )
        if finished and cohorts is not None:
            markup.inline_keyboard.extend(share_export_rows(texts, session.id))
        await bot.send_message(
            chat_id,
            fill(
                texts.history_item,
                title=persona.title,
                date=date,
                turns=replies,
                rating=rating_label(texts, session.status, session.resolution_rating),
            ),
            reply_markup=markup,
        )

    return router
