"""Prompt exercises in a private chat: the patient says one thing, the trainee answers in
free text, the judge gives feedback, then the model answer and why it works.

While a prompt waits (`LearnFlow.prompt`), the trainee's next text or voice message is its
answer, even when a role-play session is open: the prompt was opened last and says so.
A role-play started after the prompt wins instead, and the prompt is put aside.
"""

from __future__ import annotations

import logging
from contextlib import suppress

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.adapters.openai_llm import TranscriptionFailed
from bot.learning import LearningError, LearningService, Module, PromptExercise
from bot.practice.records import UserRecord
from bot.practice.service import PracticeService
from bot.telegram.filters import on_loop
from bot.telegram.formatting import esc, fill
from bot.telegram.learn_callbacks import OpenPromptCb, PromptAsideCb, PromptsCb
from bot.telegram.learn_state import (
    LearnFlow,
    OpenPrompt,
    await_prompt,
    close_prompt,
    open_prompt,
)
from bot.telegram.learn_views import after_prompt, prompt_result_html, prompt_screen, put_aside
from bot.telegram.presenters import drop_keyboard, send_long, typing
from bot.telegram.routers.media import MAX_VOICE_BYTES, Transcriber
from bot.telegram.texts import UiTexts

log = logging.getLogger(__name__)


def prompt_in_module(learning: LearningService, prompt_id: str) -> tuple[Module, PromptExercise]:
    found = learning.catalog.prompt(prompt_id)
    if found is None:
        raise LearningError("unknown_prompt", "That prompt is no longer in the course.")
    return found


async def send_prompt(
    bot: Bot,
    chat_id: int,
    state: FSMContext,
    learning: LearningService,
    practice: PracticeService,
    texts: UiTexts,
    trainee: UserRecord,
    prompt_id: str,
    note: str = "",
) -> None:
    module, prompt = prompt_in_module(learning, prompt_id)
    active = await practice.active(trainee.id)
    paused = (await practice.persona_of(active)).title if active is not None else None
    text, markup = prompt_screen(texts, module, prompt, note=note, paused_title=paused)
    sent = await bot.send_message(chat_id, text, reply_markup=markup)
    await await_prompt(
        state,
        OpenPrompt(
            prompt=prompt.id,
            message=sent.message_id,
            session=active.id if active is not None else None,
        ),
    )


def _after(module: Module, after: str) -> PromptExercise:
    ids = [p.id for p in module.prompts]
    start = ids.index(after) + 1 if after in ids else 0
    return module.prompts[start % len(ids)]


async def _waiting(
    message: Message,
    practice: PracticeService,
    texts: UiTexts,
    trainee: UserRecord,
    state: FSMContext,
) -> OpenPrompt:
    """The prompt this message answers; otherwise hand the message on to the other routers."""
    waiting = await open_prompt(state)
    if waiting is None:
        await close_prompt(state)
        raise SkipHandler
    active = await practice.active(trainee.id)
    if active is not None and active.id != waiting.session:
        await close_prompt(state)
        await message.answer(texts.learning.prompt_replaced_by_session)
        raise SkipHandler
    return waiting


async def _answer(
    message: Message,
    bot: Bot,
    learning: LearningService,
    practice: PracticeService,
    texts: UiTexts,
    trainee: UserRecord,
    state: FSMContext,
    waiting: OpenPrompt,
    text: str,
) -> None:
    chat_id = message.chat.id
    module, prompt = prompt_in_module(learning, waiting.prompt)
    try:
        async with typing(bot, chat_id):
            result = await learning.answer_prompt(trainee.id, prompt.id, text)
    except LearningError as exc:  # empty or too long: the prompt keeps waiting
        await message.answer(esc(str(exc)))
        return
    await close_prompt(state)
    with suppress(TelegramBadRequest):
        await bot.edit_message_reply_markup(
            chat_id=chat_id, message_id=waiting.message, reply_markup=None
        )
    if result.crisis_message or result.evaluation is None:
        await send_long(bot, chat_id, esc(result.crisis_message or ""))
        return
    anchors = practice.catalog.rubric_for(learning.language).rating_anchors
    html = prompt_result_html(texts, learning, result, result.evaluation, anchors)
    await send_long(bot, chat_id, html, after_prompt(texts, module, prompt.id))


