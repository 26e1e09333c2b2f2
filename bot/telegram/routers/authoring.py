"""Persona authoring for trainers: a YAML document in → problems or a preview →
try it, publish it, see its prompt; /principle for corrections, /personas to list.
"""

from __future__ import annotations

import asyncio

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message

from bot.authoring.principles import PrincipleError, pacing_tip
from bot.authoring.service import Draft
from bot.cohort_wiring import Cohorts
from bot.cohorts.records import Role
from bot.domain.content import MAX_CONTENT_BYTES, ContentError
from bot.practice.records import UserRecord
from bot.practice.service import PracticeService
from bot.telegram import cohort_views as views
from bot.telegram.cohort_callbacks import PersonaAction, PersonaCbAction, PublishCb
from bot.telegram.filters import on_loop
from bot.telegram.formatting import esc, fill, patient_line, session_header
from bot.telegram.presenters import send_long, typing
from bot.telegram.roles import HasRole
from bot.telegram.routers.practice import start_session
from bot.telegram.texts import UiTexts

YAML_FILE = r"(?i)\.ya?ml$"


def problems_html(texts: UiTexts, error: ContentError, filename: str) -> str:
    t = texts.cohorts
    lines = [fill(t.upload_problems, file=filename, count=len(error.problems))]
    lines += [
        fill(t.problem_line, field=p.field or "(file)", message=p.message) for p in error.problems
    ]
    return "\n".join(lines)


async def send_preview(
    bot: Bot, chat_id: int, cohorts: Cohorts, texts: UiTexts, draft: Draft
) -> None:
    t = texts.cohorts
    persona = draft.persona
    status = t.status_published if draft.record.published else t.status_draft
    if draft.replaced and draft.record.published:
        status += "\n" + t.replaced_published
    await bot.send_message(
        chat_id, fill(t.preview_title, title=persona.title, persona_id=persona.id, status=status)
    )
    await bot.send_message(chat_id, session_header(texts, persona))
    await bot.send_message(chat_id, patient_line(texts, persona, persona.opening))
    await send_long(bot, chat_id, views.dryrun_html(texts, draft.preview, cohorts))
    await bot.send_message(
        chat_id,
        fill(t.preview_hint, persona_id=persona.id),
        reply_markup=views.preview_keyboard(texts, persona.id),
    )


