"""Trainees and cohorts: joining by invite link, assignments, leaving, /whoami.

The invite link is ``t.me/<bot>?start=<token>``. Someone who has not agreed to
storage yet sees the usual introduction with a "✅ I agree and join" button, so
consent comes first and nothing is stored before it.
"""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.cohort_wiring import Cohorts
from bot.cohorts.records import AssignmentKind
from bot.practice.records import UserRecord
from bot.practice.service import PracticeService
from bot.telegram import cohort_views as views
from bot.telegram import keyboards
from bot.telegram.callbacks import ConsentAnswer, ConsentCb
from bot.telegram.cohort_callbacks import JoinCb, LeaveCb, StartAssignedCb
from bot.telegram.formatting import fill
from bot.telegram.identity import grant_consent
from bot.telegram.presenters import drop_keyboard
from bot.telegram.routers.practice import start_session
from bot.telegram.texts import UiTexts


async def _join(
    bot: Bot,
    chat_id: int,
    cohorts: Cohorts,
    texts: UiTexts,
    user: UserRecord,
    token: str,
    name: str,
) -> None:
    result = await cohorts.service.join(user, token, name)
    t = texts.cohorts
    if result.already_member:
        await bot.send_message(chat_id, fill(t.already_member, name=result.cohort.name))
    else:
        await bot.send_message(
            chat_id,
            fill(
                t.joined,
                name=result.cohort.name,
                display_name=result.member.display_name,
                pseudonym=result.member.pseudonym,
            ),
        )
    text, markup = await views.practise_screen(texts, user.id, cohorts)
    await bot.send_message(chat_id, text, reply_markup=markup)


def create_router() -> Router:
    router = Router(name="membership")

    @router.message(CommandStart(deep_link=True))
    async def start_with_invite(
        message: Message,
        command: CommandObject,
        bot: Bot,
        cohorts: Cohorts,
        texts: UiTexts,
        trainee: UserRecord | None,
    ) -> None:
        token = (command.args or "").strip()
        cohort = await cohorts.service.preview_invite(token)
        if cohort is None:
            await message.answer(texts.cohorts.join_bad)
            if trainee is None:
                await message.answer(
                    f"{texts.intro}\n\n<b>{texts.consent_question}</b>",
                    reply_markup=keyboards.consent(texts),
                )
            return
        if trainee is not None:
            name = message.from_user.full_name if message.from_user else ""
            await _join(bot, message.chat.id, cohorts, texts, trainee, token, name)
            return
        await message.answer(
            f"{texts.intro}\n\n{fill(texts.cohorts.join_invited, name=cohort.name)}\n\n"
            f"<b>{texts.consent_question}</b>",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[
                    [
                        views.button(
                            texts.cohorts.buttons.join,
                            JoinCb(answer=ConsentAnswer.YES, token=token),
                        ),
                        views.button(texts.buttons.decline, ConsentCb(answer=ConsentAnswer.NO)),
                    ]
                ]
            ),
        )

    @router.callback_query(JoinCb.filter())
    async def agree_and_join(
        callback: CallbackQuery,
        callback_data: JoinCb,
        bot: Bot,
        practice: PracticeService,
        cohorts: Cohorts,
        texts: UiTexts,
    ) -> None:
        await callback.answer()
        if callback.message is None:
            return
        await drop_keyboard(bot, callback)
        user = await grant_consent(practice.store, callback.from_user.id)
        await bot.send_message(callback.message.chat.id, texts.consent_thanks)
        await _join(
            bot,
            callback.message.chat.id,
            cohorts,
            texts,
            user,
            callback_data.token,
            callback.from_user.full_name,
        )

    @router.message(Command("assignments"))
    async def assignments(
        message: Message, cohorts: Cohorts, texts: UiTexts, trainee: UserRecord
    ) -> None:
        statuses = await cohorts.service.assignments_for(trainee)
        if not statuses:
            await message.answer(texts.cohorts.assignments_none)
            return
        await message.answer(
            views.assignments_html(texts, statuses),
            reply_markup=views.practise_keyboard(texts, statuses),
        )

    @router.callback_query(StartAssignedCb.filter())
    async def start_assigned(
        callback: CallbackQuery,
        callback_data: StartAssignedCb,
        bot: Bot,
        practice: PracticeService,
        cohorts: Cohorts,
        texts: UiTexts,
        trainee: UserRecord,
        session_seed: int | None,
    ) -> None:
        statuses = await cohorts.service.assignments_for(trainee)
        found = next((s for s in statuses if s.assignment.id == callback_data.assignment), None)
        if found is None or callback.message is None:
            await callback.answer(texts.button_refused, show_alert=True)
            return
        await callback.answer()
        chat_id = callback.message.chat.id
        if found.assignment.kind is AssignmentKind.MODULE:
            await bot.send_message(
                chat_id, fill(texts.cohorts.module_assignment, title=found.title)
            )
            return
        persona = practice.persona(found.assignment.item_id)
        await drop_keyboard(bot, callback)
        await start_session(bot, chat_id, practice, texts, trainee, persona, session_seed)

    @router.message(Command("leave"))
    async def leave(
        message: Message, cohorts: Cohorts, texts: UiTexts, trainee: UserRecord
    ) -> None:
        memberships = await cohorts.service.memberships(trainee)
        if not memberships:
            await message.answer(texts.cohorts.not_in_cohort)
            return
        rows = [
            [
                views.button(
                    texts.cohorts.buttons.leave.format(name=cohort.name, cohort=cohort.name),
                    LeaveCb(cohort=cohort.id),
                )
            ]
            for cohort, _ in memberships
        ]
        await message.answer(
            texts.cohorts.leave_choose, reply_markup=InlineKeyboardMarkup(inline_keyboard=rows)
        )

    @router.callback_query(LeaveCb.filter())
    async def left(
        callback: CallbackQuery,
        callback_data: LeaveCb,
        bot: Bot,
        cohorts: Cohorts,
        texts: UiTexts,
        trainee: UserRecord,
    ) -> None:
        cohort = await cohorts.service.leave(trainee, callback_data.cohort)
        await callback.answer()
        if callback.message is not None:
            await drop_keyboard(bot, callback)
            await bot.send_message(
                callback.message.chat.id, fill(texts.cohorts.left, name=cohort.name)
            )

    @router.message(Command("whoami"))
    async def whoami(
        message: Message, cohorts: Cohorts, texts: UiTexts, trainee: UserRecord
    ) -> None:
        role = await cohorts.service.role(trainee)
        await message.answer(
            fill(
                texts.cohorts.whoami,
                telegram_id=trainee.external_id,
                role=texts.cohorts.role_names.get(role.value, role.value),
            )
        )

    return router