def create_router() -> Router:
    router = Router(name="prompts")

    @router.callback_query(PromptsCb.filter())
    async def next_prompt(
        callback: CallbackQuery,
        callback_data: PromptsCb,
        bot: Bot,
        learning: LearningService,
        practice: PracticeService,
        texts: UiTexts,
        trainee: UserRecord,
        state: FSMContext,
    ) -> None:
        module = learning.module(callback_data.module)
        await callback.answer()
        if callback.message is None:
            return
        prompt = await learning.next_prompt(trainee.id, module.id)
        note = ""
        if prompt is None:
            prompt = _after(module, callback_data.after)
            note = fill(texts.learning.all_prompts_done, title=module.title)
        await send_prompt(
            bot,
            callback.message.chat.id,
            state,
            learning,
            practice,
            texts,
            trainee,
            prompt.id,
            note,
        )

    @router.callback_query(OpenPromptCb.filter())
    async def open_one(
        callback: CallbackQuery,
        callback_data: OpenPromptCb,
        bot: Bot,
        learning: LearningService,
        practice: PracticeService,
        texts: UiTexts,
        trainee: UserRecord,
        state: FSMContext,
    ) -> None:
        prompt_in_module(learning, callback_data.prompt)
        await callback.answer()
        if callback.message is not None:
            await send_prompt(
                bot,
                callback.message.chat.id,
                state,
                learning,
                practice,
                texts,
                trainee,
                callback_data.prompt,
            )

    @router.callback_query(PromptAsideCb.filter())
    async def not_now(
        callback: CallbackQuery,
        callback_data: PromptAsideCb,
        bot: Bot,
        learning: LearningService,
        texts: UiTexts,
        state: FSMContext,
    ) -> None:
        module = learning.module(callback_data.module)
        await callback.answer()
        await drop_keyboard(bot, callback)
        waiting = await open_prompt(state)
        message = callback.message
        if message is None or waiting is None or waiting.message != message.message_id:
            return  # an older prompt's button: nothing is waiting on it
        await close_prompt(state)
        await bot.send_message(
            message.chat.id, texts.learning.prompt_put_aside, reply_markup=put_aside(texts, module)
        )

    @router.message(
        StateFilter(LearnFlow.prompt), on_loop(F.text), on_loop(~F.text.startswith("/"))
    )
    async def answer_text(
        message: Message,
        bot: Bot,
        learning: LearningService,
        practice: PracticeService,
        texts: UiTexts,
        trainee: UserRecord,
        state: FSMContext,
    ) -> None:
        waiting = await _waiting(message, practice, texts, trainee, state)
        await _answer(
            message, bot, learning, practice, texts, trainee, state, waiting, message.text or ""
        )

    @router.message(StateFilter(LearnFlow.prompt), on_loop(F.voice))
    async def answer_voice(
        message: Message,
        bot: Bot,
        learning: LearningService,
        practice: PracticeService,
        texts: UiTexts,
        trainee: UserRecord,
        state: FSMContext,
        transcriber: Transcriber | None,
    ) -> None:
        waiting = await _waiting(message, practice, texts, trainee, state)
        if transcriber is None:
            raise SkipHandler  # the media router says voice is not switched on
        text = await _transcribe(message, bot, texts, transcriber, learning.language)
        if text is not None:
            await message.answer(fill(texts.voice_echo, text=text))
            await _answer(message, bot, learning, practice, texts, trainee, state, waiting, text)

    return router


async def _transcribe(
    message: Message, bot: Bot, texts: UiTexts, transcriber: Transcriber, language: str
) -> str | None:
    """The words of a voice note, or None after telling the trainee what went wrong."""
    note = message.voice
    if note is None or (note.file_size or 0) > MAX_VOICE_BYTES:
        await message.answer(texts.voice_failed)
        return None
    try:
        async with typing(bot, message.chat.id):
            file = await bot.get_file(note.file_id)
            audio = await bot.download_file(file.file_path) if file.file_path else None
            if audio is None:
                raise TranscriptionFailed("no file path")
            text = await transcriber.transcribe(audio.read(), "voice.ogg", language)
    except TranscriptionFailed as exc:
        log.warning("voice note not transcribed: %s", exc)
        await message.answer(texts.voice_failed)
        return None
    if not text.strip():
        await message.answer(texts.voice_empty)
        return None
    return text
