"""Trainers (and admins) in a private chat: roles, cohorts, invites, assignments, the report.

Admins: /promote ID, /demote ID, /trainers. Trainers: /cohorts, /newcohort NAME, and
the cohort card's buttons (report, assign, shared sessions, link a group, new invite).
Every command here is refused politely to anyone without the role.
"""

from __future__ import annotations

import asyncio

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message

from bot.cohort_chart import cohort_chart
from bot.cohort_wiring import Cohorts
from bot.cohorts.records import Role
from bot.practice.records import UserRecord
from bot.practice.service import PracticeService
from bot.telegram import cohort_views as views
from bot.telegram.cohort_callbacks import AssignCb, CohortCb, CohortListCb, CohortView, OpenShareCb
from bot.telegram.filters import on_loop
from bot.telegram.formatting import fill, snippet
from bot.telegram.presenters import send_long, show
from bot.telegram.roles import HasRole
from bot.telegram.routers.authoring import YAML_FILE
from bot.telegram.texts import UiTexts

ADMIN_COMMANDS = ("promote", "demote", "trainers")
TRAINER_COMMANDS = ("cohorts", "newcohort", "personas", "principle")


async def _cohort_card(
    bot: Bot, cohorts: Cohorts, texts: UiTexts, trainer: UserRecord, cohort_id: int
) -> str:
    cohort = await cohorts.service.cohort(trainer, cohort_id)
    invite = await cohorts.service.invite(trainer, cohort.id)
    members = await cohorts.service.members(trainer, cohort.id)
    assignments = await cohorts.service.cohort_assignments(trainer, cohort.id)
    shares = await cohorts.sharing.cohort_shares(trainer, cohort.id)
    me = await bot.me()
    return fill(
        texts.cohorts.cohort_card,
        name=cohort.name,
        members=len(members),
        assignments=len(assignments),
        shares=len(shares),
        link=views.invite_link(me.username, invite.token),
    )