def create_router() -> Router:
    router = Router(name="authoring")
    trainer_only = HasRole(Role.TRAINER)

    @router.message(on_loop(F.document.file_name.regexp(YAML_FILE, mode="search")), trainer_only)
    async def upload(
        message: Message, bot: Bot, cohorts: Cohorts, texts: UiTexts, trainee: UserRecord
    ) -> None:
        document = message.document
        assert document is not None
        if (document.file_size or 0) > MAX_CONTENT_BYTES:
            await message.answer(
                fill(texts.cohorts.upload_too_big, limit=MAX_CONTENT_BYTES // 1024)
            )
            return
        async with typing(bot, message.chat.id):
            file = await bot.get_file(document.file_id)
            stream = await bot.download_file(file.file_path) if file.file_path else None
            raw = stream.read() if stream is not None else b""
            try:
                draft = await cohorts.authoring.upload(trainee, document.file_name, raw)
            except ContentError as exc:
                filename = document.file_name or "persona.yaml"
                await send_long(bot, message.chat.id, problems_html(texts, exc, filename))
                return
        await send_preview(bot, message.chat.id, cohorts, texts, draft)

    @router.callback_query(PersonaCbAction.filter(), trainer_only)
    async def persona_action(
        callback: CallbackQuery,
        callback_data: PersonaCbAction,
        bot: Bot,
        cohorts: Cohorts,
        practice: PracticeService,
        texts: UiTexts,
        trainee: UserRecord,
        session_seed: int | None,
    ) -> None:
        record, persona = await cohorts.authoring.owned(trainee, callback_data.persona)
        await callback.answer()
        if callback.message is None:
            return
        chat_id = callback.message.chat.id
        if callback_data.action is PersonaAction.TRY:
            await start_session(bot, chat_id, practice, texts, trainee, persona, session_seed)
        elif callback_data.action is PersonaAction.PROMPT:
            prompt = await asyncio.to_thread(cohorts.authoring.system_prompt, persona)
            await bot.send_document(
                chat_id,
                BufferedInputFile(prompt.encode(), filename=f"{persona.id}-prompt.txt"),
                caption=fill(texts.cohorts.prompt_caption, title=persona.title),
            )
        else:
            mine = await cohorts.service.trainer_cohorts(trainee)
            if len(mine) <= 1:
                await _publish(bot, chat_id, cohorts, texts, trainee, persona.id, 0)
                return
            rows = [
                [views.button(texts.cohorts.buttons.publish_all, PublishCb(persona=persona.id))],
                *[[views.button(c.name, PublishCb(persona=persona.id, cohort=c.id))] for c in mine],
            ]
            await bot.send_message(
                chat_id,
                fill(texts.cohorts.publish_choose, title=record.persona_id),
                reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
            )

    @router.callback_query(PublishCb.filter(), trainer_only)
    async def publish(
        callback: CallbackQuery,
        callback_data: PublishCb,
        bot: Bot,
        cohorts: Cohorts,
        texts: UiTexts,
        trainee: UserRecord,
    ) -> None:
        await callback.answer()
        if callback.message is not None:
            await _publish(
                bot,
                callback.message.chat.id,
                cohorts,
                texts,
                trainee,
                callback_data.persona,
                callback_data.cohort,
            )

    @router.message(Command("principle"), trainer_only)
    async def principle(
        message: Message,
        command: CommandObject,
        cohorts: Cohorts,
        practice: PracticeService,
        texts: UiTexts,
        trainee: UserRecord,
    ) -> None:
        t = texts.cohorts
        if not command.args:
            await message.answer(t.principle_usage)
            return
        active = await practice.active(trainee.id)
        try:
            added = await cohorts.authoring.add_principle(
                trainee, command.args, active.persona_id if active else None
            )
        except PrincipleError as exc:
            await message.answer(esc(str(exc)))
            return
        p = added.principle
        lines = [
            fill(t.principle_saved, count=added.count, title=added.persona.title, text=p.text),
            fill(t.principle_both, effect=p.scripted) if p.scripted else t.principle_model_only,
        ]
        if pacing_tip(p):
            lines.append(t.principle_pace_tip)
        await message.answer("\n".join(lines))

    @router.message(Command("personas"), trainer_only)
    async def my_personas(
        message: Message, cohorts: Cohorts, texts: UiTexts, trainee: UserRecord
    ) -> None:
        t = texts.cohorts
        mine = await cohorts.authoring.mine(trainee)
        if not mine:
            await message.answer(t.my_personas_none)
            return
        lines = [t.my_personas]
        rows = []
        for record in mine:
            persona = cohorts.library.persona(record.persona_id)
            title = persona.title if persona else record.persona_id
            lines.append(
                fill(
                    t.my_persona_line,
                    persona_id=record.persona_id,
                    title=title,
                    status="published" if record.published else "draft",
                    principles=len(record.principles),
                )
            )
            rows.append(
                [
                    views.button(
                        f"{t.buttons.try_persona} · {title[:30]}",
                        PersonaCbAction(persona=record.persona_id, action=PersonaAction.TRY),
                    )
                ]
            )
        await message.answer(
            "\n".join(lines), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows)
        )

    return router


async def _publish(
    bot: Bot,
    chat_id: int,
    cohorts: Cohorts,
    texts: UiTexts,
    trainer: UserRecord,
    persona_id: str,
    cohort_id: int,
) -> None:
    record = await cohorts.authoring.publish(trainer, persona_id, cohort_id or None)
    persona = cohorts.library.persona(record.persona_id)
    scope = texts.cohorts.scope_all
    if record.cohort_id is not None:
        cohort = await cohorts.service.cohort(trainer, record.cohort_id)
        scope = esc(cohort.name)
    await bot.send_message(
        chat_id,
        texts.cohorts.published.format(
            title=esc(persona.title if persona else persona_id), scope=scope
        ),
    )
