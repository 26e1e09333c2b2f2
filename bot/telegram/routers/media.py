"""Voice notes become replies (where transcription is configured); other media get a kind word."""

from __future__ import annotations

import logging
from typing import Protocol

from aiogram import Bot, F, Router
from aiogram.types import Message

from bot.adapters.openai_llm import TranscriptionFailed
from bot.practice.records import UserRecord
from bot.practice.service import PracticeService
from bot.telegram.filters import on_loop
from bot.telegram.formatting import fill
from bot.telegram.presenters import take_reply, typing
from bot.telegram.texts import UiTexts

log = logging.getLogger(__name__)

#: Telegram's Bot API serves files up to 20 MB; longer notes are not replies anyway
MAX_VOICE_BYTES = 20 * 1024 * 1024


class Transcriber(Protocol):
    """Speech to text; raises `TranscriptionFailed` when it cannot."""

    async def transcribe(self, audio: bytes, filename: str, language: str | None = None) -> str: ...


def create_router() -> Router:
    router = Router(name="media")

    @router.message(on_loop(F.voice))
    async def voice(
        message: Message,
        bot: Bot,
        practice: PracticeService,
        texts: UiTexts,
        trainee: UserRecord,
        transcriber: Transcriber | None,
    ) -> None:
        if transcriber is None:
            await message.answer(texts.voice_unavailable)
            return
        note = message.voice
        if note is None or (note.file_size or 0) > MAX_VOICE_BYTES:
            await message.answer(texts.voice_failed)
            return
        active = await practice.active(trainee.id)
        language = (await practice.persona_of(active)).language if active else None
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
            return
        if not text.strip():
            await message.answer(texts.voice_empty)
            return
        await message.answer(fill(texts.voice_echo, text=text))
        await take_reply(message, bot, practice, texts, trainee, text)

    @router.message(on_loop(~F.text))
    async def not_text(message: Message, texts: UiTexts) -> None:
        await message.answer(texts.non_text)

    return router