def create_router() -> Router:
    router = Router(name="trainer")
    admin = HasRole(Role.ADMIN)
    trainer_only = HasRole(Role.TRAINER)

    # --- admins -----------------------------------------------------------------------

    @router.message(Command("promote", "demote"), admin)
    async def set_role(
        message: Message,
        command: CommandObject,
        cohorts: Cohorts,
        texts: UiTexts,
        trainee: UserRecord,
    ) -> None:
        if not command.args:
            await message.answer(texts.cohorts.promote_usage)
            return
        promote = command.command == "promote"
        target = await cohorts.service.set_trainer(trainee, command.args, promote)
        reply = texts.cohorts.promoted if promote else texts.cohorts.demoted
        await message.answer(fill(reply, telegram_id=target.external_id))

    @router.message(Command("trainers"), admin)
    async def list_trainers(
        message: Message, cohorts: Cohorts, texts: UiTexts, trainee: UserRecord
    ) -> None:
        found = await cohorts.service.trainers(trainee)
        if not found:
            await message.answer(texts.cohorts.trainers_none)
            return
        listed = "\n".join(f"• <code>{u.external_id}</code>" for u in found)
        await message.answer(texts.cohorts.trainers.format(trainers=listed))

    # --- cohorts ----------------------------------------------------------------------

    @router.message(Command("newcohort"), trainer_only)
    async def new_cohort(
        message: Message,
        command: CommandObject,
        bot: Bot,
        cohorts: Cohorts,
        texts: UiTexts,
        trainee: UserRecord,
    ) -> None:
        if not command.args:
            await message.answer(texts.cohorts.newcohort_usage)
            return
        cohort = await cohorts.service.create_cohort(trainee, command.args)
        invite = await cohorts.service.invite(trainee, cohort.id)
        me = await bot.me()
        await message.answer(
            fill(
                texts.cohorts.cohort_created,
                name=cohort.name,
                link=views.invite_link(me.username, invite.token),
            ),
            reply_markup=views.cohort_keyboard(texts, cohort.id),
        )

    @router.message(Command("cohorts"), trainer_only)
    async def list_cohorts(
        message: Message, cohorts: Cohorts, texts: UiTexts, trainee: UserRecord
    ) -> None:
        found = await cohorts.service.trainer_cohorts(trainee)
        if not found:
            await message.answer(texts.cohorts.cohorts_none)
            return
        await message.answer(
            texts.cohorts.cohorts_title, reply_markup=views.cohort_list(texts, found)
        )

    @router.callback_query(CohortListCb.filter(), trainer_only)
    async def cohorts_button(
        callback: CallbackQuery, bot: Bot, cohorts: Cohorts, texts: UiTexts, trainee: UserRecord
    ) -> None:
        found = await cohorts.service.trainer_cohorts(trainee)
        await callback.answer()
        await show(bot, callback, texts.cohorts.cohorts_title, views.cohort_list(texts, found))

    @router.callback_query(CohortCb.filter(), trainer_only)
    async def cohort_view(
        callback: CallbackQuery,
        callback_data: CohortCb,
        bot: Bot,
        cohorts: Cohorts,
        practice: PracticeService,
        texts: UiTexts,
        trainee: UserRecord,
    ) -> None:
        cohort = await cohorts.service.cohort(trainee, callback_data.cohort)
        show_ = callback_data.show
        t = texts.cohorts
        back = views.back_to_cohort(texts, cohort.id)
        if show_ is CohortView.REPORT:
            await callback.answer()
            await _send_report(bot, callback, cohorts, texts, trainee, cohort.id)
            return
        await callback.answer()
        if show_ is CohortView.CARD:
            text = await _cohort_card(bot, cohorts, texts, trainee, cohort.id)
            await show(bot, callback, text, views.cohort_keyboard(texts, cohort.id))
        elif show_ is CohortView.INVITE:
            invite = await cohorts.service.invite(trainee, cohort.id, renew=True)
            me = await bot.me()
            link = views.invite_link(me.username, invite.token)
            await show(bot, callback, fill(t.invite_renewed, name=cohort.name, link=link), back)
        elif show_ is CohortView.LINK:
            code = await cohorts.service.link_code(trainee, cohort.id)
            await show(bot, callback, fill(t.link_code, code=code.token), back)
        elif show_ is CohortView.ASSIGN:
            personas = await practice.personas_for(trainee.id)
            has_modules = cohorts.service.modules is not None
            await show(
                bot,
                callback,
                fill(t.assign_choose, name=cohort.name),
                views.assign_keyboard(texts, cohort.id, personas, has_modules),
            )
        elif show_ is CohortView.MODULES:
            tracker = cohorts.service.modules
            modules = []
            if tracker is not None:
                for module_id in tracker.module_ids():
                    title = tracker.module_title(module_id)
                    if title:
                        modules.append((module_id, title))
            await show(
                bot,
                callback,
                fill(t.assign_modules, name=cohort.name),
                views.module_keyboard(texts, cohort.id, modules),
            )
        elif show_ is CohortView.SHARED:
            shares = await cohorts.sharing.cohort_shares(trainee, cohort.id)
            if not shares:
                await show(bot, callback, fill(t.cohort_shares_none, name=cohort.name), back)
                return
            members = {m.user_id: m for m in await cohorts.service.members(trainee, cohort.id)}
            rows = []
            for share in shares:
                session = await practice.store.get_session(share.session_id)
                persona = cohorts.find_persona(session.persona_id) if session else None
                owner = members[share.owner_id]
                label = owner.display_name if share.show_name else share.pseudonym
                title = persona.title if persona else (session.persona_id if session else "?")
                date = views.date_label(texts, share.created_at)
                rows.append(
                    [
                        views.button(
                            t.share_button.format(label=label, title=snippet(title, 30), date=date),
                            OpenShareCb(share=share.id),
                        )
                    ]
                )
            rows.append(list(back.inline_keyboard[0]))
            await show(
                bot,
                callback,
                fill(t.cohort_shares_title, name=cohort.name),
                InlineKeyboardMarkup(inline_keyboard=rows),
            )

    @router.callback_query(AssignCb.filter(), trainer_only)
    async def assign(
        callback: CallbackQuery,
        callback_data: AssignCb,
        bot: Bot,
        cohorts: Cohorts,
        texts: UiTexts,
        trainee: UserRecord,
    ) -> None:
        cohort = await cohorts.service.cohort(trainee, callback_data.cohort)
        kind = views.kind_of(callback_data.kind)
        title = cohorts.service.item_title(kind, callback_data.item) or callback_data.item
        if callback_data.days == -1:
            await callback.answer()
            await show(
                bot,
                callback,
                fill(texts.cohorts.assign_due, title=title, name=cohort.name),
                views.due_keyboard(texts, callback_data),
            )
            return
        days = None if callback_data.days == -2 else callback_data.days
        assignment = await cohorts.service.assign(
            trainee, cohort.id, kind, callback_data.item, days
        )
        due = ""
        if assignment.due_at is not None:
            due = fill(
                texts.cohorts.due, date=assignment.due_at.strftime(texts.cohorts.due_date_format)
            )
        await callback.answer()
        await show(
            bot,
            callback,
            texts.cohorts.assigned.format(
                title=fill("{t}", t=title), name=fill("{n}", n=cohort.name), due=due
            ),
            views.back_to_cohort(texts, cohort.id),
        )

    return router


def create_refusals() -> Router:
    """Trainer and admin commands from anyone else: say so (include after the other routers)."""
    router = Router(name="trainer-refusals")

    @router.message(Command(*ADMIN_COMMANDS, *TRAINER_COMMANDS))
    async def refused(message: Message, texts: UiTexts) -> None:
        await message.answer(texts.cohorts.trainer_only)

    @router.message(on_loop(F.document.file_name.regexp(YAML_FILE, mode="search")))
    async def upload_refused(message: Message, texts: UiTexts) -> None:
        await message.answer(texts.cohorts.upload_not_trainer)

    return router


async def _send_report(
    bot: Bot,
    callback: CallbackQuery,
    cohorts: Cohorts,
    texts: UiTexts,
    trainer: UserRecord,
    cohort_id: int,
) -> None:
    """The report as a readable message, then the chart."""
    if callback.message is None:
        return
    chat_id = callback.message.chat.id
    report = await cohorts.service.report(trainer, cohort_id)
    await send_long(bot, chat_id, views.report_html(texts, report, cohorts))
    if not report.trainees:
        return
    title = texts.cohorts.chart_title.format(name=report.cohort.name)
    png = await asyncio.to_thread(cohort_chart, report, title)
    await bot.send_photo(
        chat_id,
        BufferedInputFile(png, filename=f"cohort-{cohort_id}.png"),
        caption=texts.cohorts.report_caption,
        reply_markup=views.back_to_cohort(texts, cohort_id),
    )
